"""pythae 0.1.2's MNIST benchmark networks (`pythae.models.nn.benchmarks.mnist`) in Keras,
layer for layer, for benchmarks/vs_pytorch.py, and the copy of PyTorch weights into them.

PyTorch's `padding=1` of a 4x4 stride-2 convolution is a ZeroPadding2D(1) before a 'valid'
Conv2D (Keras' 'same' would pad 7 -> 8 on one side only and give 4, not 3). A 3x3 stride-2
ConvTranspose2d with `padding=1` crops one row and column of each side of the full ('valid')
transposed convolution, and `output_padding=1` gives one back on the far side: Cropping2D
((1, 1), (1, 1)) and ((1, 0), (1, 0)) after a 'valid' Conv2DTranspose (Keras' 'same' crops
the far side instead, which shifts the image by a pixel). The convolutions and transposed
convolutions are tfhybrids' own (`tfhybrids.networks.layers`, what the project's builders use:
Keras' layers with faster kernels for the same function, where a shape needs it). Batch norm uses PyTorch's epsilon
(1e-5) and momentum (0.1, Keras' 0.9). Images are NHWC; the decoder's projection is reordered
from PyTorch's (C, 4, 4) layout when weights are copied.

Under a mixed-precision policy the outputs the losses read are float32, as in
tfhybrids.networks. The discriminators end in a logit (tfhybrids' losses take logits; pythae's
nets end in a sigmoid of the same logit).
"""

import keras
import numpy as np
from keras import layers

from tfhybrids.networks.layers import Conv2D, Conv2DTranspose

PYTHAE_FILTERS = (128, 256, 512, 1024)
IMAGE_SHAPE = (28, 28, 1)
# The discriminator layer whose output is VAE/GAN's feature layer: the third convolution
# block, as pythae_worker.FEATURE_LEVEL.
FEATURE_LAYER = "conv3_act"


def _conv_block(x, filters, index, batch_norm, activation):
    x = layers.ZeroPadding2D(1, name=f"conv{index}_pad")(x)
    x = Conv2D(filters, 4, strides=2, name=f"conv{index}")(x)
    if batch_norm:
        x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=f"conv{index}_bn")(x)
    return layers.Activation(activation, name=f"conv{index}_act")(x)


def encoder(filters=PYTHAE_FILTERS, latent_dim=16, log_variance=True):
    """Encoder_Conv_VAE_MNIST: x -> [mean, log_var] (2 * latent_dim), or with
    `log_variance=False` Encoder_Conv_AE_MNIST's code alone."""
    x = inputs = keras.Input(IMAGE_SHAPE, name="x")
    for index, width in enumerate(filters, start=1):
        x = _conv_block(x, width, index, True, "relu")
    x = layers.Flatten(name="flatten")(x)
    mean = layers.Dense(latent_dim, name="embedding", dtype="float32")(x)
    if not log_variance:
        return keras.Model(inputs, mean, name="encoder")
    log_var = layers.Dense(latent_dim, name="log_var", dtype="float32")(x)
    outputs = layers.Concatenate(name="stats", dtype="float32")([mean, log_var])
    return keras.Model(inputs, outputs, name="encoder")


def decoder(filters=PYTHAE_FILTERS, latent_dim=16):
    """Decoder_Conv_AE_MNIST: z -> Dense 4x4xf -> three 3x3 stride-2 transposed convolutions
    (4 -> 7 -> 14 -> 28), BN and ReLU after the first two, a sigmoid after the last."""
    widths = list(reversed(filters))[:3]
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(16 * widths[0], name="project")(z)
    x = layers.Reshape((4, 4, widths[0]), name="start")(x)
    for index, (width, crop) in enumerate(zip(widths[1:] + [1], ((1, 1), (1, 0), (1, 0))),
                                          start=1):
        last = index == 3
        x = Conv2DTranspose(width, 3, strides=2, padding="valid", name=f"deconv{index}",
                                   dtype="float32" if last else None)(x)
        x = layers.Cropping2D((crop, crop), name=f"deconv{index}_crop",
                              dtype="float32" if last else None)(x)
        if not last:
            x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=f"deconv{index}_bn")(x)
            x = layers.Activation("relu", name=f"deconv{index}_act")(x)
    outputs = layers.Activation("sigmoid", name="reconstruction", dtype="float32")(x)
    return keras.Model(z, outputs, name="decoder")


def discriminator(filters=PYTHAE_FILTERS):
    """Discriminator_Conv_MNIST: four 4x4 stride-2 convolutions without batch norm
    (ReLU, tanh, ReLU, ReLU), then Dense -> 1 logit."""
    x = inputs = keras.Input(IMAGE_SHAPE, name="x")
    for index, (width, activation) in enumerate(zip(filters, ("relu", "tanh", "relu", "relu")),
                                                start=1):
        x = _conv_block(x, width, index, False, activation)
    x = layers.Flatten(name="flatten")(x)
    logit = layers.Dense(1, name="logit", dtype="float32")(x)
    return keras.Model(inputs, logit, name="discriminator")


def latent_discriminator(latent_dim=16, hidden=256):
    """pythae's default AAE discriminator (Discriminator_MLP): z -> Dense 256, ReLU ->
    Dense -> 1 logit."""
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(hidden, activation="relu", name="hidden")(z)
    logit = layers.Dense(1, name="logit", dtype="float32")(x)
    return keras.Model(z, logit, name="latent_discriminator")


# ---------------------------------------------------------------------- weights from PyTorch

def _dense(weight):
    return weight.T


def _conv(weight):  # [out, in, kh, kw] -> [kh, kw, in, out]
    return weight.transpose(2, 3, 1, 0)


def _deconv(weight):  # ConvTranspose2d [in, out, kh, kw] -> Conv2DTranspose [kh, kw, out, in]
    return weight.transpose(2, 3, 1, 0)


def _project(weight, bias, channels):
    # PyTorch reshapes the projection to (C, 4, 4), Keras to (4, 4, C): reorder the units.
    order = np.arange(channels * 16).reshape(channels, 4, 4).transpose(1, 2, 0).reshape(-1)
    return weight.T[:, order], bias[order]


def _batch_norm(torch_weights, prefix):
    # gamma, beta, moving mean, moving variance
    return [torch_weights[f"{prefix}.weight"], torch_weights[f"{prefix}.bias"],
            np.zeros_like(torch_weights[f"{prefix}.weight"]),
            np.ones_like(torch_weights[f"{prefix}.weight"])]


def torch_layout(network_name, torch_weights):
    """{keras layer name: [arrays]} from a PyTorch state dict ({param name: array}) of one of
    pythae_worker's networks (encoder, decoder, discriminator, latent_discriminator)."""
    w = torch_weights
    out = {}
    if network_name in ("encoder", "discriminator"):
        for i in range(4):
            out[f"conv{i + 1}"] = [_conv(w[f"layers.{i}.0.weight"]), w[f"layers.{i}.0.bias"]]
            if network_name == "encoder":
                out[f"conv{i + 1}_bn"] = _batch_norm(w, f"layers.{i}.1")
        if network_name == "encoder":
            out["embedding"] = [_dense(w["embedding.weight"]), w["embedding.bias"]]
            if "log_var.weight" in w:
                out["log_var"] = [_dense(w["log_var.weight"]), w["log_var.bias"]]
        else:
            out["logit"] = [_dense(w["layers.4.0.weight"]), w["layers.4.0.bias"]]
    elif network_name == "decoder":
        channels = w["layers.1.0.weight"].shape[0]
        out["project"] = list(_project(w["layers.0.weight"], w["layers.0.bias"], channels))
        for i in range(1, 4):
            out[f"deconv{i}"] = [_deconv(w[f"layers.{i}.0.weight"]), w[f"layers.{i}.0.bias"]]
            if i < 3:
                out[f"deconv{i}_bn"] = _batch_norm(w, f"layers.{i}.1")
    elif network_name == "latent_discriminator":
        out["hidden"] = [_dense(w["layers.0.0.weight"]), w["layers.0.0.bias"]]
        out["logit"] = [_dense(w["layers.1.0.weight"]), w["layers.1.0.bias"]]
    else:
        raise ValueError(f"unknown network {network_name!r}; expected encoder, decoder, "
                         "discriminator or latent_discriminator.")
    return out


def load_torch_weights(network, network_name, torch_weights):
    """Sets a Keras copy's weights from a PyTorch state dict ({param name: array})."""
    for layer_name, arrays in torch_layout(network_name, torch_weights).items():
        layer = network.get_layer(layer_name)
        layer.set_weights([np.asarray(a, dtype=np.float32) for a in arrays])


def torch_gradients(network_name, torch_gradient_arrays):
    """PyTorch's gradients of a network in its Keras copy's layout: {(layer name, index):
    array} for each layer's kernel and bias (or batch norm's gamma and beta), the order of
    `layer.trainable_weights`."""
    return {(layer_name, index): array
            for layer_name, arrays in torch_layout(network_name, torch_gradient_arrays).items()
            for index, array in enumerate(arrays[:2])}
