"""MLP and DCGAN-style convolutional networks.

The convolutional builders follow the architecture rules of DCGAN (Radford, Metz & Chintala
2015, arXiv 1511.06434, §3): strided convolutions instead of pooling, batch normalisation in
both networks except the generator's output layer and the discriminator's input layer, no
hidden dense layers beyond the generator's input projection, ReLU in the generator with tanh at
its output, LeakyReLU (slope 0.2) in the discriminator, and weights drawn from N(0, 0.02).
"""

import math

import keras
from keras import layers

from tfhybrids.errors import ConfigError
from tfhybrids.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_int_list,
    check_keys,
)

NETWORK_TYPES = ("mlp", "conv")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "tanh", "swish")

_COMMON_KEYS = {"type", "activation", "batch_norm", "dropout"}
_SPEC_KEYS = {
    "mlp": _COMMON_KEYS | {"hidden_units"},
    "conv": _COMMON_KEYS | {"filters", "kernel_size", "sync_batch_norm", "init_std",
                            "joint_units"},
}
_DEFAULTS = {
    "mlp": {"hidden_units": [512, 512], "batch_norm": False, "dropout": 0.0},
    "conv": {
        "filters": [32, 64],
        "kernel_size": 4,
        "batch_norm": True,
        "dropout": 0.0,
        # Synchronised batch norm computes moments over the global batch under a
        # distribution strategy, so N replicas train exactly like one device.
        "sync_batch_norm": True,
        "init_std": 0.02,
        # Dense layers after the conv features are joined with vector inputs (joint nets).
        "joint_units": [],
    },
}


def normalize_spec(spec, where="network"):
    """Validates a network spec and fills in its defaults.

    Args:
        spec: dict. ``type`` ("mlp" or "conv") plus that type's keys.
        where: str. Where the spec came from, for error messages.

    Returns:
        A new dict with every key of the type present.
    """
    if spec is None:
        spec = {"type": "mlp"}
    if not isinstance(spec, dict):
        raise ConfigError(
            f"{where}: expected a network spec such as {{type: mlp, hidden_units: [256]}}, "
            f"got {spec!r}."
        )
    kind = check_choice(where, "type", spec.get("type", "mlp"), NETWORK_TYPES)
    check_keys(where, spec, _SPEC_KEYS[kind])
    full = {"type": kind, **_DEFAULTS[kind], **spec}
    if "activation" in full:
        check_choice(where, "activation", full["activation"], ACTIVATIONS)
    check_bool(where, "batch_norm", full["batch_norm"])
    full["dropout"] = check_float(where, "dropout", full["dropout"], 0.0, 0.95)
    if kind == "mlp":
        full["hidden_units"] = check_int_list(where, "hidden_units", full["hidden_units"],
                                              allow_empty=True)
    else:
        full["filters"] = check_int_list(where, "filters", full["filters"])
        full["kernel_size"] = check_int(where, "kernel_size", full["kernel_size"], 1, 9)
        check_bool(where, "sync_batch_norm", full["sync_batch_norm"])
        full["init_std"] = check_float(where, "init_std", full["init_std"], 0.0,
                                       exclusive_minimum=True)
        full["joint_units"] = check_int_list(where, "joint_units", full["joint_units"],
                                             allow_empty=True)
    return full


def _activation(name):
    if name == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.2)
    return layers.Activation(name)


def _batch_norm(spec):
    return layers.BatchNormalization(synchronized=spec.get("sync_batch_norm", False))


def _conv_init(spec):
    return keras.initializers.RandomNormal(stddev=spec["init_std"], seed=None)


def _flat_inputs(input_shapes, name):
    """Inputs for one or several tensors, flattened and concatenated (for joint models)."""
    if isinstance(input_shapes, dict):
        inputs = {k: keras.Input(shape=tuple(s), name=f"{name}_{k}")
                  for k, s in input_shapes.items()}
        parts = list(inputs.values())
    else:
        inputs = keras.Input(shape=tuple(input_shapes), name=f"{name}_input")
        parts = [inputs]
    flat = [layers.Flatten()(p) if len(p.shape) > 2 else p for p in parts]
    x = flat[0] if len(flat) == 1 else layers.Concatenate()(flat)
    return inputs, x


def _mlp_trunk(x, spec, default_activation):
    activation = spec.get("activation", default_activation)
    for units in spec["hidden_units"]:
        x = layers.Dense(units)(x)
        if spec["batch_norm"]:
            x = layers.BatchNormalization()(x)
        x = _activation(activation)(x)
        if spec["dropout"]:
            x = layers.Dropout(spec["dropout"])(x)
    return x


def _conv_trunk(x, spec, activation):
    for i, filters in enumerate(spec["filters"]):
        x = layers.Conv2D(filters, spec["kernel_size"], strides=2, padding="same",
                          kernel_initializer=_conv_init(spec), use_bias=not spec["batch_norm"] or i == 0)(x)
        # DCGAN: no batch norm on the discriminator's (and encoder's) input layer.
        if spec["batch_norm"] and i > 0:
            x = _batch_norm(spec)(x)
        x = _activation(activation)(x)
        if spec["dropout"]:
            x = layers.Dropout(spec["dropout"])(x)
    return layers.Flatten()(x)


def _check_image_shape(shape, where):
    if len(shape) != 3:
        raise ConfigError(
            f"{where}: a conv network needs images of shape (height, width, channels), got "
            f"data of shape {tuple(shape)}; use type: mlp for vector data."
        )


def build_encoder(spec, input_shape, output_dim, name="encoder"):
    """Builds x -> vector of size `output_dim` (codes, or mean and log-variance stacked).

    Several inputs (a dict of name -> shape) make a *joint* network, e.g. the discriminator
    D(x, z) of BiGAN/ALI or an encoder E(x, c) conditioned on a label: with an MLP all inputs
    are flattened and concatenated; with a conv network the one image input goes through the
    conv stack, and its flattened features are concatenated with the vector inputs before the
    output layer (after `joint_units` dense layers, if given).

    Args:
        spec: dict. Network spec (see `normalize_spec`).
        input_shape: tuple, or dict of input name -> tuple.
        output_dim: int. Size of the output vector (no activation: the model decides).
        name: str. Name of the keras.Model.
    """
    spec = normalize_spec(spec, name)
    if spec["type"] == "conv":
        shapes = input_shape if isinstance(input_shape, dict) else {"input": input_shape}
        images = [k for k, v in shapes.items() if len(v) == 3]
        if len(images) != 1:
            raise ConfigError(
                f"{name}: a conv network takes exactly one image input, got inputs "
                f"{ {k: tuple(v) for k, v in shapes.items()} }; use type: mlp for vector data."
            )
        inputs = {k: keras.Input(shape=tuple(v), name=f"{name}_{k}") for k, v in shapes.items()}
        x = _conv_trunk(inputs[images[0]], spec, spec.get("activation", "leaky_relu"))
        vectors = [layers.Flatten()(inputs[k]) if len(shapes[k]) > 1 else inputs[k]
                   for k in shapes if k != images[0]]
        if vectors:
            x = layers.Concatenate()([x, *vectors])
            for units in spec.get("joint_units", []):
                x = layers.Dense(units)(x)
                x = _activation(spec.get("activation", "leaky_relu"))(x)
                if spec["dropout"]:
                    x = layers.Dropout(spec["dropout"])(x)
        if not isinstance(input_shape, dict):
            inputs = inputs["input"]
    else:
        inputs, x = _flat_inputs(input_shape, name)
        x = _mlp_trunk(x, spec, "relu")
    # Outputs in float32 under a mixed-precision policy: losses are computed from them.
    outputs = layers.Dense(output_dim, name=f"{name}_output", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def build_discriminator(spec, input_shape, name="discriminator", output_dim=1):
    """Builds x -> logits [batch, output_dim]; LeakyReLU by default, as in DCGAN."""
    spec = normalize_spec(spec, name)
    spec.setdefault("activation", "leaky_relu")
    return build_encoder(spec, input_shape, output_dim, name=name)


def build_decoder(spec, input_dim, output_shape, output_activation="tanh", name="decoder"):
    """Builds z -> x of shape `output_shape`.

    Args:
        spec: dict. Network spec (see `normalize_spec`).
        input_dim: int, or dict of name -> int for several vector inputs that are concatenated
            (e.g. a code and a one-hot condition).
        output_shape: tuple. Shape of one output, e.g. (28, 28, 1) or (2,).
        output_activation: str. "tanh" for images in [-1, 1], "linear" for logits or
            unbounded outputs.
        name: str. Name of the keras.Model.
    """
    spec = normalize_spec(spec, name)
    output_shape = tuple(int(s) for s in output_shape)
    if isinstance(input_dim, dict):
        inputs = {k: keras.Input(shape=(int(d),), name=f"{name}_{k}") for k, d in input_dim.items()}
        parts = list(inputs.values())
        x = parts[0] if len(parts) == 1 else layers.Concatenate()(parts)
    else:
        inputs = keras.Input(shape=(int(input_dim),), name=f"{name}_input")
        x = inputs
    if spec["type"] == "mlp":
        x = _mlp_trunk(x, spec, "relu")
        x = layers.Dense(math.prod(output_shape))(x)
        x = layers.Activation(output_activation, dtype="float32")(x)
        outputs = layers.Reshape(output_shape, name=f"{name}_output")(x)
        return keras.Model(inputs, outputs, name=name)

    _check_image_shape(output_shape, name)
    height, width, channels = output_shape
    filters = list(reversed(spec["filters"]))
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ConfigError(
            f"{name}: {len(filters)} stride-2 layers need image sides divisible by {factor}, "
            f"got {height}x{width}; use fewer filters (e.g. {len(filters) - 1}) or resize the data."
        )
    activation = spec.get("activation", "relu")
    init = _conv_init(spec)
    x = layers.Dense((height // factor) * (width // factor) * filters[0],
                     kernel_initializer=init, use_bias=not spec["batch_norm"])(x)
    if spec["batch_norm"]:
        x = _batch_norm(spec)(x)
    x = _activation(activation)(x)
    x = layers.Reshape((height // factor, width // factor, filters[0]))(x)
    for f in filters[1:]:
        x = layers.Conv2DTranspose(f, spec["kernel_size"], strides=2, padding="same",
                                   kernel_initializer=init, use_bias=not spec["batch_norm"])(x)
        if spec["batch_norm"]:
            x = _batch_norm(spec)(x)
        x = _activation(activation)(x)
    # DCGAN: no batch norm on the generator's output layer.
    x = layers.Conv2DTranspose(channels, spec["kernel_size"], strides=2, padding="same",
                               kernel_initializer=init)(x)
    outputs = layers.Activation(output_activation, name=f"{name}_output", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)
