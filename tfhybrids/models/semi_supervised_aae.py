"""Semi-supervised adversarial autoencoder: a categorical label code and a Gaussian style code."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.models.aae import adversarial_autoencoder_phases
from tfhybrids.models.base import (
    HybridModel, codes_from_seeds, data_name, from_model_range, output_activation, register_model,
    sequential, to_model_range,
)
from tfhybrids.models.supervised_aae import checked_labels
from tfhybrids.priors import make_prior
from tfhybrids.validation import check_choice, check_int


class CategoricalStyleAAE(HybridModel):
    """What the semi-supervised, clustering and dimensionality-reduction AAEs share
    (Makhzani et al. 2016, arXiv 1511.05644, §5-§7, Fig. 8): an encoder q(y, z|x) with a
    categorical head y = softmax(logits) over K categories and a style head z, two code
    discriminators imposing Cat(K) on y and the prior p(z) on z, and a decoder p(x|y, z).

    Each step runs the paper's reconstruction and regularisation phases:

    1. Reconstruction: encoder and decoder minimise ||x - dec(y, z)||^2 (or Bernoulli NLL).
    2. Regularisation: each discriminator minimises -log D(prior sample) - log(1 - D(code)),
       the categorical one on one-hot samples of Cat(K) against y, the style one on samples
       of p(z) against z; then the encoder (the generator of both games) minimises
       -log D_y(y) - log D_z(z) (non-saturating). `d_loss` and `g_loss` are the sums of the
       two games' losses.

    Subclasses add the supervised phase (`SemiSupervisedAAE`) or the cluster heads
    (`DimensionalityReductionAAE`). This base class is not registered: it is not a model.

    Args:
        encoder: keras.Model. x -> [batch, num_classes + latent_dim]: the logits of q(y|x),
            then the style z.
        decoder: keras.Model. {"label": y [batch, num_classes], "code": z} -> x (see
            `decoder_inputs`, which a subclass may change).
        label_discriminator: keras.Model. y [batch, num_classes] -> logit [batch, 1].
        style_discriminator: keras.Model. z [batch, latent_dim] -> logit [batch, 1].
        prior: tfhybrids.priors.Prior. The prior on the style z (a Gaussian in the paper).
        latent_dim: int. Size of z.
        num_classes: int. K, the number of categories.
        reconstruction_loss: str. "squared_error" or "bernoulli". Defaults to "squared_error".
        seed: int or None. Seed of the prior samples. Defaults to None.
    """

    network_names = ("encoder", "decoder", "label_discriminator", "style_discriminator")
    # The exported model's main use: serving_default is `classify`.
    default_signature = "classify"
    optimizer_names = ("autoencoder_optimizer", "discriminator_optimizer",
                       "generator_optimizer")
    metric_names = ("recon_loss", "d_loss", "g_loss")

    def __init__(self, encoder, decoder, label_discriminator, style_discriminator, prior,
                 latent_dim, num_classes, reconstruction_loss="squared_error", seed=None,
                 **kwargs):
        super().__init__(seed=seed, encoder=encoder, decoder=decoder,
                         label_discriminator=label_discriminator,
                         style_discriminator=style_discriminator, prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.num_classes = check_int("model", "num_classes", num_classes, minimum=2)
        self.reconstruction_loss = check_choice("model", "reconstruction_loss",
                                                reconstruction_loss,
                                                ("squared_error", "bernoulli"))
        name = type(self).__name__
        if prior is None or prior.latent_dim != self.latent_dim:
            raise ConfigError(f"{name}: needs a prior on the style of dimension latent_dim = "
                              f"{self.latent_dim}, got {prior}.")
        outputs = encoder.output_shape[-1]
        if outputs != self.num_classes + self.latent_dim:
            raise ConfigError(
                f"{name}: the encoder must output num_classes + latent_dim = "
                f"{self.num_classes + self.latent_dim} values (logits of y, then z), it "
                f"outputs {outputs}.")
        # The categorical prior on y: fixed by num_classes, so rebuilt rather than serialised.
        self.label_prior = make_prior({"name": "categorical"}, self.num_classes)
        self.image_shape = tuple(encoder.input_shape[1:])

    @classmethod
    def _num_categories(cls, args, num_classes):
        return check_int("model", "num_classes", args["num_classes"], minimum=2)

    @classmethod
    def _decoder_input_dim(cls, args, latent_dim, categories):
        return {"label": categories, "code": latent_dim}

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        categories = cls._num_categories(args, num_classes)
        bernoulli = args.get("reconstruction_loss", "squared_error") == "bernoulli"
        return {
            "encoder": ("encoder", {"input_shape": element_shape,
                                    "output_dim": categories + latent_dim}),
            "decoder": ("decoder", {
                "input_dim": cls._decoder_input_dim(args, latent_dim, categories),
                "output_shape": element_shape,
                "output_activation": output_activation(bernoulli, element_shape)}),
            "label_discriminator": ("discriminator", {"input_shape": (categories,)}),
            "style_discriminator": ("discriminator", {"input_shape": (latent_dim,)}),
        }

    # ------------------------------------------------------------------ inference
    def infer(self, x, training=False):
        """(logits of q(y|x) [batch, K], y = softmax [batch, K], style z [batch, latent_dim])."""
        outputs = self.encoder(x, training=training)
        logits, z = outputs[:, :self.num_classes], outputs[:, self.num_classes:]
        return logits, tf.nn.softmax(logits), z

    def classify(self, x):
        """q(y|x) [batch, K]: class (or cluster) probabilities."""
        return self.infer(x)[1]

    def decoder_inputs(self, y, z):
        """What the decoder takes for label code y [batch, K] and style z."""
        return {"label": tf.convert_to_tensor(y), "code": tf.convert_to_tensor(z)}

    def _decode_outputs(self, y, z, training=False):
        outputs = self.decoder(self.decoder_inputs(y, z), training=training)
        if self.reconstruction_loss == "bernoulli":
            return outputs, 2.0 * tf.sigmoid(outputs) - 1.0
        return outputs, outputs

    def encode_outputs(self, x):
        """Named encoder outputs: the full `code` [q(y|x), z] [batch, K + latent_dim] (what
        `decode` inverts), and its parts `probabilities` q(y|x) and `style` z."""
        _, y, z = self.infer(x)
        return {"code": tf.concat([y, z], axis=-1), "probabilities": y, "style": z}

    def decode(self, z, labels=None, training=False):
        """Images in [-1, 1].

        `z` is either a full code [batch, K + latent_dim] (a label code y, e.g. one-hot or
        q(y|x), then the style; `labels` must be None), or a style [batch, latent_dim] written
        as the given categories (int [batch]; row i as category i mod K when None).
        """
        z = tf.convert_to_tensor(z, tf.float32)
        if z.shape[-1] == self.num_classes + self.latent_dim:
            if labels is not None:
                raise ShapeError(f"{type(self).__name__}.decode: a full code [y, z] already "
                                 "holds the label code; pass a style code with labels.")
            return self._decode_outputs(z[:, :self.num_classes], z[:, self.num_classes:],
                                        training)[1]
        if labels is None:
            labels = tf.range(tf.shape(z)[0]) % self.num_classes
        y = tf.one_hot(tf.cast(labels, tf.int32), self.num_classes, dtype=tf.float32)
        return self._decode_outputs(y, z, training)[1]

    def call(self, x, training=False):
        """Reconstructs x through its own (soft) label code and style."""
        _, y, z = self.infer(x, training=training)
        return self._decode_outputs(y, z, training)[1]

    def sample_prior(self, num, seed):
        """Style codes from p(z)."""
        return self.prior.sample(num, seed)

    # ------------------------------------------------------------------ objective
    def reconstruction_error(self, batch, training):
        """||x - dec(y, z)||^2 (or the Bernoulli NLL) per example, (y, z) from q(y, z|x)."""
        _, y, z = self.infer(batch.x, training=training)
        outputs, _ = self._decode_outputs(y, z, training)
        if self.reconstruction_loss == "bernoulli":
            return losses.bernoulli_nll(batch.x, outputs)
        return losses.squared_error(batch.x, outputs)

    def extra_reconstruction_cost(self):
        """A cost on parameters added to the reconstruction phase's loss (none here)."""
        return tf.constant(0.0)

    def discriminator_loss(self, batch, training):
        """[-log D_y(y') - log(1 - D_y(y))] + [-log D_z(z') - log(1 - D_z(z))] per example,
        y' ~ Cat(K) one-hot, z' ~ p(z)."""
        size = tf.shape(batch.x)[0]
        _, y, z = self.infer(batch.x, training=training)
        y_prior = self.prior_samples(self.label_prior, size)
        z_prior = self.prior_samples(self.prior, size)
        label_loss = losses.minimax_discriminator_loss(
            self.label_discriminator(y_prior, training=training),
            self.label_discriminator(y, training=training))
        style_loss = losses.minimax_discriminator_loss(
            self.style_discriminator(z_prior, training=training),
            self.style_discriminator(z, training=training))
        return label_loss + style_loss

    def generator_loss(self, batch, training):
        """-log D_y(y) - log D_z(z) per example: the encoder plays both games' generator."""
        _, y, z = self.infer(batch.x, training=training)
        return (losses.non_saturating_generator_loss(
                    self.label_discriminator(y, training=training))
                + losses.non_saturating_generator_loss(
                    self.style_discriminator(z, training=training)))

    def phases(self):
        return adversarial_autoencoder_phases(
            self, reconstruction_cost=self.extra_reconstruction_cost)

    def player_variables(self, optimizer_name):
        if optimizer_name == "autoencoder_optimizer":
            return self.encoder.trainable_variables + self.decoder.trainable_variables
        if optimizer_name == "discriminator_optimizer":
            return (self.label_discriminator.trainable_variables
                    + self.style_discriminator.trainable_variables)
        # generator_optimizer and classifier_optimizer: the encoder q(y, z|x).
        return self.encoder.trainable_variables

    # ------------------------------------------------------------------ export
    def _classify_function(self):
        name = data_name(self)
        data_spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name=name)

        def classify(images):
            """Class (or cluster) probabilities q(y|x) [batch, K] and the argmax `labels`."""
            probabilities = self.classify(to_model_range(self, images))
            return {"probabilities": probabilities,
                    "labels": tf.argmax(probabilities, axis=-1, output_type=tf.int64)}

        return {"classify": (classify, [data_spec])}

    def extra_serving_functions(self):
        code_spec = tf.TensorSpec([None, self.latent_dim], tf.float32, name="codes")
        label_spec = tf.TensorSpec([None], tf.int64, name="labels")
        seed_spec = tf.TensorSpec([None], tf.int64, name="seeds")
        name = data_name(self)

        def decode(codes, labels):
            """Decodes style codes as the given categories (images in [0, 1])."""
            return {name: from_model_range(
                self, self.decode(codes, checked_labels(labels, self.num_classes)))}

        def generate(seeds, labels):
            """One sample per (seed, label): the style from p(z) with the stateless seed
            seeds[i], written as category labels[i]."""
            codes = codes_from_seeds(self, seeds)
            images = self.decode(codes, checked_labels(labels, self.num_classes))
            return {name: from_model_range(self, images), "codes": codes}

        return {"decode": (decode, [code_spec, label_spec]),
                "generate": (generate, [seed_spec, label_spec]),
                **self._classify_function()}



@register_model
class SemiSupervisedAAE(CategoricalStyleAAE):
    """Semi-supervised adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey
    2016, arXiv 1511.05644, §5, Fig. 8, Table 2).

    The encoder q(y, z|x) outputs a categorical label code y = softmax(logits) and a style z;
    one adversarial network imposes Cat(K) on y, another the prior p(z) (N(0, I)) on z, and
    the decoder reconstructs x from (y, z). Each step runs the paper's three phases:

    1. Reconstruction: encoder and decoder minimise ||x - dec(y, z)||^2 on the unlabelled
       mini-batch (Bernoulli NLL with reconstruction_loss="bernoulli").
    2. Regularisation: D_y minimises -log D_y(y') - log(1 - D_y(y)), y' ~ Cat(K) one-hot;
       D_z minimises -log D_z(z') - log(1 - D_z(z)), z' ~ p(z); then the encoder minimises
       -log D_y(y) - log D_z(z).
    3. Semi-supervised classification: q(y|x) (the encoder) minimises the cross-entropy
       -log q(y = label|x) on a labelled mini-batch.

    Data: with data.labels_per_class and data.labeled_batch_size, the training stream gives
    each step a pair ((x, y), (x_labeled, y_labeled)) and phase 3 uses the labelled batch
    (every example's y is -1 but the labelled subset's). Given plain (x, y) batches, phase 3
    uses the rows with y >= 0, its loss summed over them and divided by the whole batch size
    (so a batch without labels contributes nothing).

    Metrics: `recon_loss`, `d_loss` (both games' discriminator losses, summed), `g_loss` (the
    encoder's two generator losses, summed), `class_loss` (phase 3's cross-entropy; at
    evaluation, on the labelled rows of the batch).

    Departures from the paper: Adam with a fixed learning rate instead of the paper's SGD
    with momentum and its decaying schedules; one discriminator optimizer updates both
    discriminators (they share no variables, and Adam's per-variable updates make this the
    same as one optimizer each); the paper's Gaussian noise added to the encoder input is
    left to the network spec (dropout).

    Signatures: `classify(images)` -> `probabilities` [batch, K] and `labels`;
    `encode(images)` -> `code` (the full code [q(y|x), z], which `model.decode` also takes),
    `probabilities` and `style`; `reconstruct(images)`;
    `decode(codes, labels)` and `generate(seeds, labels)` write a style as given classes.

    Args:
        encoder, decoder, label_discriminator, style_discriminator, prior, latent_dim,
        reconstruction_loss, seed: as in `CategoricalStyleAAE`.
        num_classes: int. K. From a config, defaults to the data's number of classes.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> from tfhybrids.priors import make_prior
    >>> model = SemiSupervisedAAE(
    ...     build_encoder({"type": "mlp"}, (8, 8, 1), 10 + 4),
    ...     build_decoder({"type": "mlp"}, {"label": 10, "code": 4}, (8, 8, 1)),
    ...     build_discriminator({"type": "mlp"}, (10,)),
    ...     build_discriminator({"type": "mlp"}, (4,)),
    ...     make_prior({"name": "gaussian"}, 4), latent_dim=4, num_classes=10)
    >>> model.compile()
    """

    optimizer_names = ("autoencoder_optimizer", "discriminator_optimizer",
                       "generator_optimizer", "classifier_optimizer")
    metric_names = ("recon_loss", "d_loss", "g_loss", "class_loss")

    @classmethod
    def from_settings(cls, settings, prior, element_shape, num_classes=None, seed=None):
        settings = dict(settings)
        if "num_classes" not in settings:
            if not num_classes:
                raise ConfigError(f"model ({cls.__name__}): the data has no labels; set "
                                  "model.num_classes.")
            settings["num_classes"] = num_classes
        return super().from_settings(settings, prior, element_shape, num_classes, seed)

    def class_loss(self, batch, training):
        """Phase 3: -log q(y = label|x) on the labelled rows (y >= 0) of the labelled batch
        (of the batch itself without one), as (per-example loss, mask of labelled rows)."""
        x, y = batch.labelled or (batch.x, batch.y)
        if y is None:
            y = tf.fill([tf.shape(x)[0]], -1)
        y = tf.cast(y, tf.int32)
        labelled = tf.cast(y >= 0, tf.float32)
        logits, _, _ = self.infer(x, training=training)
        return losses.categorical_cross_entropy(tf.maximum(y, 0), logits) * labelled, labelled

    def phases(self):
        return [*super().phases(),
                sequential("classifier_optimizer", "class_loss", self.class_loss)]
