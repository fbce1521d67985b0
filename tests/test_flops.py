"""The FLOP counter of the benchmarks (benchmarks/flops.py): layers counted by hand, the
traced-graph count against the layer count, and a train step's passes as it runs them."""

import os
import sys

import keras
import pytest
import tensorflow as tf

from conftest import REPO
from model_harness import make_batch, make_model

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import flops  # noqa: E402


def single_layer(layer, input_shape):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, layer(inputs))


# (layer, input shape, FLOPs per example worked out by hand)
LAYER_CASES = {
    # 14x14x8 outputs, each a 4x4x1 window: 2 * 14*14*8 * 16.
    "conv_same_stride2": (keras.layers.Conv2D(8, 4, strides=2, padding="same"), (28, 28, 1),
                          2 * 14 * 14 * 8 * 16),
    # 3x3x4 outputs of 3x3x3 windows.
    "conv_valid": (keras.layers.Conv2D(4, 3, padding="valid"), (5, 5, 3), 2 * 9 * 4 * 27),
    # Two groups of 2 input channels each; 1x1 kernels.
    "conv_groups": (keras.layers.Conv2D(6, 1, groups=2), (4, 4, 4), 2 * 16 * 6 * 2),
    # Each of the 7x7x4 inputs spreads over a 4x4x2 patch (the output is 14x14x2).
    "transposed_same": (keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same"),
                        (7, 7, 4), 2 * 49 * 4 * 16 * 2),
    # 'valid' makes the output 7x7x5 rather than 6x6x5, with no more multiplies: each of the
    # 3x3x2 inputs still spreads over one 3x3x5 patch.
    "transposed_valid": (keras.layers.Conv2DTranspose(5, 3, strides=2, padding="valid"),
                         (3, 3, 2), 2 * 9 * 2 * 9 * 5),
    "dense": (keras.layers.Dense(3), (10,), 2 * 10 * 3),
    # A Dense on [4, 10] rows applies its 10x3 kernel to each of the 4 rows.
    "dense_rows": (keras.layers.Dense(3), (4, 10), 2 * 4 * 10 * 3),
}


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_layer_flops_match_the_hand_count_and_the_graph_ops(name):
    layer, shape, expected = LAYER_CASES[name]
    network = single_layer(layer, shape)
    assert flops.layer_flops(layer) == expected
    assert flops.network_flops(network, batch_size=3) == 3 * expected
    # The ops TensorFlow runs for the layer (a Conv2DTranspose is a Conv2DBackpropInput) cost
    # the same as the layer's shapes say, whatever the padding.
    forward = tf.function(lambda x: network(x)).get_concrete_function(
        tf.TensorSpec((3, *shape), tf.float32))
    assert flops.graph_flops(forward.graph) == 3 * expected


def test_layers_without_contractions_cost_nothing():
    for layer, shape in ((keras.layers.BatchNormalization(), (4, 4, 2)),
                         (keras.layers.Flatten(), (4, 4, 2)), (keras.layers.ReLU(), (5,))):
        single_layer(layer, shape)
        assert flops.layer_flops(layer) == 0


def chain(first_filters=4):
    """Conv2D (no input gradient needed when trained) -> Flatten -> Dense."""
    inputs = keras.Input(shape=(8, 8, 1))
    x = keras.layers.Conv2D(first_filters, 3, strides=2, padding="same")(inputs)
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs)


def gradient_flops(network, wrt_input, batch=5):
    x_spec = tf.TensorSpec((batch, 8, 8, 1), tf.float32)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(network(x) ** 2)
        if wrt_input:
            return tape.gradient(loss, x)
        return tape.gradient(loss, network.trainable_variables)

    return flops.graph_flops(tf.function(step).get_concrete_function(x_spec).graph)


def test_backward_counts_only_the_gradients_a_player_needs():
    network = chain()
    conv, dense = network.layers[1], network.layers[3]
    conv_f, dense_f = 5 * flops.layer_flops(conv), 5 * flops.layer_flops(dense)
    # Weights trained: forward, weight gradients, and input gradients of all but the first
    # layer (nothing before it to pass them to). TensorFlow's gradient code builds the first
    # layer's input gradient too; it is pruned, so it is not counted.
    assert gradient_flops(network, wrt_input=False) == 3 * (conv_f + dense_f) - conv_f
    # Only passed through (to the input): forward and input gradients, no weight gradients.
    assert gradient_flops(network, wrt_input=True) == 2 * (conv_f + dense_f)


MLP = {"type": "mlp", "hidden_units": [16]}
CONV = {"type": "conv", "filters": [4, 8]}


@pytest.mark.slow
def test_vae_step_is_three_forward_passes_less_the_first_input_gradient():
    case = {"model": {"class": "VAE", "latent_dim": 2, "encoder": CONV, "decoder": CONV},
            "shape": (8, 8, 1)}
    model = make_model(case)
    x, y = make_batch(case, batch_size=4)
    encoder, decoder = flops.network_flops(model.encoder, 4), flops.network_flops(model.decoder, 4)
    first_conv = 4 * flops.layer_flops(model.encoder.layers[1])
    assert flops.train_step_flops(model, (x, y)) == 3 * (encoder + decoder) - first_conv


@pytest.mark.slow
def test_aae_step_counts_each_phase_as_it_runs():
    case = {"model": {"class": "AAE", "latent_dim": 2, "encoder": MLP, "decoder": MLP,
                      "discriminator": MLP}, "shape": (8, 8, 1)}
    model = make_model(case)
    x, y = make_batch(case, batch_size=4)
    e, d, c = (flops.network_flops(getattr(model, n), 4)
               for n in ("encoder", "decoder", "discriminator"))
    e1, c1 = (first_contraction(net, 4) for net in (model.encoder, model.discriminator))
    reconstruction = (3 * e - e1) + 3 * d
    # The codes are only an input of the discriminator's update: the encoder runs forward.
    discriminator = e + 2 * (3 * c - c1)
    # The encoder as generator: the gradient goes through the discriminator to the encoder.
    generator = (3 * e - e1) + 2 * c
    assert flops.train_step_flops(model, (x, y)) == reconstruction + discriminator + generator


def test_a_contraction_without_a_formula_is_refused():
    spec = tf.TensorSpec((2, 3), tf.float32)
    einsum = tf.function(lambda a: tf.einsum("ij,kj->ik", a, a)).get_concrete_function(spec)
    with pytest.raises(ValueError, match="Einsum"):
        flops.graph_flops(einsum.graph)


def first_contraction(network, batch_size):
    layer = next(layer for layer in flops.layers_of(network) if flops.layer_flops(layer))
    return batch_size * flops.layer_flops(layer)


def test_vae_gan_step_counts_every_players_backward_pass():
    case = {"model": {"class": "VAEGAN", "latent_dim": 2, "encoder": CONV, "decoder": CONV,
                      "discriminator": CONV}, "shape": (8, 8, 1)}
    model = make_model(case)
    n = 4
    e, g, d = (flops.network_flops(getattr(model, name), n)
               for name in ("encoder", "decoder", "discriminator"))
    e1, g1, d1 = (first_contraction(getattr(model, name), n)
                  for name in ("encoder", "decoder", "discriminator"))
    # Dis_l is the discriminator up to its feature layer (-2): all but its logit layer.
    d_features = d - n * flops.layer_flops(model.discriminator.layers[-1])
    # Enc(x), Dec(z) and Dec(z_p), D on x, Dec(z) and Dec(z_p) (Dis_l(x) comes with D(x)).
    forward = e + 2 * g + 3 * d
    # L_prior + L_like: back through Dis_l and the whole decoder to the encoder's weights.
    encoder = d_features + g + (2 * e - e1)
    # gamma L_like + GAN loss, on both decoder passes: through all of D, into the decoder's
    # weights (its first layer's input, a code, needs no gradient).
    decoder = 2 * (d + 2 * g - g1)
    # -L_GAN: D's weights on its three passes.
    discriminator = 3 * (2 * d - d1)
    assert flops.train_step_flops(model, make_batch(case, batch_size=n)) == (
        forward + encoder + decoder + discriminator)


def test_throughput_refuses_a_rate_above_the_measured_gemm_rate_of_its_dtype():
    import throughput

    # 10 GFLOP/step: 200 GFLOP/s in fp32 and 600 in bf16 are below the peaks.
    throughput.check_below_peak("vae", 10.0, {"fp32": 20.0, "bf16": 60.0},
                                fp32_gemm=300.0, bf16_gemm=1300.0)
    # The old profiler count of VAE/GAN's step against a 300 GFLOP/s fp32 GEMM.
    with pytest.raises(RuntimeError, match="vae_gan fp32: .* above the 300 GFLOP/s .* fp32"):
        throughput.check_below_peak("vae_gan", 65.95, {"fp32": 4.6}, 300.0, 1300.0)
    with pytest.raises(RuntimeError, match="bf16: .* above the 1300 GFLOP/s .* bf16"):
        throughput.check_below_peak("dcgan", 20.0, {"fp32": 10.0, "bf16": 70.0}, 300.0, 1300.0)
