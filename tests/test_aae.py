"""The unsupervised AAE: the model contract, plus the two phases' behaviour."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import ModelContract, make_batch, make_dataset, make_model, snapshot
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import Batch

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}


class TestAAEContract(ModelContract):
    DEFAULT_HEAVY_CASE = "swiss_roll_conv"
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
    case = TestAAEContract.CASES["mixture_mlp"]
    model = make_model(case)
    decoder_before = snapshot(model.decoder.trainable_variables)
    model.autoencoder_optimizer.learning_rate.assign(0.0)
    model.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0)
    # With the reconstruction phase frozen, only the regularisation phase moved weights: the
    # decoder belongs to no other player, so it must not have changed.
    for before, variable in zip(decoder_before, model.decoder.trainable_variables):
        np.testing.assert_array_equal(before, variable.numpy())


def test_discriminator_loss_uses_prior_samples_as_real():
    case = TestAAEContract.CASES["mixture_mlp"]
    model = make_model(case)
    x, _ = make_batch(case)
    # A discriminator that says "real" (logit +20) for every input: codes are mistaken for prior
    # samples, so its loss is about 20 per example (the fake half); the real half is ~0.
    for variable in model.discriminator.trainable_variables:
        variable.assign(tf.zeros_like(variable))
    model.discriminator.layers[-1].bias.assign([20.0])
    d_loss = model.discriminator_loss(Batch(tf.constant(x)), training=False)
    np.testing.assert_allclose(d_loss, 20.0, atol=1e-3)


def test_prior_of_another_dimension_is_refused():
    case = dict(TestAAEContract.CASES["mixture_mlp"])
    case["model"] = dict(case["model"], latent_dim=3)
    case["prior"] = {"name": "swiss_roll"}
    with pytest.raises(ConfigError):
        make_model(case)


def test_docstring_names_the_optimizer_departure_from_the_paper():
    from tfhybrids.models import AAE

    assert "SGD with momentum" in AAE.__doc__ and "Adam" in AAE.__doc__
