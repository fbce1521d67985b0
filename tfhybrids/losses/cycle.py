"""Cycle-consistency and identity losses of CycleGAN (Zhu et al. 2017, arXiv 1703.10593, §3.2
and §5.2), one value per example.

The paper writes both as expected L1 norms, ||F(G(x)) - x||_1; its implementation averages the
absolute error over pixels, which is what the weight lambda = 10 is calibrated against (the
least-squares GAN terms are also per-pixel/per-patch means). These functions therefore return
the *mean* absolute error over all non-batch axes.
"""

import tensorflow as tf

from tfhybrids.losses.precision import loss_precision


def _mean_absolute_error(targets, predictions):
    targets, predictions = loss_precision(targets, predictions)
    flat = tf.reshape(tf.abs(targets - predictions), [tf.shape(predictions)[0], -1])
    return tf.reduce_mean(flat, axis=-1)


def cycle_consistency_loss(originals, reconstructions):
    """Mean |F(G(x)) - x| over pixels, per example (CycleGAN's L_cyc, one direction)."""
    return _mean_absolute_error(originals, reconstructions)


def identity_loss(images, mapped):
    """Mean |G(y) - y| over pixels, per example: a generator fed an image of its own target
    domain should leave it unchanged (CycleGAN §5.2, after Taigman et al. 2017)."""
    return _mean_absolute_error(images, mapped)
