"""AVAE's latent reconstruction loss against hand-computed values."""

import numpy as np
import tensorflow as tf

from tfhybrids import losses


def test_per_dimension_scale():
    # sigma = (0.6, 0.8): sqrt(1 - sigma^2) = (0.8, 0.6).
    # Row 1: ((1 - 0.8*1) / 0.6)^2 + ((0 - 0.6*2) / 0.8)^2 = 0.111111 + 2.25 -> half 1.1805556
    # Row 2: ((0.5 - 0) / 0.6)^2 + ((-1 - 0.6*1) / 0.8)^2 = 0.694444 + 4.0 -> half 2.3472222
    loss = losses.latent_reconstruction_loss(
        mean=[[1.0, 0.0], [0.5, -1.0]], codes=[[1.0, 2.0], [0.0, 1.0]], scale=[0.6, 0.8])
    np.testing.assert_allclose(loss, [1.1805556, 2.3472222], atol=1e-5)
    assert loss.shape == (2,) and loss.dtype == tf.float32


def test_per_example_scale_and_variance_at_one():
    # Row 1: sigma = 1 -> target 0: (0.2 / 1)^2 / 2 = 0.02.
    # Row 2: sigma = 0.5 -> target sqrt(0.75) * 0.4 = 0.3464102; ((0.1 - 0.3464102) / 0.5)^2 / 2
    #        = 0.1214359.
    loss = losses.latent_reconstruction_loss(
        mean=[[0.2], [0.1]], codes=[[5.0], [0.4]], scale=[[1.0], [0.5]])
    np.testing.assert_allclose(loss, [0.02, 0.1214359], atol=1e-5)


def test_variance_above_one_means_a_zero_target():
    # sigma = 1.5: 1 - sigma^2 < 0 is clipped to 0, so only mean / sigma counts:
    # (0.3 / 1.5)^2 / 2 = 0.02.
    loss = losses.latent_reconstruction_loss(mean=[[0.3]], codes=[[2.0]], scale=[1.5])
    np.testing.assert_allclose(loss, [0.02], atol=1e-6)
    assert np.all(np.isfinite(loss))


def test_zero_exactly_at_the_rescaled_code():
    z = tf.constant([[1.5, -0.5, 2.0]])
    scale = tf.constant([0.1, 0.5, 0.9])
    mean = tf.sqrt(1.0 - scale ** 2) * z
    np.testing.assert_allclose(losses.latent_reconstruction_loss(mean, z, scale), [0.0],
                               atol=1e-6)
    # The un-rescaled code is not the optimum.
    assert float(losses.latent_reconstruction_loss(z, z, scale)[0]) > 0.01


def test_keeps_float64():
    loss = losses.latent_reconstruction_loss(
        tf.constant([[1.0, 0.0]], tf.float64), [[1.0, 2.0]], [0.6, 0.8])
    assert loss.dtype == tf.float64
    np.testing.assert_allclose(loss, [1.1805556], atol=1e-5)


def test_gradient_wrt_the_mean():
    # The loss is differentiable in the encoder's mean (how the generator learns); its
    # gradient wrt the mean is (mean - target) / sigma^2.
    mean = tf.Variable([[1.0, 0.0]])
    with tf.GradientTape() as tape:
        loss = losses.latent_reconstruction_loss(mean, [[1.0, 2.0]], [0.6, 0.8])
    grad = tape.gradient(loss, mean)
    np.testing.assert_allclose(grad, [[0.2 / 0.36, -1.2 / 0.64]], atol=1e-5)
