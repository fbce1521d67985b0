"""Conditional VAE/GAN: encoder, decoder and discriminator all see a condition vector."""

import tensorflow as tf

from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.models.base import (
    codes_from_seeds, data_name, from_model_range, output_activation, register_model,
    to_model_range,
)
from tfhybrids.models.vae_gan import VAEGANBase
from tfhybrids.validation import check_int


@register_model
class ConditionalVAEGAN(VAEGANBase):
    """Conditional VAE/GAN (Larsen, Sønderby, Larochelle & Winther 2016, arXiv 1512.09300,
    attribute-conditioned generation): the VAE/GAN with a condition vector c
    concatenated to the input of every network, E(x, c), Dec(z, c) and Dis(x, c).

    Same objective and Algorithm 1 as `VAEGAN`, with every term conditioned on the example's c:

        L_prior = KL(q(z|x, c) || N(0, I))
        L_like  = -E_q(z|x,c)[log N(Dis_l(x, c) | Dis_l(Dec(z, c), c), I)]
        L_GAN   = log D(x, c) + log(1 - D(Dec(z, c), c)) + log(1 - D(Dec(z_p, c), c))

    encoder: L_prior + L_like; decoder: gamma * L_like - L_GAN (non-saturating GAN term);
    discriminator: -L_GAN only. Decoded prior samples z_p use the batch's own conditions, so
    D learns whether an image matches its condition as well as whether it is real.

    The condition here is the one-hot class label (`num_classes` values), which `fit` builds
    from the batch's int labels y. An attribute vector plugs in unchanged: give batches
    (x, attributes) with attributes a float [batch, num_classes] vector (e.g. the 0/1 face
    attributes of the paper's LFW face experiment, num_classes = number of attributes);
    rank-2 conditions are used as they are, rank-1 ones are one-hot encoded. (The export
    signatures below take class labels; an attribute model would add ones taking a float
    `conditions` [batch, num_classes] input in `extra_serving_functions`.)

    Networks: from a config, E and D are joint networks over {"image": x, "condition": c}
    (with a conv spec the condition joins the flattened conv features; give the discriminator
    `joint_units`, e.g. [256], so that it can model how image and condition interact rather
    than just a per-class bias) and the decoder takes {"code": z, "condition": c}.

    Calling: `model((x, c))` reconstructs x under condition c (c float [batch, num_classes]);
    `call_inputs(x, y)` gives (x, one_hot(y)). `decode(z, labels)` generates images of the
    given classes; without labels, row i gets class i mod num_classes (so a sample grid shows
    every class). There is no unconditional `encode_outputs(x)`, since encoding needs c (so
    the generic pictures draw samples of every class in turn, but no reconstructions
    grid; reconstruct with `model(model.call_inputs(x, y))`). Export
    signatures all take `labels` int64 [batch]: `generate(seeds, labels)` (reproducible per
    seed), `decode(codes, labels)`, `encode(images, labels)` and `reconstruct(images,
    labels)`.

    Departures from the paper: as `VAEGAN` (non-saturating decoder GAN loss); the paper
    conditions on attribute vectors of LFW faces, here on class labels by default.

    Metrics: `kl_loss`, `recon_loss`, `d_loss`, `g_loss` as in `VAEGAN`.

    Args:
        encoder: keras.Model. {"image": x, "condition": c} -> [batch, 2 * latent_dim].
        decoder: keras.Model. {"code": z, "condition": c} -> x in [-1, 1].
        discriminator: keras.Model. {"image": x, "condition": c} -> logit [batch, 1].
        latent_dim: int. Size of z.
        num_classes: int. Size of the condition vector (number of classes or attributes).
            From a config, defaults to the data's number of classes.
        prior: tfhybrids.priors.Prior or None. Must be N(0, I). Defaults to None: N(0, I).
        gamma: float. Weight of L_like in the decoder's loss (see `VAEGAN` for the
            choice of default). Defaults to 0.01.
        feature_layer: int or str. The discriminator layer giving Dis_l (index or name).
            Defaults to -2, the layer before the logits.
        seed: int or None. Seed of the noise and prior samples. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> conv = {"type": "conv", "filters": [32, 64]}
    >>> joint = {"image": (28, 28, 1), "condition": (10,)}
    >>> model = ConditionalVAEGAN(
    ...     build_encoder(conv, joint, 2 * 16),
    ...     build_decoder(conv, {"code": 16, "condition": 10}, (28, 28, 1)),
    ...     build_discriminator({**conv, "joint_units": [256]}, joint),
    ...     latent_dim=16, num_classes=10)
    >>> model.compile()
    >>> shirts = model.decode(tf.random.normal([8, 16]), labels=tf.fill([8], 6))
    """

    def __init__(self, encoder, decoder, discriminator, latent_dim, num_classes, prior=None,
                 gamma=0.01, feature_layer=-2, seed=None, **kwargs):
        self.num_classes = check_int("model", "num_classes", num_classes, minimum=1)
        for network in (encoder, decoder, discriminator):
            if not isinstance(network.input, dict) or "condition" not in network.input:
                raise ConfigError(
                    f"ConditionalVAEGAN: the {network.name} must take a dict input with a "
                    f"'condition' entry (built with a dict input shape), got {network.input}."
                )
            if network.input["condition"].shape[-1] != self.num_classes:
                raise ConfigError(
                    f"ConditionalVAEGAN: the {network.name} takes conditions of size "
                    f"{network.input['condition'].shape[-1]}, but num_classes is "
                    f"{self.num_classes}."
                )
        super().__init__(encoder, decoder, discriminator, latent_dim, prior=prior, gamma=gamma,
                         feature_layer=feature_layer, seed=seed, **kwargs)

    @classmethod
    def from_settings(cls, settings, prior, element_shape, num_classes=None, seed=None):
        settings = dict(settings)
        if "num_classes" not in settings:
            if not num_classes:
                raise ConfigError(
                    "model (ConditionalVAEGAN): the data has no labels; set model.num_classes "
                    "and give batches (x, condition)."
                )
            settings["num_classes"] = num_classes
        return super().from_settings(settings, prior, element_shape, num_classes, seed)

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        classes = check_int("model", "num_classes", args["num_classes"], minimum=1)
        if num_classes and classes != num_classes:
            raise ConfigError(
                f"model.num_classes: {classes}, but the data has {num_classes} classes; drop "
                "the key to use the data's."
            )
        joint = {"image": tuple(element_shape), "condition": (classes,)}
        return {
            "encoder": ("encoder", {"input_shape": joint, "output_dim": 2 * latent_dim}),
            "decoder": ("decoder", {"input_dim": {"code": latent_dim, "condition": classes},
                                    "output_shape": element_shape,
                                    "output_activation": output_activation(False,
                                                                           element_shape)}),
            "discriminator": ("discriminator", {"input_shape": joint}),
        }

    # ------------------------------------------------------------------ the condition
    def condition(self, labels):
        """The condition vector c [batch, num_classes] of int labels (one-hot) or of a float
        attribute/condition matrix (used as is)."""
        labels = tf.convert_to_tensor(labels)
        if labels.shape.rank == 2:
            return tf.cast(labels, tf.float32)
        return tf.one_hot(tf.cast(labels, tf.int32), self.num_classes, dtype=tf.float32)

    def _batch_condition(self, y):
        if y is None:
            raise ShapeError("ConditionalVAEGAN trains on batches (x, y) with labels or "
                             "condition vectors y; got images only.")
        return self.condition(y)

    # Keras refuses a dict input mixing arrays and tensors, hence the conversions.
    def _encoder_inputs(self, x, condition):
        return {"image": tf.convert_to_tensor(x), "condition": condition}

    def _decoder_inputs(self, z, condition):
        return {"code": tf.convert_to_tensor(z), "condition": condition}

    def _discriminator_inputs(self, x, condition):
        return {"image": tf.convert_to_tensor(x), "condition": condition}

    # ------------------------------------------------------------------ inference
    def call_inputs(self, x, y=None):
        """(x, one_hot(y)): what `call` takes to reconstruct the batch."""
        return x, self._batch_condition(y)

    def call(self, inputs, training=False):
        """Reconstructs x under condition c through the posterior mean; inputs = (x, c)."""
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise ShapeError(
                "ConditionalVAEGAN is called on (images, condition); use "
                "model(model.call_inputs(x, labels))."
            )
        x, condition = inputs
        condition = self.condition(condition)
        mean, _ = self.encode(x, condition, training=training)
        return self._generate(mean, condition, training)

    def encode(self, x, condition, training=False):
        """(mean, log_var) of q(z|x, c); condition: int labels or condition vectors."""
        return self._posterior(x, self.condition(condition), training)

    def decode(self, z, labels=None, training=False):
        """Dec(z, c): images in [-1, 1] of the given labels (int [batch]) or condition vectors
        ([batch, num_classes]); without them row i is decoded as class i mod num_classes."""
        if labels is None:
            labels = tf.range(tf.shape(z)[0]) % self.num_classes
        return self._generate(z, self.condition(labels), training)

    # ------------------------------------------------------------------ export
    def extra_serving_functions(self):
        data = data_name(self)
        data_spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name=data)
        label_spec = tf.TensorSpec([None], tf.int64, name="labels")
        code_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="codes")
        seed_spec = tf.TensorSpec([None], tf.int64, name="seeds")

        def checked(labels):
            labels = tf.cast(labels, tf.int32)
            message = f"labels must lie in [0, {self.num_classes})"
            with tf.control_dependencies([
                tf.debugging.assert_non_negative(labels, message=message),
                tf.debugging.assert_less(labels, self.num_classes, message=message),
            ]):
                return tf.identity(labels)

        def encode(images, labels):
            mean, log_var = self.encode(to_model_range(self, images), checked(labels))
            return {"mean": mean, "log_var": log_var}

        def reconstruct(images, labels):
            x = to_model_range(self, images)
            return {data: from_model_range(self, self((x, checked(labels))))}

        def decode(codes, labels):
            return {data: from_model_range(self, self.decode(codes, checked(labels)))}

        def generate(seeds, labels):
            codes = codes_from_seeds(self, seeds)
            images = self.decode(codes, checked(labels))
            return {data: from_model_range(self, images), "codes": codes}

        return {
            "encode": (encode, [data_spec, label_spec]),
            "reconstruct": (reconstruct, [data_spec, label_spec]),
            "decode": (decode, [code_spec, label_spec]),
            "generate": (generate, [seed_spec, label_spec]),
        }

