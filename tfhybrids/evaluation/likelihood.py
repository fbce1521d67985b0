"""Importance-weighted lower bound on log p(x) (Burda, Grosse & Salakhutdinov 2015, arXiv
1509.00519) for models with an explicit decoder likelihood:

    L_K(x) = E[ log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x) ],   z_1..K ~ q(z|x),

a lower bound on log p(x) that tightens as K grows (L_1 is the ELBO). The estimate here is one
draw of the K samples per example. Values are in nats per example; for images the likelihood is
the model's own (Bernoulli on intensities mapped to [0, 1], or Gaussian with its fixed standard
deviation on [-1, 1]), so figures are comparable only between models with the same likelihood.

What a model needs (the VAE has all of it): `encode(x)` -> (mean, log_var) of a diagonal
Gaussian q(z|x); `decode_outputs(z)` and `likelihood` ("bernoulli": logits; "gaussian": means
with `observation_std`); `prior` (a tfhybrids Prior with a log-density, or None for N(0, I));
`latent_dim`.

A model whose posterior is implicit (`implicit_posterior = True`: AVB, whose q(z|x) is a
neural sampler with no density) cannot use the bound, whose weights need log q(z|x). It
estimates log p(x) itself with `log_likelihood(x, num_samples, seed)`, and
`log_likelihood_summary` reports that estimate. For AVB it is importance sampling from a
proposal whose density is known (a mixture of the prior and a Gaussian fitted to draws of
q(z|x)): an unbiased estimate of p(x), so its log is a stochastic lower bound of log p(x) that
tightens as K grows, like the IWAE bound. Mescheder et al. (2017) evaluate AVB with annealed
importance sampling instead, which is also a stochastic lower bound; the two agree in the
limit of many samples, and figures from the two are comparable only as bounds.
"""

import math

import numpy as np
import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.validation import check_int


def _has_explicit_likelihood(model):
    prior = getattr(model, "prior", None)
    return (all(hasattr(model, name) for name in ("decode_outputs", "likelihood",
                                                   "latent_dim"))
            and getattr(model, "likelihood", None) in ("bernoulli", "gaussian")
            and (prior is None or prior.has_log_prob))


def supports_iwae(model):
    """True when the model has the explicit likelihood and Gaussian posterior the bound needs."""
    return (_has_explicit_likelihood(model) and hasattr(model, "encode")
            and not getattr(model, "implicit_posterior", False))


def supports_own_estimate(model):
    """True when the model has an implicit posterior and its own estimator of log p(x)."""
    return (_has_explicit_likelihood(model) and getattr(model, "implicit_posterior", False)
            and callable(getattr(model, "log_likelihood", None)))


def _diagonal_gaussian_log_prob(z, mean, log_var):
    return -0.5 * tf.reduce_sum(
        math.log(2.0 * math.pi) + log_var + tf.square(z - mean) * tf.exp(-log_var), axis=-1)


def _log_likelihood(model, x, outputs):
    if model.likelihood == "bernoulli":
        return -losses.bernoulli_nll(x, outputs)
    return -losses.gaussian_nll(x, outputs, math.log(model.observation_std))


def _log_prior(model, z):
    if model.prior is None:
        return _diagonal_gaussian_log_prob(z, tf.zeros_like(z), tf.zeros_like(z))
    return model.prior.log_prob(z)


def iwae_log_weights(model, x, num_samples, seed):
    """log p(x|z_k) + log p(z_k) - log q(z_k|x) for K samples of each example: [n, K]."""
    x = tf.convert_to_tensor(x, tf.float32)
    n = tf.shape(x)[0]
    mean, log_var = model.encode(x, training=False)
    eps = tf.random.stateless_normal(tf.stack([num_samples, n, model.latent_dim]), seed=seed)
    z = mean[None] + tf.exp(0.5 * log_var)[None] * eps               # [K, n, d]
    flat_z = tf.reshape(z, [-1, model.latent_dim])
    outputs = model.decode_outputs(flat_z, training=False)
    tiled_x = tf.reshape(tf.repeat(x[None], num_samples, axis=0),
                         tf.concat([[-1], tf.shape(x)[1:]], 0))
    log_px = tf.reshape(_log_likelihood(model, tiled_x, outputs), [num_samples, n])
    log_pz = tf.reshape(_log_prior(model, flat_z), [num_samples, n])
    log_qz = _diagonal_gaussian_log_prob(z, mean[None], log_var[None])
    return tf.transpose(log_px + log_pz - log_qz)


def iwae_bound(model, x, num_samples=64, seed=0, batch_size=None):
    """Per-example IWAE bound L_K(x) in nats, float64 [n].

    Args:
        model: a model with an explicit likelihood (see the module docstring).
        x: array [n, ...] in the data's range.
        num_samples: int. K. Defaults to 64.
        seed: int. Seeds the posterior samples. Defaults to 0.
        batch_size: int or None. Examples per batch (each decoded K times). Defaults to
            about 1024 decodes a batch: max(1, 1024 // K).

    Raises:
        ConfigError: when the model has no explicit likelihood (GANs, AAEs, ...).
    """
    if getattr(model, "implicit_posterior", False):
        raise ConfigError(f"{type(model).__name__} has an implicit posterior with no density, "
                          f"which the importance-weighted bound needs; use "
                          f"log_likelihood_summary (its own log_likelihood estimate).")
    if not supports_iwae(model):
        raise ConfigError(f"{type(model).__name__} has no explicit decoder likelihood and "
                          f"Gaussian posterior, which the importance-weighted bound needs "
                          f"(the VAE has them).")
    num_samples = check_int("iwae_bound", "num_samples", num_samples, minimum=1)
    batch_size = batch_size or max(1, 1024 // num_samples)
    x = np.asarray(x, np.float32)
    bounds = []
    for index, start in enumerate(range(0, len(x), batch_size)):
        log_w = iwae_log_weights(model, x[start:start + batch_size], num_samples,
                                 tf.constant([seed, index], tf.int32))
        bound = tf.reduce_logsumexp(tf.cast(log_w, tf.float64), axis=1) - math.log(num_samples)
        bounds.append(bound.numpy())
    return np.concatenate(bounds) if bounds else np.zeros((0,), np.float64)


def iwae_summary(model, x, num_samples=64, seed=0, batch_size=None):
    """{"log_likelihood_bound" (mean nats), "bits_per_dim", "num_samples", "num_examples"}."""
    bounds = iwae_bound(model, x, num_samples, seed, batch_size)
    dims = int(np.prod(np.shape(x)[1:]))
    mean = float(bounds.mean())
    return {"log_likelihood_bound": mean, "bits_per_dim": -mean / (dims * math.log(2.0)),
            "num_samples": int(num_samples), "num_examples": int(len(bounds)),
            "likelihood": model.likelihood}


def log_likelihood_summary(model, x, num_samples=64, seed=0):
    """The model's own estimate of log p(x) (implicit posteriors, see the module docstring):
    {"log_likelihood" (mean nats), "bits_per_dim", "num_samples", "num_examples",
    "likelihood", "estimator"}.

    Raises:
        ConfigError: when the model has no such estimator.
    """
    if not supports_own_estimate(model):
        raise ConfigError(f"{type(model).__name__} has no log_likelihood estimator for an "
                          f"implicit posterior; use iwae_summary for Gaussian posteriors.")
    num_samples = check_int("log_likelihood_summary", "num_samples", num_samples, minimum=1)
    estimates = np.asarray(model.log_likelihood(np.asarray(x, np.float32),
                                                num_samples=num_samples, seed=seed))
    dims = int(np.prod(np.shape(x)[1:]))
    mean = float(estimates.mean()) if len(estimates) else 0.0
    return {"log_likelihood": mean, "bits_per_dim": -mean / (dims * math.log(2.0)),
            "num_samples": int(num_samples), "num_examples": int(len(estimates)),
            "likelihood": model.likelihood,
            "estimator": f"{type(model).__name__}.log_likelihood (importance sampling)"}
