"""tfhybrids.networks.layers: the faster Conv2D computes Keras' function with Keras' weights."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfhybrids.networks.layers import Conv2D, Conv2DTranspose

# (input shape, kernel, stride, padding): each has a single output position.
SINGLE_POSITION = [
    ((4, 5, 5, 3), 4, 2, "valid"),  # pythae's last encoder layer: 3x3 padded by 1, kernel 4
    ((4, 4, 4, 3), 4, 1, "valid"),
    ((4, 2, 2, 3), 4, 2, "same"),   # padded 1 before and 1 after
    ((4, 1, 1, 3), 3, 2, "same"),
    ((4, 2, 3, 3), (3, 2), 3, "same"),
]


def _keras_and_fast(shape, kernel, stride, padding, **kwargs):
    reference = keras.layers.Conv2D(5, kernel, strides=stride, padding=padding, **kwargs)
    fast = Conv2D(5, kernel, strides=stride, padding=padding, **kwargs)
    reference.build(shape)
    fast.build(shape)
    rng = np.random.default_rng(0)
    fast.set_weights([rng.normal(size=w.shape).astype("float32") for w in reference.weights])
    reference.set_weights(fast.get_weights())
    return reference, fast


def _outputs_and_gradients(layer, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
    return [y] + tape.gradient(loss, [x] + layer.trainable_weights)


@pytest.mark.parametrize("shape,kernel,stride,padding", SINGLE_POSITION)
def test_single_position_output_is_keras_convolution(shape, kernel, stride, padding):
    reference, fast = _keras_and_fast(shape, kernel, stride, padding, activation="relu")
    assert fast._single_patch is not None  # the matrix-product path is the one under test
    x = tf.constant(np.random.default_rng(1).normal(size=shape).astype("float32"))
    for expected, got in zip(_outputs_and_gradients(reference, x),
                             _outputs_and_gradients(fast, x)):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_several_output_positions_use_keras_convolution():
    _, fast = _keras_and_fast((2, 6, 6, 3), 4, 2, "valid")
    assert fast._single_patch is None
    _, fast = _keras_and_fast((2, 4, 4, 3), 3, 2, "same")
    assert fast._single_patch is None


def test_mixed_precision_output_matches_keras():
    reference, fast = _keras_and_fast((4, 5, 5, 3), 4, 2, "valid", dtype="mixed_bfloat16")
    x = tf.constant(np.random.default_rng(2).normal(size=(4, 5, 5, 3)).astype("float32"))
    got, expected = fast(x), reference(x)
    assert got.dtype == expected.dtype == tf.bfloat16
    np.testing.assert_allclose(tf.cast(got, tf.float32).numpy(),
                               tf.cast(expected, tf.float32).numpy(), rtol=2e-2, atol=2e-2)


def test_saved_network_reloads_with_the_same_layer_and_outputs(tmp_path):
    inputs = keras.Input((5, 5, 3))
    model = keras.Model(inputs, Conv2D(4, 4, strides=2)(inputs))
    path = os.path.join(tmp_path, "net.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert type(reloaded.layers[-1]) is Conv2D
    x = np.random.default_rng(3).normal(size=(2, 5, 5, 3)).astype("float32")
    np.testing.assert_array_equal(reloaded(x).numpy(), model(x).numpy())


# (input shape, kernel, stride, padding) of small inputs with many channels: the matrix form.
SMALL_TRANSPOSED = [
    ((2, 4, 4, 256), 3, 2, "valid"),  # pythae's first decoder layer, 4x4 -> 9x9
    ((2, 4, 4, 256), 4, 2, "same"),   # DCGAN's
    ((2, 2, 2, 256), 5, 2, "same"),
    ((2, 4, 4, 256), 3, 1, "same"),
]


@pytest.mark.parametrize("shape,kernel,stride,padding", SMALL_TRANSPOSED)
def test_small_input_transposed_convolution_is_keras(shape, kernel, stride, padding):
    reference = keras.layers.Conv2DTranspose(3, kernel, strides=stride, padding=padding,
                                             activation="tanh")
    fast = Conv2DTranspose(3, kernel, strides=stride, padding=padding, activation="tanh")
    reference.build(shape)
    fast.build(shape)
    assert fast._gemm_crop is not None
    rng = np.random.default_rng(4)
    fast.set_weights([0.05 * rng.normal(size=w.shape).astype("float32")
                      for w in reference.weights])
    reference.set_weights(fast.get_weights())
    x = tf.constant(rng.normal(size=shape).astype("float32"))
    for expected, got in zip(_outputs_and_gradients(reference, x),
                             _outputs_and_gradients(fast, x)):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


def test_larger_inputs_and_few_channels_keep_keras_transposed_convolution():
    for shape in ((2, 7, 7, 256), (2, 4, 4, 8)):
        layer = Conv2DTranspose(3, 3, strides=2, padding="same")
        layer.build(shape)
        assert layer._gemm_crop is None
