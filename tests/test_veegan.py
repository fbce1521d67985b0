"""VEEGAN: the model contract, plus Algorithm 1's players and terms."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import (
    ModelContract, constant_discriminator, make_batch, make_dataset, make_model,
    network_changes, unordered_updates_and_reported_losses,
)
from tfhybrids.errors import ConfigError

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}


class TestVEEGANContract(ModelContract):
    DEFAULT_HEAVY_CASE = "points_mlp"
    METRIC_NAMES = {"loss", "kl_loss", "recon_loss", "d_loss"}
    CASES = {
        "points_mlp": {
            "model": {"class": "VEEGAN", "latent_dim": 4, "generator": TINY_MLP,
                      "reconstructor": TINY_MLP, "discriminator": TINY_MLP},
            "shape": (2,),
        },
        "images_conv_deterministic": {
            "model": {"class": "VEEGAN", "latent_dim": 3, "generator": TINY_CONV,
                      "reconstructor": TINY_CONV, "discriminator": TINY_CONV,
                      "reconstructor_noise_std": 0.0, "reconstruction_weight": 2.0},
            "shape": (8, 8, 1),
        },
    }


POINTS = TestVEEGANContract.CASES["points_mlp"]


def test_generator_pairs_are_labelled_one():
    model = make_model(POINTS)
    x, _ = make_batch(POINTS)
    z = tf.random.stateless_normal([8, 4], seed=[1, 2])
    eps = tf.zeros([8, 4])
    # D says "generator pair" (+20) to everything: the generator half of its loss is ~0 and
    # the reconstructor half is softplus(20) ~ 20.
    constant_discriminator(model, 20.0)
    d_loss = model.discriminator_loss(tf.constant(x), z, eps, training=False)
    np.testing.assert_allclose(d_loss, 20.0, atol=1e-3)
    constant_discriminator(model, -20.0)
    d_loss = model.discriminator_loss(tf.constant(x), z, eps, training=False)
    np.testing.assert_allclose(d_loss, 20.0, atol=1e-3)


def test_generator_terms_by_hand():
    """With D constant and F = identity-like weights, each term can be computed by hand."""
    case = {"model": dict(POINTS["model"], latent_dim=2,
                          generator={"type": "mlp", "hidden_units": []},
                          reconstructor={"type": "mlp", "hidden_units": []},
                          reconstruction_weight=0.5),
            "shape": (2,)}
    model = make_model(case)
    constant_discriminator(model, 1.5)
    # G(z) = 2 z + (1, 0); F(x) = x: so F(G(z)) - z = z + (1, 0).
    model.generator.layers[-3].kernel.assign(2.0 * np.eye(2, dtype=np.float32))
    model.generator.layers[-3].bias.assign([1.0, 0.0])
    model.reconstructor.layers[-1].kernel.assign(np.eye(2, dtype=np.float32))
    model.reconstructor.layers[-1].bias.assign([0.0, 0.0])
    z = tf.constant([[0.0, 0.0], [1.0, -2.0]])
    terms = model.generator_terms(z, training=False)
    np.testing.assert_allclose(terms["kl_loss"], [1.5, 1.5], atol=1e-6)
    np.testing.assert_allclose(terms["recon_loss"], [1.0, 4.0 + 4.0], atol=1e-5)
    np.testing.assert_allclose(terms["loss"], [1.5 + 0.5, 1.5 + 4.0], atol=1e-5)


def test_reconstructor_learns_from_the_l2_term_only():
    """Algorithm 1: g_theta is the gradient of the l2 term alone. With its weight at 0 the
    reconstructor must not move, while the generator (driven by D) still does."""
    case = {"model": dict(POINTS["model"], reconstruction_weight=0.0), "shape": (2,)}
    changes = network_changes(case)
    assert changes["reconstructor"] == 0.0
    assert changes["generator"] > 1e-6


def test_discriminator_is_not_moved_by_the_generator_step():
    assert network_changes(POINTS, frozen=["discriminator_optimizer"])["discriminator"] == 0.0


def test_reconstructor_noise_reaches_only_the_data_pairs():
    """sigma scales the noise added to F(x); with sigma = 0 the noise has no effect."""
    case = {"model": dict(POINTS["model"], reconstructor_noise_std=0.0), "shape": (2,)}
    model = make_model(case)
    x, _ = make_batch(case)
    z = tf.random.stateless_normal([8, 4], seed=[1, 2])
    quiet = model.discriminator_loss(tf.constant(x), z, tf.zeros([8, 4]), training=False)
    noisy = model.discriminator_loss(tf.constant(x), z, 5.0 * tf.ones([8, 4]), training=False)
    np.testing.assert_allclose(noisy, quiet, atol=1e-6)
    model.reconstructor_noise_std = 1.0
    noisy = model.discriminator_loss(tf.constant(x), z, 5.0 * tf.ones([8, 4]), training=False)
    assert not np.allclose(noisy, quiet)


def test_generate_is_reproducible_and_2d():
    model = make_model(POINTS)
    first = model.generate(100, tf.constant([3, 4]))
    np.testing.assert_array_equal(first, model.generate(100, tf.constant([3, 4])))
    assert first.shape == (100, 2)


@pytest.mark.parametrize("change, match", [
    ({"latent_dim": 3, "prior_dim": 2}, "prior has dimension 2"),
    ({"reconstructor_noise_std": -1.0}, "reconstructor_noise_std: must be at least 0"),
])
def test_bad_settings_are_refused(change, match):
    from tfhybrids.priors import make_prior

    prior_dim = change.pop("prior_dim", None)
    case = {"model": dict(POINTS["model"], **change), "shape": (2,)}
    if prior_dim is None:
        with pytest.raises(ConfigError, match=match):
            make_model(case)
        return
    from tfhybrids.models import VEEGAN
    from tfhybrids.networks import build_decoder, build_discriminator, build_encoder

    with pytest.raises(ConfigError, match=match):
        VEEGAN(build_decoder(TINY_MLP, 3, (2,), "linear"), build_encoder(TINY_MLP, (2,), 3),
               build_discriminator(TINY_MLP, {"z": (3,), "x": (2,)}),
               make_prior({"name": "gaussian"}, prior_dim), latent_dim=3)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["veegan_toy2d_ring.yaml", "veegan_toy2d_grid.yaml"])
def test_tiny_config_trains_end_to_end(name, tmp_path):
    import json
    import os

    from conftest import REPO
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import train

    config = load_config(os.path.join(REPO, "configs", "tiny", name))
    train(config, str(tmp_path), log=lambda message: None)
    for output in ("model.keras", "samples.png", "latent.png", "metrics.json",
                   "export/veegan/1/saved_model.pb"):
        assert os.path.exists(tmp_path / output), output
    with open(tmp_path / "metrics.json") as f:
        assert set(json.load(f)["test"]) == TestVEEGANContract.METRIC_NAMES


def test_the_same_seed_gives_the_same_run():
    """Two trainings with one seed report the same losses. Under load they did not: a loss
    only reported (not on a gradient's path) was not ordered with the updates, and the graph
    could compute it after some weights had moved; that root cause is checked on the graph,
    as the race itself shows only now and then."""
    def history(model):
        return model.fit(make_dataset(POINTS, num_batches=3), epochs=1, verbose=0,
                         shuffle=False).history

    model = make_model(POINTS, seed=3)
    assert unordered_updates_and_reported_losses(model, POINTS) == []
    assert history(model) == history(make_model(POINTS, seed=3))
