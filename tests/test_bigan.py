"""BiGAN / ALI: the model contract, plus the joint game's labels and the two encoders."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import (
    ModelContract, ShippedConfigs, constant_discriminator, make_batch, make_dataset, make_model,
)
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import Batch

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}
SGD = {"name": "sgd", "learning_rate": 0.05}


class TestBiGANContract(ModelContract, ShippedConfigs):
    CONFIGS = ["bigan_fashion_mnist", "bigan_toy2d_ring"]
    EXPORT_NAME = "bigan"
    DEFAULT_HEAVY_CASE = "bigan_mlp_points"
    METRIC_NAMES = {"d_loss", "e_loss", "g_loss"}
    CASES = {
        "ali_conv_images": {
            "model": {"class": "BiGAN", "latent_dim": 3, "encoder_type": "gaussian",
                      "encoder": TINY_CONV, "generator": TINY_CONV,
                      "discriminator": dict(TINY_CONV, joint_units=[8])},
            "shape": (8, 8, 1),
        },
        "bigan_mlp_points": {
            "model": {"class": "BiGAN", "latent_dim": 2, "encoder": TINY_MLP,
                      "generator": TINY_MLP, "discriminator": TINY_MLP},
            "shape": (2,),
        },
    }


@pytest.mark.parametrize("case_name", sorted(TestBiGANContract.CASES))
def test_loss_values_with_aconstant_discriminator(case_name):
    case = TestBiGANContract.CASES[case_name]
    model = make_model(case)
    constant_discriminator(model, 2.0)
    x, _ = make_batch(case)
    terms = model.joint_losses(Batch(tf.constant(x)), training=False)
    # logit 2 everywhere: softplus(-2) = 0.126928, softplus(2) = 2.126928.
    np.testing.assert_allclose(terms["d_loss"], 0.126928 + 2.126928, atol=1e-5)
    np.testing.assert_allclose(terms["e_loss"], 2.126928, atol=1e-5)  # -log(1 - D(x, E(x)))
    np.testing.assert_allclose(terms["g_loss"], 0.126928, atol=1e-5)  # -log D(G(z), z)


def _mean_logits(model, x):
    x = tf.constant(x)
    z = tf.random.stateless_normal([len(x), model.latent_dim], seed=[4, 5])
    real = model.discriminator({"x": x, "z": model.code(x)})
    fake = model.discriminator({"x": model.decode(z), "z": z})
    return float(tf.reduce_mean(real)), float(tf.reduce_mean(fake))


@pytest.mark.parametrize("player", ["encoder", "generator"])
def test_encoder_and_generator_play_the_inverted_labels(player):
    """Alone, the encoder makes its pairs look fake and the generator makes its look real."""
    case = dict(TestBiGANContract.CASES["bigan_mlp_points"])
    frozen = {"name": "sgd", "learning_rate": 1e-12}
    case["optimizers"] = {"encoder_optimizer": frozen, "generator_optimizer": frozen,
                          "discriminator_optimizer": frozen, f"{player}_optimizer": SGD}
    model = make_model(case)
    x, _ = make_batch(case, batch_size=16)
    real_before, fake_before = _mean_logits(model, x)
    model.fit(make_dataset(case, batch_size=16, num_batches=3), epochs=1, verbose=0)
    real_after, fake_after = _mean_logits(model, x)
    if player == "encoder":
        assert real_after < real_before - 1e-4
        assert fake_after == pytest.approx(fake_before, abs=1e-6)
    else:
        assert fake_after > fake_before + 1e-4
        assert real_after == pytest.approx(real_before, abs=1e-6)


def test_ali_pairs_use_sampled_codes_and_reconstructs_from_the_mean():
    case = TestBiGANContract.CASES["ali_conv_images"]
    model = make_model(case)
    x = tf.constant(make_batch(case)[0])
    z = tf.random.stateless_normal([len(x), 3], seed=[1, 1])
    zeros = tf.zeros([len(x), 3])
    at_mean, _ = model.joint_logits(tf.constant(x), z, zeros, training=False)
    sampled, _ = model.joint_logits(tf.constant(x), z, 3.0 + zeros, training=False)
    mean, log_var = model.encode(x)
    np.testing.assert_allclose(
        at_mean, model.discriminator({"x": x, "z": mean}), atol=1e-5)
    np.testing.assert_allclose(
        sampled, model.discriminator({"x": x, "z": mean + 3.0 * tf.exp(0.5 * log_var)}),
        atol=1e-5)
    np.testing.assert_allclose(model(x), model.generator(mean), atol=1e-6)
    assert set(model.encode_outputs(x)) == {"mean", "log_var"}


def test_bigan_encoder_exports_its_code():
    case = TestBiGANContract.CASES["bigan_mlp_points"]
    model = make_model(case)
    x, _ = make_batch(case)
    outputs = model.encode_outputs(x)
    assert set(outputs) == {"code"}
    np.testing.assert_allclose(model(x), model.generator(outputs["code"]), atol=1e-6)


def test_discriminator_of_x_alone_is_refused():
    from tfhybrids.models import BiGAN
    from tfhybrids.networks import build_decoder, build_discriminator, build_encoder

    with pytest.raises(ConfigError, match="'x', 'z'"):
        BiGAN(build_encoder(TINY_MLP, (2,), 2), build_decoder(TINY_MLP, 2, (2,), "linear"),
              build_discriminator(TINY_MLP, (2,)), prior=None, latent_dim=2)


def test_unknown_encoder_type_is_refused():
    case = dict(TestBiGANContract.CASES["bigan_mlp_points"])
    case["model"] = dict(case["model"], encoder_type="stochastic")
    with pytest.raises(ConfigError, match="deterministic, gaussian"):
        make_model(case)
