"""AVB: the model contract, plus Algorithm 1's players, the ELBO terms and the likelihood
estimate."""

import math

import numpy as np
import pytest
import tensorflow as tf

from model_harness import (
    ModelContract, constant_discriminator, make_batch, make_dataset, make_model,
    network_changes,
)
from tfhybrids.data.four_points import four_point_images

TINY_MLP = {"type": "mlp", "hidden_units": [16], "activation": "elu"}
TINY_CONV = {"type": "conv", "filters": [4, 8]}


class TestAVBContract(ModelContract):
    DEFAULT_HEAVY_CASE = "images_conv_gaussian"
    METRIC_NAMES = {"loss", "recon_loss", "kl_loss", "d_loss"}
    CASES = {
        "four_points_mlp": {
            "model": {"class": "AVB", "latent_dim": 2, "noise_dim": 4, "encoder": TINY_MLP,
                      "decoder": TINY_MLP, "discriminator": TINY_MLP},
            "shape": (2, 2, 1),
        },
        "images_conv_gaussian": {
            "model": {"class": "AVB", "latent_dim": 3, "noise_dim": 5, "encoder": TINY_CONV,
                      "decoder": TINY_CONV, "discriminator": TINY_MLP,
                      "likelihood": "gaussian", "observation_std": 0.5},
            "shape": (8, 8, 1),
        },
    }


FOUR = TestAVBContract.CASES["four_points_mlp"]


def four_points_batch():
    return tf.constant(np.concatenate([four_point_images()] * 2))


def constant_decoder(model, logit):
    """p(x|z) no longer depends on z: every pixel is Bernoulli(sigmoid(logit))."""
    for variable in model.decoder.trainable_variables:
        variable.assign(tf.zeros_like(variable))
    dense = [layer for layer in model.decoder.layers if hasattr(layer, "kernel")][-1]
    dense.bias.assign(tf.fill(dense.bias.shape, logit))


def test_posterior_pairs_are_labelled_one():
    model = make_model(FOUR)
    x = four_points_batch()
    noise = tf.random.stateless_normal([8, 4], seed=[1, 2])
    z_prior = tf.random.stateless_normal([8, 2], seed=[3, 4])
    # T says "posterior pair" (+20) to everything: only the prior half costs, ~20.
    constant_discriminator(model, 20.0)
    np.testing.assert_allclose(model.discriminator_loss(x, noise, z_prior, False), 20.0,
                               atol=1e-3)
    constant_discriminator(model, -20.0)
    np.testing.assert_allclose(model.discriminator_loss(x, noise, z_prior, False), 20.0,
                               atol=1e-3)


def test_elbo_terms_by_hand():
    model = make_model(FOUR)
    constant_discriminator(model, 0.7)
    constant_decoder(model, math.log(3.0))  # each pixel on with probability 3/4
    x = four_points_batch()
    terms = model.elbo_terms(x, tf.zeros([8, 4]), training=False)
    # One pixel on, three off: -log(3/4) - 3 log(1/4).
    recon = -math.log(0.75) - 3.0 * math.log(0.25)
    np.testing.assert_allclose(terms["recon_loss"], recon, rtol=1e-5)
    np.testing.assert_allclose(terms["kl_loss"], 0.7, atol=1e-6)
    np.testing.assert_allclose(terms["loss"], recon + 0.7, rtol=1e-5)


def test_each_player_moves_only_its_own_networks():
    changes = network_changes(FOUR, frozen=["autoencoder_optimizer"])
    assert changes["encoder"] == 0.0 and changes["decoder"] == 0.0
    assert changes["discriminator"] > 1e-6
    assert network_changes(FOUR, frozen=["discriminator_optimizer"])["discriminator"] == 0.0


def test_encoder_learns_through_t_and_the_decoder_does_not():
    """With a constant decoder the likelihood has no gradient, so the encoder moves only
    because T(x, E(x, eps)) depends on z; the decoder's bias moves only by the likelihood."""
    model = make_model(FOUR)
    constant_decoder(model, 0.0)
    x = four_points_batch()
    with tf.GradientTape() as tape:
        terms = model.elbo_terms(x, tf.random.stateless_normal([8, 4], seed=[5, 6]), True)
        kl = tf.reduce_mean(terms["kl_loss"])
    gradients = tape.gradient(kl, model.encoder.trainable_variables
                              + model.decoder.trainable_variables)
    encoder_gradients = gradients[:len(model.encoder.trainable_variables)]
    assert any(g is not None and np.abs(g.numpy()).sum() > 0 for g in encoder_gradients)
    assert all(g is None for g in gradients[len(model.encoder.trainable_variables):])


def test_discriminator_steps_per_autoencoder_step():
    case = {"model": dict(FOUR["model"], discriminator_steps=2), "shape": (2, 2, 1)}
    model = make_model(case)
    model.fit(make_dataset(case, num_batches=3), epochs=1, verbose=0)
    assert int(model.discriminator_optimizer.iterations.numpy()) == 6
    assert int(model.autoencoder_optimizer.iterations.numpy()) == 3


def test_log_likelihood_of_a_decoder_that_ignores_z():
    """p(x|z) = p(x) for every z, so importance sampling must return log p(x) itself."""
    model = make_model(FOUR)
    constant_decoder(model, math.log(3.0))
    expected = math.log(0.75) + 3.0 * math.log(0.25)
    estimate = model.log_likelihood(four_point_images(), num_samples=4000, seed=1)
    assert estimate.shape == (4,)
    # The weights p(z)/r(z) lie in [0, 2] with mean 1: K = 4000 puts the log within ~0.03.
    np.testing.assert_allclose(estimate, expected, atol=0.06)


def test_log_likelihood_is_reproducible_and_at_most_zero_for_bernoulli():
    model = make_model(FOUR)
    first = model.log_likelihood(four_point_images(), num_samples=200, seed=3)
    np.testing.assert_array_equal(first, model.log_likelihood(four_point_images(), 200, 3))
    assert np.all(first <= 0.0)


def test_posterior_picture_and_samples():
    from tfhybrids.models.avb import posterior_picture

    model = make_model(FOUR)
    z = model.sample_posterior(four_point_images(), 7, tf.constant([1, 2]))
    assert tuple(z.shape) == (4, 7, 2)
    # Different noise gives different codes: the posterior is not a point mass.
    assert float(tf.math.reduce_std(z[0], axis=0)[0]) > 0
    image = posterior_picture(model, four_point_images(), num_samples=50)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[-1] == 3


def test_encode_outputs_use_zero_noise():
    model = make_model(FOUR)
    x, _ = make_batch(FOUR)
    code = model.encode_outputs(tf.constant(x))["code"]
    np.testing.assert_allclose(code, model.encode(x, tf.zeros([8, 4])), atol=1e-6)


@pytest.mark.slow
def test_tiny_config_trains_end_to_end(tmp_path):
    import json
    import os

    from conftest import REPO
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import train

    config = load_config(os.path.join(REPO, "configs", "tiny", "avb_four_points.yaml"))
    train(config, str(tmp_path), log=lambda message: None)
    for output in ("model.keras", "samples.png", "reconstructions.png", "metrics.json",
                   "export/avb/1/saved_model.pb"):
        assert os.path.exists(tmp_path / output), output
    with open(tmp_path / "metrics.json") as f:
        assert set(json.load(f)["test"]) == TestAVBContract.METRIC_NAMES


@pytest.mark.slow
def test_benchmark_script_quick_run(tmp_path):
    """The benchmark's quick mode trains, scores and writes its table, plots and JSON."""
    import json
    import os
    import subprocess
    import sys

    from conftest import REPO

    command = [sys.executable, os.path.join(REPO, "benchmarks", "mode_collapse.py"),
               "--seeds", "1", "--steps", "20", "--avb-steps", "20", "--avb-samples", "50",
               "--models", "veegan", "--datasets", "ring", "--out", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, cwd=REPO)
    with open(tmp_path / "results.json") as f:
        results = json.load(f)
    assert [r["model"] for r in results["runs"]] == ["VEEGAN"]
    assert results["avb"]["log_likelihood"] < 0
    table = (tmp_path / "README.md").read_text()
    assert "| VEEGAN |" in table and "8.0 / 52.9" in table
    assert "at least 1 HQ sample (the VEEGAN and PacGAN convention)" in table
    assert results["runs"][0]["min_samples_per_mode"] == 1
    for picture in ("veegan_ring.png", "avb_posterior.png"):
        assert os.path.exists(tmp_path / picture)
