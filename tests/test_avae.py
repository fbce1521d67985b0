"""AVAE: the model contract, plus which player learns from which term."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import (
    ModelContract, ShippedConfigs, constant_discriminator, make_batch, make_dataset,
    make_model, network_changes, snapshot,
)
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import Batch

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}


MLP_CASE = {
    "model": {"class": "AVAE", "latent_dim": 2, "noise_dim": 3, "encoder": TINY_MLP,
              "decoder": TINY_MLP, "generator": TINY_MLP, "discriminator": TINY_MLP},
    "shape": (8, 8, 1),
}


class TestAVAEContract(ModelContract, ShippedConfigs):
    CONFIGS = ["avae_fashion_mnist"]
    EXPORT_NAME = "avae"
    METRIC_NAMES = {"recon_loss", "kl_loss", "d_loss", "g_loss", "latent_loss"}
    CASES = {
        "conv_encoder_and_generator": {
            "model": {"class": "AVAE", "latent_dim": 4, "noise_dim": 2, "beta": 2.0,
                      "encoder": TINY_CONV, "decoder": TINY_MLP, "generator": TINY_CONV,
                      "discriminator": TINY_MLP},
            "shape": (8, 8, 1),
        },
    }


def _fixed_draws(model, batch):
    z = tf.random.stateless_normal([batch, model.latent_dim], seed=[1, 2])
    noise = tf.random.stateless_normal([batch, model.noise_dim], seed=[3, 4])
    return z, noise


def test_latent_loss_trains_the_generator_through_a_frozen_encoder():
    # The conv encoder has batch norm: its moving statistics are weights too, and generated
    # images must not move them either.
    model = make_model(TestAVAEContract.CASES["conv_encoder_and_generator"])
    x, _ = make_batch(TestAVAEContract.CASES["conv_encoder_and_generator"])
    z, noise = _fixed_draws(model, len(x))
    encoder_before = snapshot(model.encoder.weights)
    with tf.GradientTape(persistent=True) as tape:
        terms = model.gan_terms(tf.constant(x), z, noise, tf.constant([0.5] * 4),
                                training=True)
        latent = tf.reduce_mean(terms["latent_loss"])
    generator_grads = tape.gradient(latent, model.generator.trainable_variables)
    assert any(float(tf.reduce_max(tf.abs(g))) > 0 for g in generator_grads)
    # The discriminator gets nothing from L_Z.
    assert all(g is None for g in tape.gradient(latent, model.discriminator.trainable_variables))
    for before, variable in zip(encoder_before, model.encoder.weights):
        np.testing.assert_array_equal(before, variable.numpy(), err_msg=variable.path)


def test_fit_moves_the_encoder_only_through_the_vae_optimizer():
    changes = network_changes(MLP_CASE, frozen=["vae_optimizer"], num_batches=2)
    assert changes["encoder"] == 0.0
    assert changes["generator"] > 1e-6


def test_latent_loss_is_the_paper_formula_on_the_encoded_sample():
    model = make_model(MLP_CASE)
    x, _ = make_batch(MLP_CASE)
    z, noise = _fixed_draws(model, len(x))
    scale = tf.constant([0.3, 0.9])
    terms = model.gan_terms(tf.constant(x), z, noise, scale, training=False)
    mean, _ = model.encode(model.generator({"code": z, "noise": noise}))
    sigma2 = scale.numpy() ** 2
    expected = 0.5 * np.sum(((mean.numpy() - np.sqrt(1 - sigma2) * z.numpy()) ** 2) / sigma2,
                            axis=-1)
    np.testing.assert_allclose(terms["latent_loss"], expected, rtol=1e-5)


def test_code_scale_is_the_root_mean_posterior_variance_without_gradient():
    variance = tf.Variable([[0.04, 1.0], [0.16, 0.5]])
    from tfhybrids.models import AVAE

    with tf.GradientTape() as tape:
        scale = AVAE.code_scale(variance)
    np.testing.assert_allclose(scale, [np.sqrt(0.1), np.sqrt(0.75)], atol=1e-6)
    assert tape.gradient(scale, variance) is None


def test_discriminator_and_generator_losses_ignore_the_vae_decoder():
    case = MLP_CASE
    x, _ = make_batch(case)
    reference = make_model(case).player_losses(Batch(tf.constant(x)), training=False)
    # A freshly built twin (same seed, so the same draws) with another VAE decoder: only the
    # VAE's reconstruction term may change.
    model = make_model(case)
    for variable in model.decoder.trainable_variables:
        variable.assign(variable + 0.5)
    terms = model.player_losses(Batch(tf.constant(x)), training=False)
    for key in ("d_loss", "g_loss", "latent_loss", "kl_loss"):
        np.testing.assert_allclose(terms[key], reference[key], rtol=1e-5, err_msg=key)
    assert not np.allclose(terms["recon_loss"], reference["recon_loss"])


def test_discriminator_loss_values_with_a_constant_discriminator():
    model = make_model(MLP_CASE)
    x, _ = make_batch(MLP_CASE)
    constant_discriminator(model, 2.0)
    z, noise = _fixed_draws(model, len(x))
    terms = model.gan_terms(tf.constant(x), z, noise, tf.constant([0.5, 0.5]), training=False)
    # D says logit 2 for everything: -log sigmoid(2) - log(1 - sigmoid(2)) = 0.126928 + 2.126928
    np.testing.assert_allclose(terms["d_loss"], 2.253856, atol=1e-5)
    np.testing.assert_allclose(terms["g_loss"], 0.126928, atol=1e-5)


def test_reconstructions_go_through_the_generator_and_the_decoder():
    model = make_model(MLP_CASE)
    x, _ = make_batch(MLP_CASE)
    mean, _ = model.encode(x)
    zeros = tf.zeros([len(x), model.noise_dim])
    np.testing.assert_allclose(model(x), model.generator({"code": mean, "noise": zeros}),
                               atol=1e-6)
    np.testing.assert_allclose(model.vae_reconstruction(x), model.decoder(mean), atol=1e-6)


def test_exported_generate_uses_the_noise():
    model = make_model(MLP_CASE)
    fn, _ = model.extra_serving_functions()["generate"]
    out = fn(tf.constant([5, 6], tf.int64))
    # Same codes as the generic sampler, but the images are G(z, xi) with xi != 0.
    without_noise = np.clip((model.decode(out["codes"]).numpy() + 1.0) / 2.0, 0.0, 1.0)
    assert not np.allclose(out["images"], without_noise, atol=1e-3)
    np.testing.assert_allclose(fn(tf.constant([5], tf.int64))["images"][0], out["images"][0],
                               atol=1e-6)


def test_non_gaussian_prior_is_refused():
    case = dict(MLP_CASE, prior={"name": "gaussian_mixture",
                                                      "num_components": 10})
    with pytest.raises(ConfigError, match="standard Gaussian prior"):
        make_model(case)


def test_generator_without_a_noise_input_is_refused():
    from tfhybrids.models import AVAE
    from tfhybrids.networks import build_decoder, build_discriminator, build_encoder

    with pytest.raises(ConfigError, match="'code', 'noise'"):
        AVAE(build_encoder(TINY_MLP, (8, 8, 1), 4), build_decoder(TINY_MLP, 2, (8, 8, 1)),
             build_decoder(TINY_MLP, 2, (8, 8, 1)), build_discriminator(TINY_MLP, (8, 8, 1)),
             latent_dim=2)


def test_noise_dim_zero_means_a_generator_of_the_code_alone():
    from tfhybrids.models import AVAE

    case = {"model": dict(MLP_CASE["model"], noise_dim=0), "shape": (8, 8, 1)}
    model = make_model(case)
    assert set(model.generator.input) == {"code"} and model.noise_dim == 0
    x, _ = make_batch(case)
    model.run_eagerly = True  # one step: tracing would cost more than it saves
    history = model.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values())
    mean, _ = model.encode(x)
    np.testing.assert_allclose(model(x), model.generator({"code": mean}), atol=1e-6)
    fn, _ = model.extra_serving_functions()["generate"]
    out = fn(tf.constant([5, 6], tf.int64))
    # No extra noise: the exported sampler is G(z) for the seed's z, i.e. decode(z).
    expected = np.clip((model.decode(out["codes"]).numpy() + 1.0) / 2.0, 0.0, 1.0)
    np.testing.assert_allclose(out["images"], expected, atol=1e-5)
    again = AVAE.from_config(model.get_config())
    assert again.noise_dim == 0 and set(again.generator.input) == {"code"}


def test_a_generator_with_noise_when_noise_dim_is_zero_is_refused():
    from tfhybrids.models import AVAE
    from tfhybrids.networks import build_decoder, build_discriminator, build_encoder

    with pytest.raises(ConfigError, match=r"noise_dim 0 .* \['code'\]"):
        AVAE(build_encoder(TINY_MLP, (8, 8, 1), 4), build_decoder(TINY_MLP, 2, (8, 8, 1)),
             build_decoder(TINY_MLP, {"code": 2, "noise": 3}, (8, 8, 1)),
             build_discriminator(TINY_MLP, (8, 8, 1)), latent_dim=2, noise_dim=0)
