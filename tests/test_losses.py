"""Loss functions against values computed by hand."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfhybrids import losses

LN2 = math.log(2.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _value(x):
    return np.asarray(x, dtype=np.float64)


def test_gaussian_kl_matches_closed_form_by_hand():
    # Example 1: mean (1, 0), variances (1, 2): -1/2[(1 + 0 - 1 - 1) + (1 + ln2 - 0 - 2)].
    # Example 2: the prior itself: 0.
    mean = tf.constant([[1.0, 0.0], [0.0, 0.0]])
    log_var = tf.constant([[0.0, LN2], [0.0, 0.0]])
    kl = losses.gaussian_kl(mean, log_var)
    assert kl.shape == (2,)
    assert kl.dtype == tf.float32
    np.testing.assert_allclose(_value(kl), [-0.5 * (-1.0 + LN2 - 1.0), 0.0], atol=1e-5)
    np.testing.assert_allclose(_value(kl)[0], 0.6534264, atol=1e-5)


def test_monte_carlo_kl_is_log_q_minus_log_p():
    # 1-D, z = 1 under q = N(0, 1): log q = -1/2 - log sqrt(2 pi) = -1.4189385; log p = -2.
    z = tf.constant([[1.0], [0.0]])
    mean = tf.zeros((2, 1))
    log_var = tf.zeros((2, 1))
    prior_log_prob = tf.constant([-2.0, -HALF_LOG_2PI])
    kl = losses.monte_carlo_kl(z, mean, log_var, prior_log_prob)
    np.testing.assert_allclose(_value(kl), [-1.4189385 + 2.0, 0.0], atol=1e-5)


def test_gaussian_log_density_by_hand():
    z = tf.constant([[1.0, 2.0]])
    mean = tf.constant([[0.0, 2.0]])
    log_var = tf.constant([[0.0, math.log(4.0)]])
    expected = (-0.5 - HALF_LOG_2PI) + (-HALF_LOG_2PI - 0.5 * math.log(4.0))
    np.testing.assert_allclose(_value(losses.gaussian_log_density(z, mean, log_var)),
                               [expected], atol=1e-5)


def test_bernoulli_nll_maps_targets_to_unit_range():
    # targets -1 -> 0 with logit 0: ln 2; target 1 -> 1 with logit 2: ln(1 + e^-2).
    targets = tf.constant([[[[-1.0], [1.0]]]])
    logits = tf.constant([[[[0.0], [2.0]]]])
    nll = losses.bernoulli_nll(targets, logits)
    assert nll.shape == (1,)
    np.testing.assert_allclose(_value(nll), [LN2 + math.log1p(math.exp(-2.0))], atol=1e-5)
    np.testing.assert_allclose(_value(nll), [0.8200752], atol=1e-5)


def test_gaussian_nll_by_hand():
    targets = tf.constant([[1.0, 0.0]])
    mean = tf.constant([[0.0, 0.0]])
    np.testing.assert_allclose(_value(losses.gaussian_nll(targets, mean)),
                               [0.5 + 2 * HALF_LOG_2PI], atol=1e-5)
    # sigma = e^-1: 1/2 (1 / e^-1)^2 - 1 + const for the first pixel, -1 + const for the second
    got = losses.gaussian_nll(targets, mean, log_scale=-1.0)
    np.testing.assert_allclose(_value(got), [0.5 * math.e**2 - 2.0 + 2 * HALF_LOG_2PI],
                               atol=1e-4)


def test_squared_and_absolute_errors_per_example():
    predictions = tf.constant([[[1.0, 2.0]], [[3.0, -4.0]]])
    targets = tf.zeros_like(predictions)
    np.testing.assert_allclose(_value(losses.squared_error(targets, predictions)), [5.0, 25.0])
    np.testing.assert_allclose(_value(losses.mean_squared_error(targets, predictions)),
                               [2.5, 12.5])
    np.testing.assert_allclose(_value(losses.absolute_error(targets, predictions)), [3.0, 7.0])


def test_minimax_discriminator_loss_by_hand():
    real = tf.constant([[0.0], [2.0]])
    fake = tf.constant([[0.0], [-1.0]])
    loss = losses.minimax_discriminator_loss(real, fake)
    assert loss.shape == (2,)
    np.testing.assert_allclose(
        _value(loss), [2 * LN2, math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-1.0))],
        atol=1e-5)
    np.testing.assert_allclose(_value(loss), [1.3862944, 0.4401896], atol=1e-5)


def test_label_smoothing_moves_the_real_target():
    # target 0.9 at logit 0: -(0.9 ln 0.5 + 0.1 ln 0.5) = ln 2, unchanged; at logit 2 it grows.
    smooth = losses.minimax_discriminator_loss(tf.constant([2.0]), tf.constant([-50.0]), 0.1)
    expected = 0.9 * math.log1p(math.exp(-2.0)) + 0.1 * (2.0 + math.log1p(math.exp(-2.0)))
    np.testing.assert_allclose(_value(smooth), [expected], atol=1e-5)


def test_generator_losses_by_hand():
    fake = tf.constant([0.0, -1.0])
    np.testing.assert_allclose(_value(losses.non_saturating_generator_loss(fake)),
                               [LN2, math.log1p(math.e)], atol=1e-5)
    np.testing.assert_allclose(_value(losses.minimax_generator_loss(fake)),
                               [-LN2, -math.log1p(math.exp(-1.0))], atol=1e-5)


def test_discriminator_halves_add_up():
    real, fake = tf.constant([0.3, -2.0]), tf.constant([1.5, 0.1])
    np.testing.assert_allclose(
        _value(losses.discriminator_real_loss(real) + losses.discriminator_fake_loss(fake)),
        _value(losses.minimax_discriminator_loss(real, fake)), atol=1e-6)


def test_least_squares_losses_by_hand():
    np.testing.assert_allclose(
        _value(losses.least_squares_discriminator_loss(tf.constant([0.5, 1.0]),
                                                       tf.constant([0.5, 0.0]))),
        [0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(
        _value(losses.least_squares_generator_loss(tf.constant([0.5, 3.0]))), [0.25, 4.0],
        atol=1e-6)


def test_patch_outputs_are_averaged_per_example():
    # A PatchGAN gives [batch, h, w, 1] scores; each example's loss is the mean over patches.
    patches = tf.constant([[[[0.0]], [[2.0]]]])  # shape [1, 2, 1, 1]
    expected = 0.5 * (LN2 + math.log1p(math.exp(-2.0)))
    np.testing.assert_allclose(_value(losses.non_saturating_generator_loss(patches)),
                               [expected], atol=1e-5)


@pytest.mark.parametrize("dtype, expected", [(tf.float32, tf.float32), (tf.float16, tf.float32),
                                             (tf.bfloat16, tf.float32), (tf.float64, tf.float64)])
def test_losses_compute_in_at_least_float32(dtype, expected):
    x = tf.zeros((3, 4), dtype)
    assert losses.squared_error(x, x).dtype == expected
    assert losses.gaussian_kl(x, x).dtype == expected
    assert losses.non_saturating_generator_loss(tf.zeros((3, 1), dtype)).dtype == expected
    assert losses.feature_matching_loss(x, tf.zeros((3, 4), tf.float32)).dtype == expected


def test_half_precision_inputs_are_summed_in_float32():
    # 784 pixels off by (bfloat16's) 0.01 each. A bfloat16 result keeps 8 bits of mantissa
    # (0.0786 here, 8e-4 off); cast up first, the loss is exact to float32.
    targets = tf.zeros((1, 28, 28, 1), tf.bfloat16)
    predictions = tf.fill((1, 28, 28, 1), tf.constant(0.01, tf.bfloat16))
    rounded = float(tf.cast(tf.constant(0.01, tf.bfloat16), tf.float32))
    np.testing.assert_allclose(_value(losses.squared_error(targets, predictions)),
                               [784 * rounded**2], rtol=1e-5)
