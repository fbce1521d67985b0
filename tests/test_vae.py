"""The VAE and beta-VAE: the model contract, plus the objective's own behaviour."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import ModelContract, make_batch, make_model
from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import Batch

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}


class TestVAEContract(ModelContract):
    DEFAULT_HEAVY_CASE = "beta_conv_gaussian"
    METRIC_NAMES = {"loss", "recon_loss", "kl_loss"}
    CASES = {
        "mlp_bernoulli": {
            "model": {"class": "VAE", "latent_dim": 2, "encoder": TINY_MLP, "decoder": TINY_MLP},
            "shape": (8, 8, 1),
        },
        "beta_conv_gaussian": {
            "model": {"class": "VAE", "latent_dim": 3, "beta": 4.0, "likelihood": "gaussian",
                      "encoder": TINY_CONV, "decoder": TINY_CONV},
            "shape": (8, 8, 1),
        },
        "mixture_prior_monte_carlo_kl": {
            "model": {"class": "VAE", "latent_dim": 2, "encoder": TINY_MLP,
                      "decoder": TINY_MLP},
            "prior": {"name": "gaussian_mixture", "num_components": 10},
            "shape": (8, 8, 1),
        },
    }


def test_loss_is_reconstruction_plus_beta_times_kl():
    case = TestVAEContract.CASES["beta_conv_gaussian"]
    model = make_model(case)
    x, _ = make_batch(case)
    terms = model.loss_terms(Batch(tf.constant(x)), training=False)
    np.testing.assert_allclose(terms["loss"], terms["recon_loss"] + 4.0 * terms["kl_loss"],
                               rtol=1e-5)
    mean, log_var = model.encode(x)
    np.testing.assert_allclose(terms["kl_loss"], losses.gaussian_kl(mean, log_var), rtol=1e-5)


def test_same_seed_gives_the_same_noise_and_losses():
    case = TestVAEContract.CASES["mlp_bernoulli"]
    x, _ = make_batch(case)
    first = make_model(case, seed=3).loss_terms(Batch(tf.constant(x)), training=False)["loss"]
    second = make_model(case, seed=3).loss_terms(Batch(tf.constant(x)), training=False)["loss"]
    np.testing.assert_array_equal(first, second)


def test_swiss_roll_prior_is_refused_with_a_reason():
    case = dict(TestVAEContract.CASES["mlp_bernoulli"], prior={"name": "swiss_roll"})
    with pytest.raises(ConfigError, match="no log-density"):
        make_model(case)


def test_encoder_of_the_wrong_width_is_refused():
    from tfhybrids.models import VAE
    from tfhybrids.networks import build_decoder, build_encoder

    with pytest.raises(ConfigError, match="2 \\* latent_dim = 4"):
        VAE(build_encoder(TINY_MLP, (8, 8, 1), 3), build_decoder(TINY_MLP, 2, (8, 8, 1)),
            latent_dim=2)
