"""Network builders: joint networks D(x, z) see how x and z go together."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfhybrids.errors import ConfigError
from tfhybrids.networks import build_discriminator, build_encoder
from tfhybrids.networks.builders import DEFAULT_JOINT_UNITS

JOINT_INPUTS = {"x": (8, 8, 1), "z": (2,)}


def dependent_pairs(n, seed):
    """Images whose left and right halves have brightness c[0] and c[1], c ~ U(-1, 1)^2, with
    z = c for the real pairs and z = a shuffled c for the fake ones: both sets have the same
    marginals of x and of z, and differ only in how x and z go together."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(-1.0, 1.0, size=(n, 2)).astype("float32")
    halves = [np.broadcast_to(c[:, None, None, i:i + 1], (n, 8, 4, 1)) for i in (0, 1)]
    x = np.concatenate(halves, axis=2) + 0.05 * rng.standard_normal((n, 8, 8, 1))
    return x.astype("float32"), c, c[rng.permutation(n)]


def test_default_conv_joint_discriminator_learns_a_dependence_the_marginals_do_not_show():
    # Joined only in the output layer (the former default joint_units: []), the logit is
    # f(x) + g(z) and this accuracy stays at 0.5 (0.49 and 0.50 over two seeds, 300 steps).
    keras.utils.set_random_seed(0)
    x, z_real, z_fake = dependent_pairs(2048, seed=0)
    # No batch norm: its moving averages would lag behind 60 steps at inference.
    discriminator = build_discriminator({"type": "conv", "filters": [4, 8], "batch_norm": False},
                                        JOINT_INPUTS)
    optimizer = keras.optimizers.Adam(3e-3)

    @tf.function
    def step(x, z_real, z_fake):
        with tf.GradientTape() as tape:
            real = discriminator({"x": x, "z": z_real}, training=True)
            fake = discriminator({"x": x, "z": z_fake}, training=True)
            loss = tf.reduce_mean(tf.nn.softplus(-real)) + tf.reduce_mean(tf.nn.softplus(fake))
        variables = discriminator.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    rng = np.random.default_rng(1)
    for _ in range(60):
        index = rng.integers(0, 1536, 64)
        step(x[index], z_real[index], z_fake[index])
    held_out = slice(1536, None)
    real = discriminator({"x": x[held_out], "z": z_real[held_out]}).numpy()
    fake = discriminator({"x": x[held_out], "z": z_fake[held_out]}).numpy()
    accuracy = 0.5 * ((real > 0).mean() + (fake < 0).mean())
    assert accuracy > 0.8, accuracy


def test_conv_joint_network_has_the_default_joint_layers():
    network = build_discriminator({"type": "conv", "filters": [4, 8]}, JOINT_INPUTS)
    dense = [layer.units for layer in network.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == [*DEFAULT_JOINT_UNITS, 1]
    # A single-input conv network has no joint layers.
    single = build_discriminator({"type": "conv", "filters": [4, 8]}, (8, 8, 1))
    assert [layer.units for layer in single.layers
            if isinstance(layer, keras.layers.Dense)] == [1]


@pytest.mark.parametrize("spec, key", [
    ({"type": "conv", "filters": [4, 8], "joint_units": []}, "joint_units"),
    ({"type": "mlp", "hidden_units": []}, "hidden_units"),
])
def test_a_joint_spec_that_cannot_join_is_refused(spec, key):
    with pytest.raises(ConfigError, match=rf"discriminator: {key}: \[\] joins .* e\.g\. {key}"):
        build_discriminator(spec, JOINT_INPUTS)
    # The same spec is fine for a single input.
    build_encoder(spec, (8, 8, 1), 3)


def test_conv_decoder_dense_units_come_before_the_projection():
    # The beta-VAE decoder: z -> FC 256 -> FC 4x4x64 -> transposed convs (Higgins et al. 2017).
    from tfhybrids.networks.builders import build_decoder

    spec = {"type": "conv", "filters": [8, 16], "batch_norm": False, "activation": "relu",
            "dense_units": [12]}
    decoder = build_decoder(spec, 3, (8, 8, 1))
    dense = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [12, 2 * 2 * 16]
    assert decoder(np.zeros((2, 3), "float32")).shape == (2, 8, 8, 1)
