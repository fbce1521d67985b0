"""KL divergences between an encoder's posterior and the prior.

Every model that needs a KL calls one of these; none writes its own.
"""

import tensorflow as tf

from tfhybrids.losses.precision import loss_precision


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, in closed form.

    Kingma & Welling 2014 (arXiv 1312.6114), Appendix B:
    KL = -1/2 sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j)).

    Args:
        mean: float tensor [batch, latent_dim]. Posterior means.
        log_var: float tensor [batch, latent_dim]. Posterior log-variances.

    Returns:
        float tensor [batch]: the divergence of each example, in nats.
    """
    mean, log_var = loss_precision(mean, log_var)
    return -0.5 * tf.reduce_sum(1.0 + log_var - tf.square(mean) - tf.exp(log_var), axis=-1)


def gaussian_log_density(z, mean, log_var):
    """log N(z; mean, diag(exp(log_var))) per example, summed over the last axis."""
    z, mean, log_var = loss_precision(z, mean, log_var)
    log_two_pi = tf.math.log(tf.constant(2.0 * 3.141592653589793, z.dtype))
    return -0.5 * tf.reduce_sum(
        log_two_pi + log_var + tf.square(z - mean) * tf.exp(-log_var), axis=-1
    )


def monte_carlo_kl(z, mean, log_var, prior_log_prob):
    """Single-sample Monte-Carlo estimate of KL(q(z|x) || p(z)) per example.

    KL ≈ log q(z|x) - log p(z) with z drawn from q(z|x) by the reparameterisation trick, so
    the estimate is differentiable in the encoder's outputs. Used when the prior has a
    log-density but no closed-form KL with a Gaussian (e.g. a mixture of Gaussians).

    Args:
        z: float tensor [batch, latent_dim]. A sample from q(z|x).
        mean: float tensor [batch, latent_dim]. Posterior means.
        log_var: float tensor [batch, latent_dim]. Posterior log-variances.
        prior_log_prob: float tensor [batch]. log p(z) of the same samples.

    Returns:
        float tensor [batch]: unbiased estimate of the divergence of each example.
    """
    log_q, prior_log_prob = loss_precision(gaussian_log_density(z, mean, log_var),
                                           prior_log_prob)
    return log_q - prior_log_prob
