"""The GAN: the model contract, plus each player's loss and update."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import (
    ModelContract, constant_discriminator, make_batch, make_dataset, make_model,
    network_changes,
)
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import Batch

TINY_MLP = {"type": "mlp", "hidden_units": [16]}


class TestGANContract(ModelContract):
    METRIC_NAMES = {"d_loss", "g_loss"}
    CASES = {
        "points_mlp": {
            "model": {"class": "GAN", "latent_dim": 2, "generator": TINY_MLP,
                      "discriminator": TINY_MLP},
            "shape": (2,),
        },
    }


def test_losses_by_hand_with_aconstant_discriminator():
    case = TestGANContract.CASES["points_mlp"]
    model = make_model(case)
    x, _ = make_batch(case)
    constant_discriminator(model, 2.0)
    # D(.) = sigmoid(2): d_loss = -log s(2) - log(1 - s(2)) = log(1+e^-2) + log(1+e^2);
    # g_loss = -log s(2) = log(1+e^-2).
    d_loss = model.discriminator_loss(Batch(tf.constant(x)), training=False)
    g_loss = model.generator_loss(Batch(tf.constant(x)), training=False)
    np.testing.assert_allclose(d_loss, np.log1p(np.exp(-2.0)) + np.log1p(np.exp(2.0)),
                               atol=1e-5)
    np.testing.assert_allclose(g_loss, 0.126928, atol=1e-5)


def test_label_smoothing_changes_only_the_real_target():
    case = dict(TestGANContract.CASES["points_mlp"])
    case["model"] = dict(case["model"], label_smoothing=0.2)
    model = make_model(case)
    x, _ = make_batch(case)
    constant_discriminator(model, 0.0)
    # Logit 0: -0.8 log(1/2) - 0.2 log(1/2) on real = log 2, plus log 2 on fakes: unchanged;
    # with logit 2 the smoothed real part is 0.8 softplus(-2) + 0.2 softplus(2).
    model.discriminator.layers[-1].bias.assign([2.0])
    d_loss = model.discriminator_loss(Batch(tf.constant(x)), training=False)
    real = 0.8 * np.log1p(np.exp(-2.0)) + 0.2 * np.log1p(np.exp(2.0))
    np.testing.assert_allclose(d_loss, real + np.log1p(np.exp(2.0)), atol=1e-5)


def test_discriminator_steps_updates_the_discriminator_k_times_per_generator_step():
    case = dict(TestGANContract.CASES["points_mlp"])
    case["model"] = dict(case["model"], discriminator_steps=3)
    model = make_model(case)
    model.fit(make_dataset(case, num_batches=2), epochs=1, verbose=0)
    assert int(model.discriminator_optimizer.iterations.numpy()) == 6
    assert int(model.generator_optimizer.iterations.numpy()) == 2


def test_generator_step_leaves_the_discriminator_alone():
    changes = network_changes(TestGANContract.CASES["points_mlp"],
                              frozen=["discriminator_optimizer"])
    assert changes["discriminator"] == 0.0


def test_call_inputs_are_prior_codes_and_call_generates():
    case = TestGANContract.CASES["points_mlp"]
    model = make_model(case)
    x, y = make_batch(case, batch_size=5)
    codes = model.call_inputs(x, y)
    assert tuple(codes.shape) == (5, 2)
    np.testing.assert_allclose(model(codes), model.decode(codes), atol=1e-6)


def test_wrong_prior_dimension_is_refused():
    case = dict(TestGANContract.CASES["points_mlp"], prior={"name": "swiss_roll"})
    case["model"] = dict(case["model"], latent_dim=3)
    with pytest.raises(ConfigError, match="latent_dim"):
        make_model(case)
