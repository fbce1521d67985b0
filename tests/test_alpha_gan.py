"""Alpha-GAN: the model contract, plus each player's loss and which networks it sees."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import (
    ModelContract, ShippedConfigs, constant_network, make_batch, make_dataset, make_model,
)
from tfhybrids import losses

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}


class TestAlphaGANContract(ModelContract, ShippedConfigs):
    # Four players of conv nets: the 1-vs-2-replica check alone takes about 11 s.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    CONFIGS = ["alpha_gan_fashion_mnist"]
    EXPORT_NAME = "alphagan"
    METRIC_NAMES = {"recon_loss", "e_loss", "g_loss", "d_loss", "code_d_loss"}
    CASES = {
        "conv_images": {
            "model": {"class": "AlphaGAN", "latent_dim": 3, "reconstruction_weight": 0.5,
                      "encoder": TINY_CONV, "generator": TINY_CONV,
                      "discriminator": TINY_CONV, "code_discriminator": TINY_MLP},
            "shape": (8, 8, 1),
        },
    }


def _inputs(model, case):
    x = tf.constant(make_batch(case)[0])
    z = tf.random.stateless_normal([len(x), model.latent_dim], seed=[2, 3])
    return x, z


@pytest.mark.parametrize("adversarial_loss, fool_code, fool_image", [
    # -log(C / (1 - C)) = -logit: 0.5 for C's logit -0.5; -1.5 for D's logit 1.5.
    ("log_ratio", 0.5, -1.5),
    # -log C = softplus(-logit): softplus(0.5) = 0.974077, softplus(-1.5) = 0.201413.
    ("non_saturating", 0.974077, 0.201413),
])
def test_loss_values_with_constant_discriminators(adversarial_loss, fool_code, fool_image):
    case = dict(TestAlphaGANContract.CASES["conv_images"])
    case["model"] = dict(case["model"], adversarial_loss=adversarial_loss)
    model = make_model(case)
    constant_network(model.discriminator, 1.5)
    constant_network(model.code_discriminator, -0.5)
    x, z = _inputs(model, case)
    terms = model.loss_terms(x, z, training=False)
    recon = losses.absolute_error(x, model(x)).numpy()
    np.testing.assert_allclose(terms["recon_loss"], recon, rtol=1e-5)
    np.testing.assert_allclose(terms["e_loss"], 0.5 * recon + fool_code, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(terms["g_loss"], 0.5 * recon + 2 * fool_image, rtol=1e-5,
                               atol=1e-5)
    # -log D(x) - log(1 - D(x_rec)) - log(1 - D(x_gen)) = softplus(-1.5) + 2 softplus(1.5)
    np.testing.assert_allclose(terms["d_loss"], 0.201413 + 2 * 1.701413, atol=1e-5)
    # -log C(z) - log(1 - C(z_hat)) = softplus(0.5) + softplus(-0.5)
    np.testing.assert_allclose(terms["code_d_loss"], 0.974077 + 0.474077, atol=1e-5)


def test_each_loss_sees_only_its_discriminator():
    case = TestAlphaGANContract.CASES["conv_images"]
    model = make_model(case)
    x, z = _inputs(model, case)
    before = model.loss_terms(x, z, training=False)
    for variable in model.discriminator.trainable_variables:
        variable.assign(variable + 0.3)
    after_d = model.loss_terms(x, z, training=False)
    for variable in model.code_discriminator.trainable_variables:
        variable.assign(variable + 0.3)
    after_c = model.loss_terms(x, z, training=False)
    # The image discriminator is not in the encoder's or the code discriminator's loss ...
    for key in ("e_loss", "code_d_loss", "recon_loss"):
        np.testing.assert_allclose(after_d[key], before[key], rtol=1e-5, err_msg=key)
    assert not np.allclose(after_d["g_loss"], before["g_loss"])
    # ... and the code discriminator is not in the generator's or the image discriminator's.
    for key in ("g_loss", "d_loss"):
        np.testing.assert_allclose(after_c[key], after_d[key], rtol=1e-5, err_msg=key)
    assert not np.allclose(after_c["e_loss"], after_d["e_loss"])


def _scores(model, x, z):
    x_gen = model.decode(z)
    return {
        "code_prior": float(tf.reduce_mean(model.code_discriminator(z))),
        "code_encoder": float(tf.reduce_mean(model.code_discriminator(model.encode(x)))),
        "image_real": float(tf.reduce_mean(model.discriminator(x))),
        "image_fake": float(tf.reduce_mean(model.discriminator(tf.concat([model(x), x_gen], 0)))),
    }


@pytest.mark.parametrize("player", ["encoder", "generator", "discriminator",
                                    "code_discriminator"])
def test_each_player_moves_its_scores_the_right_way(player):
    # Without the L1 term, what each player does to the classifiers' scores is pure GAN.
    case = {"model": {"class": "AlphaGAN", "latent_dim": 2, "reconstruction_weight": 0.0,
                      "adversarial_loss": "non_saturating", "encoder": TINY_MLP,
                      "generator": TINY_MLP, "discriminator": TINY_MLP,
                      "code_discriminator": TINY_MLP},
            "shape": (2,)}
    frozen = {"name": "sgd", "learning_rate": 1e-12}
    case["optimizers"] = {name: frozen for name in (
        "encoder_optimizer", "generator_optimizer", "discriminator_optimizer",
        "code_discriminator_optimizer")}
    case["optimizers"][f"{player}_optimizer"] = {"name": "sgd", "learning_rate": 0.05}
    model = make_model(case)
    x, z = _inputs(model, case)
    before = _scores(model, x, z)
    model.fit(make_dataset(case, batch_size=16, num_batches=3), epochs=1, verbose=0)
    after = _scores(model, x, z)
    delta = {k: after[k] - before[k] for k in before}
    if player == "encoder":  # its codes should look like prior samples to C
        assert delta["code_encoder"] > 1e-4
    elif player == "generator":  # its images should look real to D
        assert delta["image_fake"] > 1e-4
    elif player == "discriminator":
        assert delta["image_real"] - delta["image_fake"] > 1e-4
    else:  # prior codes are C's real class
        assert delta["code_prior"] - delta["code_encoder"] > 1e-4
