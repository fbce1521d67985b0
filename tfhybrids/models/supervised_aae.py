"""Supervised adversarial autoencoder: the decoder gets the label, the code learns style."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.export.saved_model import codes_from_seeds, from_model_range, to_model_range
from tfhybrids.models.base import HybridModel, output_activation, register_model
from tfhybrids.validation import check_choice, check_int


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
class SupervisedAAE(HybridModel):
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

    network_names = ("encoder", "decoder", "discriminator")
    optimizer_names = ("autoencoder_optimizer", "discriminator_optimizer",
                       "generator_optimizer")
    metric_names = ("recon_loss", "d_loss", "g_loss")

    def __init__(self, encoder, decoder, discriminator, prior, latent_dim, num_classes,
                 reconstruction_loss="squared_error", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self.prior = prior
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.num_classes = check_int("model", "num_classes", num_classes, minimum=1)
        self.reconstruction_loss = check_choice("model", "reconstruction_loss",
                                                reconstruction_loss,
                                                ("squared_error", "bernoulli"))
        if prior is None or prior.latent_dim != self.latent_dim:
            raise ConfigError(
                f"SupervisedAAE: needs a prior of dimension latent_dim = {self.latent_dim}, "
                f"got {prior}.")
        inputs = decoder.input
        if not isinstance(inputs, dict) or set(inputs) != {"code", "label"}:
            raise ConfigError("SupervisedAAE: the decoder must take a dict input {'code', "
                              f"'label'}} (built with a dict input_dim), got {inputs}.")
        if inputs["label"].shape[-1] != self.num_classes:
            raise ConfigError(
                f"SupervisedAAE: the decoder's label input has {inputs['label'].shape[-1]} "
                f"slots but num_classes is {self.num_classes}.")
        self.image_shape = tuple(encoder.input_shape[1:])

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
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        classes = check_int("model", "num_classes", args["num_classes"], minimum=1)
        bernoulli = args.get("reconstruction_loss", "squared_error") == "bernoulli"
        return {
            "encoder": ("encoder", {"input_shape": element_shape, "output_dim": latent_dim}),
            "decoder": ("decoder", {"input_dim": {"code": latent_dim, "label": classes},
                                    "output_shape": element_shape,
                                    "output_activation": output_activation(bernoulli,
                                                                           element_shape)}),
            "discriminator": ("discriminator", {"input_shape": (latent_dim,)}),
        }

    # ------------------------------------------------------------------ inference
    def one_hot(self, labels):
        return tf.one_hot(tf.cast(labels, tf.int32), self.num_classes, dtype=tf.float32)

    def encode(self, x, training=False):
        """The style code z = enc(x)."""
        return self.encoder(x, training=training)


    def _decoder_outputs(self, z, labels, training):
        return self.decoder({"code": tf.convert_to_tensor(z), "label": self.one_hot(labels)},
                            training=training)

    def decode(self, z, labels=None, training=False):
        """Images in [-1, 1] of style z and the given int labels (row i as class
        i mod num_classes when labels is None)."""
        if labels is None:
            labels = tf.range(tf.shape(z)[0]) % self.num_classes
        outputs = self._decoder_outputs(z, labels, training)
        if self.reconstruction_loss == "bernoulli":
            return 2.0 * tf.sigmoid(outputs) - 1.0
        return outputs

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

    def sample_prior(self, num, seed):
        return self.prior.sample(num, seed)

    # ------------------------------------------------------------------ objective
    def _labels(self, y):
        if y is None:
            raise ShapeError("SupervisedAAE trains on batches (x, y) with the labels y.")
        return y

    def _reconstruction(self, x, y, training):
        z = self.encoder(x, training=training)
        outputs = self._decoder_outputs(z, y, training)
        if self.reconstruction_loss == "bernoulli":
            return losses.bernoulli_nll(x, outputs)
        return losses.squared_error(x, outputs)

    def _discriminator_loss(self, x, training):
        z_prior = self.prior_samples(self.prior, tf.shape(x)[0])
        z_data = self.encoder(x, training=training)
        return losses.minimax_discriminator_loss(
            self.discriminator(z_prior, training=training),
            self.discriminator(z_data, training=training))

    def _generator_loss(self, x, training):
        z_data = self.encoder(x, training=training)
        return losses.non_saturating_generator_loss(self.discriminator(z_data, training=training))

    def train_step(self, data):
        x, y = self.unpack(data)
        y = self._labels(y)
        with tf.GradientTape() as tape:
            recon = self._reconstruction(x, y, training=True)
            loss = self.reduce(recon)
        self.minimize(tape, loss, "autoencoder_optimizer")

        with tf.GradientTape() as tape:
            d_loss = self._discriminator_loss(x, training=True)
            loss = self.reduce(d_loss)
        self.minimize(tape, loss, "discriminator_optimizer")

        with tf.GradientTape() as tape:
            g_loss = self._generator_loss(x, training=True)
            loss = self.reduce(g_loss)
        self.minimize(tape, loss, "generator_optimizer")
        return self.update_trackers({"recon_loss": recon, "d_loss": d_loss, "g_loss": g_loss})

    def test_step(self, data):
        x, y = self.unpack(data)
        y = self._labels(y)
        return self.update_trackers({
            "recon_loss": self._reconstruction(x, y, training=False),
            "d_loss": self._discriminator_loss(x, training=False),
            "g_loss": self._generator_loss(x, training=False),
        })

    def player_variables(self, optimizer_name):
        if optimizer_name == "autoencoder_optimizer":
            return self.encoder.trainable_variables + self.decoder.trainable_variables
        if optimizer_name == "discriminator_optimizer":
            return self.discriminator.trainable_variables
        return self.encoder.trainable_variables

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
        name = "images" if len(self.image_shape) == 3 else "points"
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

    def get_config(self):
        config = super().get_config()
        config.update(self._networks_config())
        config.update({
            "prior": self.prior.get_config(),
            "latent_dim": self.latent_dim,
            "num_classes": self.num_classes,
            "reconstruction_loss": self.reconstruction_loss,
            "seed": self.seed,
        })
        return config
