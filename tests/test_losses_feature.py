"""Feature-space losses (VAE/GAN's Dis_l likelihood, feature matching) against hand values."""

import math

import numpy as np
import tensorflow as tf

from tfhybrids import losses

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def test_gaussian_feature_nll_by_hand():
    # Example 1: differences (1, -2): 1/2 (1 + 4) + 2 * 1/2 log(2 pi) = 2.5 + 1.8378771.
    # Example 2: identical features: only the constant, 1.8378771.
    real = tf.constant([[1.0, 0.0], [0.5, -0.5]])
    recon = tf.constant([[0.0, 2.0], [0.5, -0.5]])
    nll = losses.gaussian_feature_nll(real, recon)
    assert nll.shape == (2,)
    assert nll.dtype == tf.float32
    np.testing.assert_allclose(nll.numpy(), [4.3378771, 1.8378771], atol=1e-5)
    np.testing.assert_allclose(nll.numpy(), [2.5 + 2 * HALF_LOG_2PI, 2 * HALF_LOG_2PI],
                               atol=1e-5)


def test_gaussian_feature_nll_sums_over_a_feature_map():
    # A [1, 2, 1, 2] conv feature map is 4 features: differences (1, 1, 0, 3) -> 1/2 * 11.
    real = tf.constant([[[[1.0, 1.0]], [[0.0, 3.0]]]])
    recon = tf.zeros_like(real)
    np.testing.assert_allclose(losses.gaussian_feature_nll(real, recon).numpy(),
                               [5.5 + 4 * HALF_LOG_2PI], atol=1e-5)


def test_gaussian_feature_nll_with_a_log_scale():
    # sigma = e: 1/2 (2 / e)^2 + 1 + 1/2 log(2 pi) for a difference of 2.
    nll = losses.gaussian_feature_nll(tf.constant([[2.0]]), tf.constant([[0.0]]), log_scale=1.0)
    np.testing.assert_allclose(nll.numpy(), [0.2706706 + 1.0 + HALF_LOG_2PI], atol=1e-5)


def test_gaussian_feature_nll_gradient_pulls_the_reconstruction_to_the_real_features():
    real = tf.constant([[1.0, -1.0]])
    recon = tf.Variable([[0.0, 0.0]])
    with tf.GradientTape() as tape:
        nll = losses.gaussian_feature_nll(real, recon)
    np.testing.assert_allclose(tape.gradient(nll, recon).numpy(), [[-1.0, 1.0]], atol=1e-6)


def test_feature_matching_loss_by_hand():
    real = tf.constant([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    fake = tf.constant([[1.0, 0.0, 1.0], [1.0, -1.0, 0.5]])
    loss = losses.feature_matching_loss(real, fake)
    assert loss.shape == (2,)
    assert loss.dtype == tf.float32
    np.testing.assert_allclose(loss.numpy(), [8.0, 2.25], atol=1e-5)


def test_feature_matching_of_batch_means_is_salimans_objective():
    real = tf.constant([[1.0, 0.0], [3.0, 2.0]])   # mean (2, 1)
    fake = tf.constant([[0.0, 0.0], [0.0, 1.0]])   # mean (0, 0.5)
    loss = losses.feature_matching_loss(tf.reduce_mean(real, 0, keepdims=True),
                                        tf.reduce_mean(fake, 0, keepdims=True))
    np.testing.assert_allclose(loss.numpy(), [4.25], atol=1e-5)
