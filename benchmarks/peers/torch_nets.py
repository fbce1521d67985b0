"""tfhybrids' MLP and DCGAN-style conv networks built layer for layer in PyTorch.

The builders take the filled-in specs and shapes that `benchmarks/flops.py --json` records for
a config (`network_settings`), and mirror `tfhybrids.networks.builders`:

- encoder / discriminator, conv: 4x4 stride-2 convolutions (TensorFlow's 'same' padding,
  which for an even kernel at stride 2 pads 1 on each side), batch norm after all but the
  first, LeakyReLU 0.2 by default, flatten, a linear output layer;
- decoder, conv: a linear projection to (H/2^n, W/2^n, f_0) with batch norm and ReLU, stride-2
  4x4 transposed convolutions ('same': padding 1), batch norm and ReLU after all but the
  last, which maps to the image channels, then the output activation;
- MLP: linear layers with the spec's activation, then a linear output layer.

Weights are initialised as PyTorch does by default: these nets are for counting and timing
the same work, not for reproducing tfhybrids' numbers. Images are NCHW (PyTorch's layout).
Only the DCGAN form of the specs is supported (no dropout, strides other than 2,
input batch norm, dense_units, stride-1 output layers or joint inputs): anything
else is refused with a ValueError.
"""

import math

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "elu": nn.ELU,
               "gelu": nn.GELU, "tanh": nn.Tanh, "swish": nn.SiLU}
OUTPUT_ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


def same_padding(kernel):
    """(padding, output_padding) of a stride-2 layer sized as TensorFlow's 'same' sizes it:
    a convolution halves the size (rounding up), a transposed convolution doubles it. With an
    even kernel that is padding (k - 2) / 2 on each side; with an odd one, (k - 1) / 2, and
    one output padding row and column for the transposed convolution. (TensorFlow pads an odd
    total on the bottom and right; the sizes, and so the FLOPs, are the same.)"""
    if kernel % 2 == 0:
        return (kernel - 2) // 2, 0
    return (kernel - 1) // 2, 1


# Spec keys these builders follow only at their DCGAN defaults (a joint network's
# joint_units need joint inputs, which are refused on their own).
DCGAN_FORM = {"dropout": 0.0, "input_batch_norm": False, "dense_units": [],
              "upsample_output": True}


def _check_supported(spec, name):
    unsupported = [key for key, default in DCGAN_FORM.items()
                   if spec.get(key, default) not in (default, None)]
    if any(stride != 2 for stride in spec.get("strides") or []):
        unsupported.append("strides")
    if unsupported:
        raise ValueError(f"{name}: the PyTorch builders do not support {unsupported}; "
                         "drop them from the spec or add them here.")


def _size(shape_or_dim):
    return math.prod(shape_or_dim) if isinstance(shape_or_dim, (list, tuple)) else int(shape_or_dim)


class ConvTrunk(nn.Module):
    """Image -> (flattened features, output): the features are what VAE/GAN's Dis_l reads
    (the layer before the output, feature_layer -2)."""

    def __init__(self, spec, image_shape, output_dim, default_activation):
        super().__init__()
        height, width, channels = image_shape
        activation = ACTIVATIONS[spec.get("activation", default_activation)]
        layers = []
        for i, filters in enumerate(spec["filters"]):
            batch_norm = spec["batch_norm"] and i > 0
            layers.append(nn.Conv2d(channels, filters, spec["kernel_size"], stride=2,
                                    padding=same_padding(spec["kernel_size"])[0],
                                    bias=not spec["batch_norm"] or i == 0))
            if batch_norm:
                layers.append(nn.BatchNorm2d(filters))
            layers.append(activation())
            channels, height, width = filters, -(-height // 2), -(-width // 2)
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        self.output = nn.Linear(channels * height * width, output_dim)

    def forward(self, x, with_features=False):
        features = self.trunk(x)
        output = self.output(features)
        return (features, output) if with_features else output


class MLP(nn.Module):
    def __init__(self, spec, input_size, output_size, default_activation, output_activation=None):
        super().__init__()
        activation = ACTIVATIONS[spec.get("activation", default_activation)]
        layers, width = [nn.Flatten()], input_size
        for units in spec["hidden_units"]:
            layers += [nn.Linear(width, units)]
            if spec["batch_norm"]:
                layers.append(nn.BatchNorm1d(units))
            layers.append(activation())
            width = units
        layers.append(nn.Linear(width, output_size))
        if output_activation:
            layers.append(OUTPUT_ACTIVATIONS[output_activation]())
        self.net = nn.Sequential(*layers)

    def forward(self, x, with_features=False):
        if with_features:
            features = self.net[:-1](x)
            return features, self.net[-1](features)
        return self.net(x)


class ConvDecoder(nn.Module):
    def __init__(self, spec, input_dim, image_shape, output_activation):
        super().__init__()
        height, width, channels = image_shape
        filters = list(reversed(spec["filters"]))
        factor = 2 ** len(filters)
        self.start = (filters[0], height // factor, width // factor)
        activation = ACTIVATIONS[spec.get("activation", "relu")]
        batch_norm = spec["batch_norm"]
        self.project = nn.Sequential(
            nn.Linear(input_dim, math.prod(self.start), bias=not batch_norm),
            *([nn.BatchNorm1d(math.prod(self.start))] if batch_norm else []), activation())
        kernel = spec["kernel_size"]
        padding, extra = same_padding(kernel)
        layers = []
        for previous, f in zip(filters, filters[1:]):
            layers.append(nn.ConvTranspose2d(previous, f, kernel, stride=2, padding=padding,
                                             output_padding=extra, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(f))
            layers.append(activation())
        layers += [nn.ConvTranspose2d(filters[-1], channels, kernel, stride=2, padding=padding,
                                      output_padding=extra),
                   OUTPUT_ACTIVATIONS[output_activation]()]
        self.upsample = nn.Sequential(*layers)

    def forward(self, z):
        return self.upsample(self.project(z).reshape(-1, *self.start))


def build_network(settings):
    """A PyTorch module from one entry of `network_settings` ({"role", "spec", "io"})."""
    role, spec, io = settings["role"], settings["spec"], settings["io"]
    _check_supported(spec, role)
    if isinstance(io.get("input_shape"), dict) or isinstance(io.get("input_dim"), dict):
        raise ValueError(f"{role}: the PyTorch builders do not build joint (several-input) "
                         f"networks, got inputs {io.get('input_shape') or io.get('input_dim')}.")
    if role in ("encoder", "discriminator"):
        shape = io["input_shape"]
        output_dim = io.get("output_dim", 1)
        default = "leaky_relu" if spec["type"] == "conv" or role == "discriminator" else "relu"
        if spec["type"] == "conv":
            return ConvTrunk(spec, shape, output_dim, default)
        return MLP(spec, _size(shape), output_dim, default)
    if role == "decoder":
        if spec["type"] == "conv":
            return ConvDecoder(spec, int(io["input_dim"]), io["output_shape"],
                               io.get("output_activation", "tanh"))
        return MLP(spec, int(io["input_dim"]), _size(io["output_shape"]), "relu",
                   io.get("output_activation", "tanh"))
    raise ValueError(f"unknown network role {role!r}")


def build_networks(networks):
    """{name: module} for a config's `network_settings`.

    Raises:
        ValueError: for a network these builders do not support (the message says which).
    """
    return {name: build_network(settings) for name, settings in networks.items()}


def image_batch(batch_size, image_shape, generator=None):
    """A batch of NCHW images in [-1, 1] of an HWC shape."""
    height, width, channels = image_shape
    return torch.rand(batch_size, channels, height, width, generator=generator) * 2 - 1
