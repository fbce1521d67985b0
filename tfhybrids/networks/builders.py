"""MLP and DCGAN-style convolutional networks.

The convolutional builders follow the architecture rules of DCGAN (Radford, Metz & Chintala
2015, arXiv 1511.06434, §3): strided convolutions instead of pooling, batch normalisation in
both networks except the generator's output layer and the discriminator's input layer, no
hidden dense layers beyond the generator's input projection, ReLU in the generator with tanh at
its output, LeakyReLU (slope 0.2) in the discriminator, and weights drawn from N(0, 0.02).

Four conv keys, whose defaults keep that DCGAN form, also express the 64x64 networks of
VAE/GAN (Larsen, Sonderby, Larochelle & Winther 2016, arXiv 1512.09300, Table 1), e.g.
encoder 5x5 conv 64-128-256 stride 2 with BN and ReLU, then a 2048-unit dense layer:
    strides          list of 1 or 2 per conv layer (default all 2). Larsen's discriminator
                     starts with a stride-1 5x5 conv of 32 filters.
    input_batch_norm bool, default false. Batch-normalise the first conv layer too (Larsen's
                     encoder does; DCGAN's rule leaves it out).
    dense_units      list of int, default []. Dense layers (BN when batch_norm, activation)
                     on the flattened conv features of an encoder or discriminator, before its
                     output: Larsen's encoder 2048, discriminator 512. In a decoder, dense
                     layers on the code before its projection to the first feature map (the
                     beta-VAE decoder's FC 256).
    upsample_output  bool, default true. For a decoder: false makes the output layer a
                     stride-1 conv and gives every `filters` entry an upsampling layer, so
                     filters [32, 128, 256] are Larsen's decoder: dense 8x8x256, 5x5
                     transposed convs 256-128-32 stride 2, then a 5x5 conv to the channels.
"""

import math
import warnings

import keras
from keras import layers

from tfhybrids.errors import ConfigError
from tfhybrids.networks.layers import Conv2D, Conv2DTranspose
from tfhybrids.networks.specs import ACTIVATIONS, NETWORK_TYPES, normalize_spec  # noqa: F401
from tfhybrids.validation import check_choice, check_int, check_int_list, check_keys

# A joint network D(x, z) must mix its inputs in at least one nonlinear layer: joined only in
# the linear output layer its logit is f(x) + g(z), which compares the marginals of x and z
# but cannot see how they go together. BiGAN (Donahue et al. 2016) and ALI (Dumoulin et al.
# 2016, appendix A) join the x and z paths and follow with further wide nonlinear layers; one
# layer of 256 units is a small default that can already express such a dependence.
DEFAULT_JOINT_UNITS = [256]


def _functional(inputs, outputs, name):
    """A functional model. Dict inputs are keyed by role ("x", "z", ...) while their tensors
    carry the network's name as a prefix, so that the input names stay unique across the
    networks of one model; Keras warns about the mismatch, which is intended here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="When providing `inputs` as a dict")
        return keras.Model(inputs, outputs, name=name)


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
    strides = spec.get("strides") or [2] * len(spec["filters"])
    for i, (filters, stride) in enumerate(zip(spec["filters"], strides)):
        # DCGAN: no batch norm on the discriminator's (and encoder's) input layer, unless
        # input_batch_norm asks for it (Larsen et al.'s encoder).
        normalised = spec["batch_norm"] and (i > 0 or spec.get("input_batch_norm", False))
        x = Conv2D(filters, spec["kernel_size"], strides=stride, padding="same",
                          kernel_initializer=_conv_init(spec), use_bias=not normalised)(x)
        if normalised:
            x = _batch_norm(spec)(x)
        x = _activation(activation)(x)
        if spec["dropout"]:
            x = layers.Dropout(spec["dropout"])(x)
    x = layers.Flatten()(x)
    for units in spec.get("dense_units", []):
        x = layers.Dense(units, kernel_initializer=_conv_init(spec),
                         use_bias=not spec["batch_norm"])(x)
        if spec["batch_norm"]:
            x = _batch_norm(spec)(x)
        x = _activation(activation)(x)
    return x


def _check_image_shape(shape, where):
    if len(shape) != 3:
        raise ConfigError(
            f"{where}: a conv network needs images of shape (height, width, channels), got "
            f"data of shape {tuple(shape)}; use type: mlp for vector data."
        )


def build_encoder(spec, input_shape, output_dim, name="encoder"):
    """Builds x -> vector of size `output_dim` (codes, or mean and log-variance stacked).

    Several inputs (a dict of name -> shape) make a *joint* network, e.g. the discriminator
    D(x, z) of BiGAN/ALI, VEEGAN's D(z, x), AVB's T(x, z) and sampler E(x, eps), or a network
    conditioned on a label. The inputs are always joined before at least one nonlinear layer,
    as in those papers, so the output can depend on how the inputs go together and not only
    on each one alone (joined in the linear output layer only, a logit would be a sum
    f(x) + g(z)). With an MLP all inputs are flattened and concatenated before the hidden
    layers, so `hidden_units` must not be empty. With a conv network the one image input goes
    through the conv stack, its flattened features are concatenated with the vector inputs,
    and `joint_units` dense layers follow before the output layer: [256] by default
    (DEFAULT_JOINT_UNITS; BiGAN and ALI use wider joint layers), never empty.
    A spec that cannot join is refused with a ConfigError.

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
            joint_units = spec["joint_units"]
            if joint_units is None:
                joint_units = DEFAULT_JOINT_UNITS
            if not joint_units:
                raise ConfigError(
                    f"{name}: joint_units: [] joins the image with "
                    f"{', '.join(sorted(k for k in shapes if k != images[0]))} only in the "
                    f"linear output layer, so the output is a sum of a function of each and "
                    f"cannot depend on how they go together; give at least one joint layer, "
                    f"e.g. joint_units: {DEFAULT_JOINT_UNITS} (the default).")
            x = layers.Concatenate()([x, *vectors])
            for units in joint_units:
                x = layers.Dense(units)(x)
                x = _activation(spec.get("activation", "leaky_relu"))(x)
                if spec["dropout"]:
                    x = layers.Dropout(spec["dropout"])(x)
        if not isinstance(input_shape, dict):
            inputs = inputs["input"]
    else:
        if isinstance(input_shape, dict) and len(input_shape) > 1 and not spec["hidden_units"]:
            raise ConfigError(
                f"{name}: hidden_units: [] joins the inputs {', '.join(sorted(input_shape))} "
                f"only in the linear output layer, so the output is a sum of a function of "
                f"each and cannot depend on how they go together; give at least one hidden "
                f"layer, e.g. hidden_units: [256].")
        inputs, x = _flat_inputs(input_shape, name)
        x = _mlp_trunk(x, spec, "relu")
    # Outputs in float32 under a mixed-precision policy: losses are computed from them.
    outputs = layers.Dense(output_dim, name=f"{name}_output", dtype="float32")(x)
    return _functional(inputs, outputs, name)


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
        # float32 too: a Reshape in the policy's dtype would cast the output back to bfloat16
        # or float16 under a mixed-precision policy.
        outputs = layers.Reshape(output_shape, name=f"{name}_output", dtype="float32")(x)
        return _functional(inputs, outputs, name)

    _check_image_shape(output_shape, name)
    height, width, channels = output_shape
    filters = list(reversed(spec["filters"]))
    upsample_output = spec.get("upsample_output", True)
    # Without an upsampling output layer every filters entry upsamples once (Larsen et al.).
    upsampling = filters[1:] if upsample_output else filters
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ConfigError(
            f"{name}: {len(filters)} stride-2 layers need image sides divisible by {factor}, "
            f"got {height}x{width}; use fewer filters (e.g. {len(filters) - 1}) or resize the data."
        )
    activation = spec.get("activation", "relu")
    init = _conv_init(spec)
    # Hidden dense layers on the code before the projection (the beta-VAE conv decoder
    # starts with FC 256).
    for units in spec.get("dense_units", []):
        x = layers.Dense(units, kernel_initializer=init, use_bias=not spec["batch_norm"])(x)
        if spec["batch_norm"]:
            x = _batch_norm(spec)(x)
        x = _activation(activation)(x)
    x = layers.Dense((height // factor) * (width // factor) * filters[0],
                     kernel_initializer=init, use_bias=not spec["batch_norm"])(x)
    if spec["batch_norm"]:
        x = _batch_norm(spec)(x)
    x = _activation(activation)(x)
    x = layers.Reshape((height // factor, width // factor, filters[0]))(x)
    for f in upsampling:
        x = Conv2DTranspose(f, spec["kernel_size"], strides=2, padding="same",
                                   kernel_initializer=init, use_bias=not spec["batch_norm"])(x)
        if spec["batch_norm"]:
            x = _batch_norm(spec)(x)
        x = _activation(activation)(x)
    # DCGAN: no batch norm on the generator's output layer.
    if upsample_output:
        x = Conv2DTranspose(channels, spec["kernel_size"], strides=2, padding="same",
                                   kernel_initializer=init)(x)
    else:
        x = Conv2D(channels, spec["kernel_size"], padding="same",
                          kernel_initializer=init)(x)
    outputs = layers.Activation(output_activation, name=f"{name}_output", dtype="float32")(x)
    return _functional(inputs, outputs, name)


# --------------------------------------------------------------------- image-to-image networks
# CycleGAN's networks (Zhu et al. 2017, arXiv 1703.10593, §4 and appendix 7.2), in their own
# spec types so the DCGAN specs above keep their meaning: a ResNet generator that maps an image
# to an image of the same shape, and a PatchGAN discriminator that scores overlapping patches.

_TRANSLATOR_KEYS = {"type", "filters", "downsamples", "residual_blocks", "norm"}
_TRANSLATOR_DEFAULTS = {"type": "resnet", "filters": 32, "downsamples": 2,
                        "residual_blocks": 6, "norm": "instance"}
_PATCH_KEYS = {"type", "filters", "norm"}
_PATCH_DEFAULTS = {"type": "patch", "filters": [64, 128, 256], "norm": "instance"}
IMAGE_NORMS = ("instance", "none")


def _image_spec(spec, where, kind, keys, defaults, example):
    """The spec (a dict or None) checked for unknown keys and of type `kind`, with the
    defaults filled in; `example` shows a valid spec in the error for anything else."""
    spec = {} if spec is None else spec
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a spec such as {example}, got {spec!r}.")
    check_keys(where, spec, keys)
    full = {**defaults, **spec}
    check_choice(where, "type", full["type"], (kind,))
    return full


def normalize_translator_spec(spec, where="generator"):
    """Validates an image-to-image generator spec ``{type: resnet, ...}`` and fills defaults.

    Keys: filters (int, width of the first layer; doubled at each downsampling), downsamples
    (int, stride-2 convolutions before the residual blocks, undone by as many transposed
    convolutions), residual_blocks (int), norm ("instance" as in the paper, or "none").
    """
    full = _image_spec(spec, where, "resnet", _TRANSLATOR_KEYS, _TRANSLATOR_DEFAULTS,
                       "{type: resnet, filters: 32, residual_blocks: 6}")
    full["filters"] = check_int(where, "filters", full["filters"], minimum=1)
    full["downsamples"] = check_int(where, "downsamples", full["downsamples"], 0, 5)
    full["residual_blocks"] = check_int(where, "residual_blocks", full["residual_blocks"], 0, 32)
    check_choice(where, "norm", full["norm"], IMAGE_NORMS)
    return full


def normalize_patch_spec(spec, where="discriminator"):
    """Validates a PatchGAN discriminator spec ``{type: patch, filters: [64, 128, 256]}``.

    Keys: filters (list of int, one stride-2 4x4 convolution each), norm ("instance" or
    "none"; never on the first layer, as in the paper).
    """
    full = _image_spec(spec, where, "patch", _PATCH_KEYS, _PATCH_DEFAULTS,
                       "{type: patch, filters: [64, 128]}")
    full["filters"] = check_int_list(where, "filters", full["filters"])
    check_choice(where, "norm", full["norm"], IMAGE_NORMS)
    return full


def _image_norm(kind):
    # Instance normalisation = group normalisation with one group per channel. It normalises
    # each example on its own, so replicas of a distributed batch need not communicate.
    if kind == "instance":
        return layers.GroupNormalization(groups=-1, epsilon=1e-5)
    return layers.Identity()


def build_image_translator(spec, image_shape, name="generator", output_channels=None):
    """Builds an image -> image ResNet generator (CycleGAN's, Johnson et al. 2016 style).

    c7s1-f, `downsamples` x (3x3 stride-2 conv, doubling f), `residual_blocks` x (two 3x3
    convs with a skip), `downsamples` x (3x3 stride-1/2 transposed conv, halving f), c7s1 to
    the output channels with tanh: outputs have the input's height and width, in [-1, 1].
    Departure from the paper: zero ("same") padding instead of reflection padding.

    Args:
        spec: dict. See `normalize_translator_spec`.
        image_shape: tuple. (height, width, channels) of the input images.
        name: str. Name of the keras.Model.
        output_channels: int or None. Channels of the output; the input's by default.
    """
    spec = normalize_translator_spec(spec, name)
    image_shape = tuple(int(s) for s in image_shape)
    _check_image_shape(image_shape, name)
    height, width, channels = image_shape
    factor = 2 ** spec["downsamples"]
    if height % factor or width % factor:
        raise ConfigError(
            f"{name}: {spec['downsamples']} downsamplings need image sides divisible by "
            f"{factor}, got {height}x{width}; lower downsamples or resize the data.")
    norm = spec["norm"]
    use_bias = norm == "none"
    init = keras.initializers.RandomNormal(stddev=0.02)

    def conv(x, filters, kernel, strides=1):
        return Conv2D(filters, kernel, strides=strides, padding="same",
                             use_bias=use_bias, kernel_initializer=init)(x)

    inputs = keras.Input(shape=image_shape, name=f"{name}_input")
    filters = spec["filters"]
    x = layers.ReLU()(_image_norm(norm)(conv(inputs, filters, 7)))
    for _ in range(spec["downsamples"]):
        filters *= 2
        x = layers.ReLU()(_image_norm(norm)(conv(x, filters, 3, strides=2)))
    for _ in range(spec["residual_blocks"]):
        h = layers.ReLU()(_image_norm(norm)(conv(x, filters, 3)))
        h = _image_norm(norm)(conv(h, filters, 3))
        x = layers.Add()([x, h])
    for _ in range(spec["downsamples"]):
        filters //= 2
        x = Conv2DTranspose(max(filters, 1), 3, strides=2, padding="same",
                                   use_bias=use_bias, kernel_initializer=init)(x)
        x = layers.ReLU()(_image_norm(norm)(x))
    x = Conv2D(output_channels or channels, 7, padding="same", kernel_initializer=init)(x)
    outputs = layers.Activation("tanh", name=f"{name}_output", dtype="float32")(x)
    return _functional(inputs, outputs, name)


def build_patch_discriminator(spec, image_shape, name="discriminator"):
    """Builds a PatchGAN discriminator: image -> a map of real/fake scores, one per patch.

    C(f1)-C(f2)-...: 4x4 stride-2 convolutions with LeakyReLU 0.2 (instance norm after all but
    the first), then a 4x4 stride-1 convolution to one channel with no activation (the
    least-squares GAN loss takes raw scores). The receptive field of each score is the patch
    it judges. The paper's 70x70 PatchGAN is C64-C128-C256-C512 with the C512 layer at
    stride 1; this builder makes every listed layer stride 2 (small images need fewer layers).

    Args:
        spec: dict. See `normalize_patch_spec`.
        image_shape: tuple. (height, width, channels).
        name: str. Name of the keras.Model.
    """
    spec = normalize_patch_spec(spec, name)
    image_shape = tuple(int(s) for s in image_shape)
    _check_image_shape(image_shape, name)
    if min(image_shape[:2]) < 2 ** len(spec["filters"]):
        raise ConfigError(
            f"{name}: {len(spec['filters'])} stride-2 layers need images of at least "
            f"{2 ** len(spec['filters'])} pixels a side, got {image_shape[0]}x{image_shape[1]}; "
            f"use fewer filters.")
    init = keras.initializers.RandomNormal(stddev=0.02)
    inputs = keras.Input(shape=image_shape, name=f"{name}_input")
    x = inputs
    for i, filters in enumerate(spec["filters"]):
        normed = i > 0 and spec["norm"] != "none"
        x = Conv2D(filters, 4, strides=2, padding="same", use_bias=not normed,
                          kernel_initializer=init)(x)
        if normed:
            x = _image_norm(spec["norm"])(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
    outputs = Conv2D(1, 4, padding="same", kernel_initializer=init,
                            name=f"{name}_output", dtype="float32")(x)
    return _functional(inputs, outputs, name)
