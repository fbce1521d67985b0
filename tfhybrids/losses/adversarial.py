"""GAN losses on discriminator logits, one value per example.

Goodfellow et al. 2014 (arXiv 1406.2661): the discriminator maximises
log D(x) + log(1 - D(G(z))); the generator either minimises log(1 - D(G(z))) (minimax) or,
as the paper recommends in practice, maximises log D(G(z)) (non-saturating). Mao et al. 2017
(arXiv 1611.04076): the least-squares variant that CycleGAN uses.

All functions take logits (pre-sigmoid scores) and return per-example values; the caller
reduces them (over the global batch under a distribution strategy).
"""

import tensorflow as tf

from tfhybrids.losses.precision import loss_precision


def _per_example(values):
    (values,) = loss_precision(values)
    if values.shape.rank is not None and values.shape.rank > 1:
        return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=-1)
    return values


def _bce(logits, target):
    (logits,) = loss_precision(logits)
    labels = tf.fill(tf.shape(logits), tf.cast(target, logits.dtype))
    return _per_example(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """-log D(real) - log(1 - D(fake)), per example.

    Args:
        real_logits: float tensor [batch] or [batch, ...] (patch outputs are averaged).
        fake_logits: float tensor of the same batch size.
        label_smoothing: float. One-sided smoothing of the real target (Salimans et al. 2016):
            the real label becomes 1 - label_smoothing. Defaults to 0.
    """
    return _bce(real_logits, 1.0 - label_smoothing) + _bce(fake_logits, 0.0)


def discriminator_real_loss(real_logits, label_smoothing=0.0):
    """-log D(real), per example: the half of the discriminator loss on real inputs."""
    return _bce(real_logits, 1.0 - label_smoothing)


def discriminator_fake_loss(fake_logits):
    """-log(1 - D(fake)), per example: the half of the discriminator loss on fakes."""
    return _bce(fake_logits, 0.0)


def non_saturating_generator_loss(fake_logits):
    """-log D(fake), per example (Goodfellow et al. 2014, §3)."""
    return _bce(fake_logits, 1.0)


def minimax_generator_loss(fake_logits):
    """log(1 - D(fake)), per example: the generator's side of the original minimax game."""
    return -_bce(fake_logits, 0.0)


def least_squares_discriminator_loss(real_outputs, fake_outputs):
    """(D(real) - 1)^2 + D(fake)^2, per example (Mao et al. 2017; CycleGAN's GAN loss).

    CycleGAN (Zhu et al. 2017, §4) halves the discriminator objective; the caller applies
    that factor.
    """
    real_outputs, fake_outputs = loss_precision(real_outputs, fake_outputs)
    return _per_example(tf.square(real_outputs - 1.0)) + _per_example(tf.square(fake_outputs))


def least_squares_generator_loss(fake_outputs):
    """(D(fake) - 1)^2, per example (Mao et al. 2017)."""
    (fake_outputs,) = loss_precision(fake_outputs)
    return _per_example(tf.square(fake_outputs - 1.0))
