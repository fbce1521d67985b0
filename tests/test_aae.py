"""The unsupervised AAE: the model contract, plus the two phases' behaviour."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO
from model_harness import (
    ModelContract, constant_discriminator, make_batch, make_dataset, make_model,
    network_changes, snapshot,
)
from tfhybrids.errors import ConfigError, DataError
from tfhybrids.models.base import Batch

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}


class TestAAEContract(ModelContract):
    DEFAULT_HEAVY_CASE = "mixture_mlp"
    METRIC_NAMES = {"recon_loss", "d_loss", "g_loss"}
    CASES = {
        "mixture_mlp": {
            "model": {"class": "AAE", "latent_dim": 2, "encoder": TINY_MLP,
                      "decoder": TINY_MLP, "discriminator": TINY_MLP},
            "prior": {"name": "gaussian_mixture", "num_components": 10},
            "shape": (8, 8, 1),
        },
        "swiss_roll_conv": {
            "model": {"class": "AAE", "latent_dim": 2, "encoder": TINY_CONV,
                      "decoder": TINY_CONV, "discriminator": TINY_MLP},
            "prior": {"name": "swiss_roll"},
            "shape": (8, 8, 1),
        },
        "points_gaussian": {
            "model": {"class": "AAE", "latent_dim": 2, "encoder": TINY_MLP,
                      "decoder": TINY_MLP, "discriminator": TINY_MLP},
            "prior": {"name": "gaussian"},
            "shape": (2,),
        },
    }


def test_discriminator_never_updates_the_autoencoder_and_vice_versa():
    changes = network_changes(TestAAEContract.CASES["mixture_mlp"],
                              frozen=["autoencoder_optimizer"])
    # With the reconstruction phase frozen, only the regularisation phase moved weights: the
    # decoder belongs to no other player, so it must not have changed.
    assert changes["decoder"] == 0.0


def test_discriminator_loss_uses_prior_samples_as_real():
    case = TestAAEContract.CASES["mixture_mlp"]
    model = make_model(case)
    x, _ = make_batch(case)
    # A discriminator that says "real" (logit +20) for every input: codes are mistaken for prior
    # samples, so its loss is about 20 per example (the fake half); the real half is ~0.
    constant_discriminator(model, 20.0)
    d_loss = model.discriminator_loss(Batch(tf.constant(x)), training=False)
    np.testing.assert_allclose(d_loss, 20.0, atol=1e-3)


def test_prior_of_another_dimension_is_refused():
    case = dict(TestAAEContract.CASES["mixture_mlp"])
    case["model"] = dict(case["model"], latent_dim=3)
    case["prior"] = {"name": "swiss_roll"}
    with pytest.raises(ConfigError):
        make_model(case)


def test_a_component_with_one_stray_code_is_not_filled():
    from tfhybrids.coverage import prior_coverage

    means = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    # 40 codes: 13 + 13 + 13 near the first three means, one stray code at the fourth.
    codes = np.concatenate([np.repeat(means[:3], 13, axis=0), means[3:]])
    coverage = prior_coverage(codes, means)
    assert coverage["shares"] == [0.325, 0.325, 0.325, 0.025]
    # Half the uniform share of 1/4 is 0.125: the stray code does not fill its component.
    assert coverage["filled_threshold"] == 0.125
    assert coverage["components_filled"] == 3
    # Exactly half of the uniform share counts as filled.
    codes = np.concatenate([np.repeat(means[:3], 14, axis=0)[:35], np.repeat(means[3:], 5, 0)])
    assert prior_coverage(codes, means)["components_filled"] == 4


def test_mmd_against_null_tells_prior_like_codes_from_shifted_ones():
    from tfhybrids.two_sample import mmd_against_null
    from tfhybrids.priors import make_prior

    prior = make_prior({"name": "gaussian_mixture"}, latent_dim=2)
    draws = prior.sample(21 * 1000, tf.constant([7, 0])).numpy().reshape(21, 1000, 2)
    like_prior = prior.sample(360, tf.constant([8, 0])).numpy()
    # Codes that leave one petal (component 0) empty: its codes turn to the next petal.
    means = prior.component_means()
    nearest = ((like_prior[:, None] - means[None]) ** 2).sum(-1).argmin(1)
    turn = 2 * np.pi / 10
    missing_petal = like_prior.copy()
    missing_petal[nearest == 0] = missing_petal[nearest == 0] @ np.array(
        [[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])
    good = mmd_against_null(like_prior, draws)
    bad = mmd_against_null(missing_petal, draws)
    assert good["num_samples"] == 360 and good["num_reference"] == 1000
    assert good["num_null_draws"] == 10 and len(good["bandwidths"]) == 4
    # One kernel for everything: the null does not depend on the codes.
    assert good["null_mean"] == bad["null_mean"] and good["bandwidths"] == bad["bandwidths"]
    assert abs(good["null_mean"]) < good["null_p95"] <= good["null_max"]
    assert good["mmd2"] < good["null_max"] and good["p_value"] > 0.05
    assert bad["mmd2"] > 3 * good["null_p95"] and bad["p_value"] < 0.1
    with pytest.raises(DataError, match="at least as large"):
        mmd_against_null(np.zeros((1001, 2)), draws)


def test_docstring_names_the_optimizer_departure_from_the_paper():
    from tfhybrids.models import AAE

    assert "SGD with momentum" in AAE.__doc__ and "Adam" in AAE.__doc__


def test_shared_regularisation_pass_makes_the_sequential_updates_with_one_encoder_pass_less():
    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    import flops

    case = dict(TestAAEContract.CASES["mixture_mlp"])
    batch = tuple(tf.constant(part) for part in make_batch(case))

    def trained(regularisation_pass):
        model = make_model(dict(case, model=dict(case["model"],
                                                 regularisation_pass=regularisation_pass)),
                           seed=3)
        step = tf.function(model.train_step)
        graph = step.get_concrete_function(batch).graph
        logs = [{k: float(v) for k, v in step(batch).items()} for _ in range(2)]
        return model, logs, flops.graph_flops(graph)

    per_phase, per_phase_history, per_phase_flops = trained("per_phase")
    shared, shared_history, shared_flops = trained("shared")
    for a, b in zip(per_phase.trainable_weights, shared.trainable_weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    for per_phase_logs, shared_logs in zip(per_phase_history, shared_history):
        for name, value in per_phase_logs.items():
            np.testing.assert_allclose(value, shared_logs[name], rtol=1e-5)
    # The work that runs differs by exactly one forward pass of the encoder.
    assert per_phase_flops - shared_flops == flops.network_flops(shared.encoder, batch_size=8)
    assert type(shared).from_config(shared.get_config()).regularisation_pass == "shared"


def test_shared_regularisation_pass_is_refused_for_unknown_values():
    case = dict(TestAAEContract.CASES["mixture_mlp"])
    case["model"] = dict(case["model"], regularisation_pass="joint")
    with pytest.raises(ConfigError, match="regularisation_pass"):
        make_model(case)
