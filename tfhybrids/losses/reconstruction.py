"""Reconstruction (negative log-likelihood) losses, one value per example.

Images live in [-1, 1] throughout tfhybrids. A Bernoulli likelihood is defined on [0, 1], so
`bernoulli_nll` maps its targets there; a Gaussian likelihood works in [-1, 1] directly.
"""

import math

import tensorflow as tf

from tfhybrids.losses.precision import loss_precision


def _sum_over_non_batch_axes(values):
    return tf.reduce_sum(tf.reshape(values, [tf.shape(values)[0], -1]), axis=-1)


def squared_error(targets, predictions):
    """Sum of squared errors over all non-batch axes, per example."""
    targets, predictions = loss_precision(targets, predictions)
    return _sum_over_non_batch_axes(tf.square(targets - predictions))


def mean_squared_error(targets, predictions):
    """Mean of squared errors over all non-batch axes, per example."""
    targets, predictions = loss_precision(targets, predictions)
    flat = tf.reshape(tf.square(targets - predictions), [tf.shape(predictions)[0], -1])
    return tf.reduce_mean(flat, axis=-1)


def absolute_error(targets, predictions):
    """Sum of absolute errors over all non-batch axes, per example (AlphaGAN's L1 term)."""
    targets, predictions = loss_precision(targets, predictions)
    return _sum_over_non_batch_axes(tf.abs(targets - predictions))


def bernoulli_nll(targets, logits):
    """-log Bernoulli(targets01 | sigmoid(logits)) summed over pixels, per example.

    Args:
        targets: float tensor [batch, ...] in [-1, 1]; mapped to [0, 1] as the probabilities
            of the Bernoulli (grey levels are treated as soft targets, the usual practice).
        logits: float tensor of the same shape. The decoder's pre-sigmoid outputs.

    Returns:
        float tensor [batch], in nats.
    """
    targets, logits = loss_precision(targets, logits)
    targets01 = (targets + 1.0) / 2.0
    per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets01, logits=logits)
    return _sum_over_non_batch_axes(per_pixel)


def gaussian_nll(targets, mean, log_scale=0.0):
    """-log N(targets | mean, exp(log_scale)^2) summed over all non-batch axes, per example.

    With log_scale = 0 this is 1/2 squared error plus a constant: the fixed-variance Gaussian
    decoder of a VAE. `log_scale` may be a scalar or broadcast against `mean` (a learned
    observation noise).
    """
    targets, mean, log_scale = loss_precision(targets, mean, log_scale)
    log_scale = tf.broadcast_to(log_scale, tf.shape(mean))
    per_element = (
        0.5 * tf.square((targets - mean) * tf.exp(-log_scale))
        + log_scale
        + 0.5 * math.log(2.0 * math.pi)
    )
    return _sum_over_non_batch_axes(per_element)
