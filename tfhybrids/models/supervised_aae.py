"""Supervised adversarial autoencoder: the decoder gets the label, the code learns style."""

import tensorflow as tf

from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.models.aae import AAE
from tfhybrids.models.base import (
    codes_from_seeds, data_name, from_model_range, register_model, to_model_range,
)
from tfhybrids.validation import check_int


def checked_labels(labels, num_classes):
    """int32 labels, with a run-time check that they lie in [0, num_classes) (signatures)."""
    labels = tf.cast(labels, tf.int32)
    message = f"labels must lie in [0, {num_classes})"
    with tf.control_dependencies([
        tf.debugging.assert_non_negative(labels, message=message),
        tf.debugging.assert_less(labels, num_classes, message=message),
    ]):
        return tf.identity(labels)


@register_model
class SupervisedAAE(AAE):
    """Supervised adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey 2016,
    arXiv 1511.05644, §4, Fig. 6-7): disentangling the label from the style.

    The encoder q(z|x) sees only the image; the decoder sees the code z and the one-hot label
    y of the image, p(x|y, z); an adversarial network imposes the prior p(z) (a Gaussian in
    the paper) on the aggregated posterior q(z). Since the decoder is told the class, the code
    has no need to carry it and learns the style (slant, stroke width, ...): decoding one code
    with every label writes the same style in every class. Each step has the AAE's phases:

    1. Reconstruction: encoder and decoder minimise ||x - dec(enc(x), y)||^2 (or the
       Bernoulli NLL).
    2. Regularisation: the discriminator minimises -log D(z') - log(1 - D(enc(x))),
       z' ~ p(z); then the encoder minimises -log D(enc(x)) (non-saturating).

    Every training example needs its label (a label < 0 would feed the decoder an all-zero
    one-hot).

    Calling: `model((x, labels))` reconstructs; `call_inputs(x, y)` gives (x, y).
    `decode(z, labels)` writes style z as the given classes (row i as class i mod num_classes
    without labels). Like the conditional VAE/GAN it has no label-free `encode_outputs`, so
    the generic training pictures show samples of every class but no reconstructions; use
    `style_grid` for the paper's picture. Export signatures: `encode(images)` (the style code),
    `reconstruct(images, labels)`, `decode(codes, labels)`, `generate(seeds, labels)`.

    Metrics: `recon_loss`, `d_loss`, `g_loss`.

    Args:
        encoder: keras.Model. x -> z [batch, latent_dim].
        decoder: keras.Model. {"code": z, "label": one-hot [batch, num_classes]} -> x.
        discriminator: keras.Model. z -> logit [batch, 1].
        prior: tfhybrids.priors.Prior. The prior imposed on the style code.
        latent_dim: int. Size of z.
        num_classes: int. Number of classes. From a config, defaults to the data's.
        reconstruction_loss: str. "squared_error" or "bernoulli". Defaults to "squared_error".
        seed: int or None. Seed of the prior samples. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> from tfhybrids.priors import make_prior
    >>> model = SupervisedAAE(build_encoder({"type": "mlp"}, (8, 8, 1), 4),
    ...                       build_decoder({"type": "mlp"}, {"code": 4, "label": 10}, (8, 8, 1)),
    ...                       build_discriminator({"type": "mlp"}, (4,)),
    ...                       make_prior({"name": "gaussian"}, 4), latent_dim=4, num_classes=10)
    >>> model.compile()
    """

    def __init__(self, encoder, decoder, discriminator, prior, latent_dim, num_classes,
                 reconstruction_loss="squared_error", seed=None, **kwargs):
        super().__init__(encoder, decoder, discriminator, prior, latent_dim,
                         reconstruction_loss=reconstruction_loss, seed=seed, **kwargs)
        self.num_classes = check_int("model", "num_classes", num_classes, minimum=1)
        inputs = decoder.input
        if not isinstance(inputs, dict) or set(inputs) != {"code", "label"}:
            raise ConfigError("SupervisedAAE: the decoder must take a dict input {'code', "
                              f"'label'}} (built with a dict input_dim), got {inputs}.")
        if inputs["label"].shape[-1] != self.num_classes:
            raise ConfigError(
                f"SupervisedAAE: the decoder's label input has {inputs['label'].shape[-1]} "
                f"slots but num_classes is {self.num_classes}.")

    @classmethod
    def from_settings(cls, settings, prior, element_shape, num_classes=None, seed=None):
        settings = dict(settings)
        if "num_classes" not in settings:
            if not num_classes:
                raise ConfigError("model (SupervisedAAE): the data has no labels; set "
                                  "model.num_classes and give batches (x, y).")
            settings["num_classes"] = num_classes
        return super().from_settings(settings, prior, element_shape, num_classes, seed)

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        io = super().network_io(args, element_shape, num_classes, prior)
        role, decoder = io["decoder"]
        classes = check_int("model", "num_classes", args["num_classes"], minimum=1)
        io["decoder"] = (role, {**decoder, "input_dim": {"code": decoder["input_dim"],
                                                         "label": classes}})
        return io

    # ------------------------------------------------------------------ inference
    @property
    def encode_outputs(self):
        # No label-free encoder outputs: the generic pictures, coverage and signatures that
        # look for them would decode a style without its label (see the class docstring).
        raise AttributeError("SupervisedAAE has no label-free encode_outputs; use encode.")

    def one_hot(self, labels):
        return tf.one_hot(tf.cast(labels, tf.int32), self.num_classes, dtype=tf.float32)

    def decode(self, z, labels=None, training=False):
        """Images in [-1, 1] of style z and the given int labels (row i as class
        i mod num_classes when labels is None)."""
        if labels is None:
            labels = tf.range(tf.shape(z)[0]) % self.num_classes
        outputs = self.decoder({"code": tf.convert_to_tensor(z), "label": self.one_hot(labels)},
                               training=training)
        return self.likelihood_mean(outputs)

    def call_inputs(self, x, y=None):
        if y is None:
            raise ShapeError("SupervisedAAE reconstructs (images, labels); give labels y.")
        return x, y

    def call(self, inputs, training=False):
        """Reconstructs x of the given labels; inputs = (x, labels)."""
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise ShapeError("SupervisedAAE is called on (images, labels); use "
                             "model(model.call_inputs(x, labels)).")
        x, labels = inputs
        return self.decode(self.encode(x, training=training), labels, training=training)

    # ------------------------------------------------------------------ objective
    def decoder_inputs(self, z, batch):
        """The AAE's phases, with the decoder told the label: dec(enc(x), y)."""
        if batch.y is None:
            raise ShapeError("SupervisedAAE trains on batches (x, y) with the labels y.")
        return {"code": tf.convert_to_tensor(z), "label": self.one_hot(batch.y)}

    # ------------------------------------------------------------------ export
    def style_grid(self, codes, labels=None):
        """Images [num_codes * num_labels, ...]: row r decodes style codes[r] with each label
        in turn (all classes when labels is None), the paper's Fig. 7."""
        codes = tf.convert_to_tensor(codes, tf.float32)
        labels = tf.range(self.num_classes) if labels is None else tf.cast(labels, tf.int32)
        rows, columns = tf.shape(codes)[0], tf.shape(labels)[0]
        tiled_codes = tf.repeat(codes, columns, axis=0)
        tiled_labels = tf.tile(labels, [rows])
        return self.decode(tiled_codes, tiled_labels)

    def extra_serving_functions(self):
        name = data_name(self)
        data_spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name=name)
        label_spec = tf.TensorSpec([None], tf.int64, name="labels")
        code_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="codes")
        seed_spec = tf.TensorSpec([None], tf.int64, name="seeds")

        def encode(images):
            """Encodes images to their style `code`."""
            return {"code": self.encode(to_model_range(self, images))}

        def reconstruct(images, labels):
            """Reconstructs images of the given labels (images in [0, 1])."""
            x = to_model_range(self, images)
            return {name: from_model_range(
                self, self((x, checked_labels(labels, self.num_classes))))}

        def decode(codes, labels):
            """Decodes style codes as the given classes (images in [0, 1])."""
            return {name: from_model_range(
                self, self.decode(codes, checked_labels(labels, self.num_classes)))}

        def generate(seeds, labels):
            """One sample per (seed, label): the style code from the prior with the stateless
            seed seeds[i], written as class labels[i]."""
            codes = codes_from_seeds(self, seeds)
            images = self.decode(codes, checked_labels(labels, self.num_classes))
            return {name: from_model_range(self, images), "codes": codes}

        return {
            "encode": (encode, [data_spec]),
            "reconstruct": (reconstruct, [data_spec, label_spec]),
            "decode": (decode, [code_spec, label_spec]),
            "generate": (generate, [seed_spec, label_spec]),
        }

