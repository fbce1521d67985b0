"""The IWAE bound on a linear-Gaussian VAE whose log p(x) is known in closed form."""

import math

import keras
import numpy as np
import pytest

from tfhybrids.errors import ConfigError
from tfhybrids.evaluation.likelihood import iwae_bound, iwae_summary, supports_iwae
from tfhybrids.models import VAE

SIGMA = 0.5  # observation std; z ~ N(0, I), x | z ~ N(z, SIGMA^2 I), so x ~ N(0, (1 + SIGMA^2) I)


def _linear_vae(posterior_scale=1.0, posterior_log_var_shift=0.0):
    """A 2-D VAE whose encoder gives the exact posterior (times the given distortions)."""
    shrink = 1.0 / (1.0 + SIGMA ** 2)
    encoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    kernel = np.zeros((2, 4), np.float32)
    kernel[0, 0] = kernel[1, 1] = shrink * posterior_scale
    bias = np.zeros(4, np.float32)
    bias[2:] = math.log(SIGMA ** 2 * shrink) + posterior_log_var_shift
    encoder.layers[-1].set_weights([kernel, bias])
    decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    decoder.layers[-1].set_weights([np.eye(2, dtype=np.float32), np.zeros(2, np.float32)])
    return VAE(encoder, decoder, latent_dim=2, likelihood="gaussian", observation_std=SIGMA)


def _log_marginal(x):
    variance = 1.0 + SIGMA ** 2
    return (-0.5 * np.log(2 * np.pi * variance) - x ** 2 / (2 * variance)).sum(axis=1)


X = np.array([[0.0, 0.0], [1.0, -0.5], [2.0, 1.5]], np.float32)


@pytest.mark.parametrize("num_samples", [1, 16])
def test_exact_posterior_gives_the_exact_log_likelihood(num_samples):
    # Every importance weight equals p(x) when q(z|x) is the true posterior.
    bound = iwae_bound(_linear_vae(), X, num_samples=num_samples, seed=3)
    np.testing.assert_allclose(bound, _log_marginal(X), atol=1e-4)


def test_bound_tightens_with_more_samples_and_stays_below():
    vae = _linear_vae(posterior_scale=0.5, posterior_log_var_shift=1.0)
    x = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32) * 1.1
    truth = _log_marginal(x).mean()
    bounds = [iwae_bound(vae, x, num_samples=k, seed=0).mean() for k in (1, 8, 64)]
    assert bounds[0] < bounds[1] < bounds[2] < truth + 1e-3
    assert truth - bounds[2] < 0.5 * (truth - bounds[0])


def test_summary_reports_bits_per_dimension():
    summary = iwae_summary(_linear_vae(), X, num_samples=2)
    assert summary["log_likelihood_bound"] == pytest.approx(_log_marginal(X).mean(), abs=1e-4)
    assert summary["bits_per_dim"] == pytest.approx(
        -summary["log_likelihood_bound"] / (2 * math.log(2)))


def test_models_without_a_likelihood_are_refused():
    class NoLikelihood:
        latent_dim = 2

    assert supports_iwae(_linear_vae())
    assert not supports_iwae(NoLikelihood())
    with pytest.raises(ConfigError, match="explicit decoder likelihood"):
        iwae_bound(NoLikelihood(), X)


def test_an_implicit_posterior_gets_its_own_estimate_not_the_bound():
    from model_harness import make_model

    from tfhybrids.data.four_points import four_point_images
    from tfhybrids.evaluation.likelihood import log_likelihood_summary, supports_own_estimate

    mlp = {"type": "mlp", "hidden_units": [8]}
    avb = make_model({"model": {"class": "AVB", "latent_dim": 2, "noise_dim": 3,
                                "encoder": mlp, "decoder": mlp, "discriminator": mlp},
                      "shape": (2, 2, 1)})
    # The bound's weights need log q(z|x), which AVB's sampler does not have.
    assert not supports_iwae(avb) and supports_own_estimate(avb)
    assert not supports_own_estimate(_linear_vae())
    x = four_point_images()
    with pytest.raises(ConfigError, match="implicit posterior"):
        iwae_bound(avb, x)
    summary = log_likelihood_summary(avb, x, num_samples=16, seed=3)
    expected = avb.log_likelihood(x, num_samples=16, seed=3)
    assert summary["log_likelihood"] == pytest.approx(float(expected.mean()), rel=1e-6)
    assert summary["num_examples"] == 4 and summary["num_samples"] == 16
    assert summary["bits_per_dim"] == pytest.approx(-summary["log_likelihood"] / (4 * math.log(2)))
    with pytest.raises(ConfigError, match="no log_likelihood estimator"):
        log_likelihood_summary(_linear_vae(), X)
