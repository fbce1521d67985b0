"""Adversarial autoencoder whose latent discriminator also sees the label."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.aae import AAE
from tfhybrids.models.base import register_model
from tfhybrids.validation import check_int


@register_model
class LabelRegularizedAAE(AAE):
    """Adversarial autoencoder with label information in the adversarial regularisation
    (Makhzani, Shlens, Jaitly, Goodfellow & Frey 2016, arXiv 1511.05644, §2.3, Fig. 3-4).

    The unsupervised `AAE` whose code discriminator takes, besides a code, a one-hot vector
    of num_classes + 1 slots: the label of a training example, or the extra last slot for an
    example whose label is unknown (label -1 in the batch, e.g. from data.labels_per_class).
    The prior must be split into num_classes components (a mixture of Gaussians, or the Swiss
    roll cut into segments), so that the positive samples can carry labels too:

    - positive phase: a labelled example of class k is paired with a prior sample drawn from
      component k (`Prior.sample_for_labels`), shown to D with the one-hot of k; an unlabelled
      one with a sample of the whole prior, shown with the "unlabelled" slot;
    - negative phase: the code enc(x) is shown to D with the example's own one-hot.

    Each step has the AAE's phases:

    1. Reconstruction: encoder and decoder minimise ||x - dec(enc(x))||^2 (or Bernoulli NLL).
    2. Regularisation: D minimises -log D(z', c) - log(1 - D(enc(x), c)); then the encoder
       minimises -log D(enc(x), c) (non-saturating), c the one-hot label/unlabelled slot.

    So labelled codes are pulled to their own component and unlabelled ones to the whole
    prior, which the paper uses to lay the classes out in a chosen geometry. It works with any
    share of labels, from all (y >= 0 everywhere) to none (every y = -1, then it reduces to the
    plain AAE with a constant extra input to D). Batches without labels are all unlabelled.

    Metrics: `recon_loss`, `d_loss`, `g_loss`, as the AAE.

    Args:
        encoder: keras.Model. x -> z [batch, latent_dim].
        decoder: keras.Model. z -> x.
        discriminator: keras.Model. {"code": z [batch, latent_dim], "label": one-hot
            [batch, num_classes + 1]} -> logit [batch, 1].
        prior: tfhybrids.priors.Prior. With num_classes components (gaussian_mixture with
            num_components, or swiss_roll with num_segments).
        latent_dim: int. Size of z.
        num_classes: int. Number of classes; the prior must have as many components. From a
            config, defaults to the prior's number of components.
        reconstruction_loss: str. "squared_error" or "bernoulli". Defaults to "squared_error".
        seed: int or None. Seed of the prior samples. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> from tfhybrids.priors import make_prior
    >>> model = LabelRegularizedAAE(
    ...     build_encoder({"type": "mlp"}, (8, 8, 1), 2),
    ...     build_decoder({"type": "mlp"}, 2, (8, 8, 1)),
    ...     build_discriminator({"type": "mlp"}, {"code": (2,), "label": (11,)}),
    ...     make_prior({"name": "gaussian_mixture"}, 2), latent_dim=2, num_classes=10)
    >>> model.compile()
    """

    def __init__(self, encoder, decoder, discriminator, prior, latent_dim, num_classes=None,
                 reconstruction_loss="squared_error", seed=None, **kwargs):
        super().__init__(encoder, decoder, discriminator, prior, latent_dim,
                         reconstruction_loss=reconstruction_loss, seed=seed, **kwargs)
        components = prior.num_components
        if components is None:
            raise ConfigError(
                f"LabelRegularizedAAE: the '{prior.name}' prior has no components to match "
                "labels to; use gaussian_mixture (num_components) or swiss_roll (num_segments).")
        if num_classes is None:
            num_classes = components
        self.num_classes = check_int("model", "num_classes", num_classes, minimum=1)
        if self.num_classes != components:
            raise ConfigError(
                f"LabelRegularizedAAE: num_classes is {self.num_classes} but the prior has "
                f"{components} components; give the prior one component per class.")
        inputs = discriminator.input
        if not isinstance(inputs, dict) or set(inputs) != {"code", "label"}:
            raise ConfigError(
                "LabelRegularizedAAE: the discriminator must take a dict input {'code', "
                f"'label'}} (built with a dict input shape), got {inputs}.")
        if inputs["label"].shape[-1] != self.num_classes + 1:
            raise ConfigError(
                f"LabelRegularizedAAE: the discriminator's label input has "
                f"{inputs['label'].shape[-1]} slots; it needs num_classes + 1 = "
                f"{self.num_classes + 1} (the last one for unlabelled examples).")

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        io = super().network_io(args, element_shape, num_classes, prior)
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        classes = args.get("num_classes") or prior.num_components or num_classes
        if classes is None:
            raise ConfigError("LabelRegularizedAAE: set model.num_classes or use a prior with "
                              "components (gaussian_mixture, swiss_roll).")
        io["discriminator"] = ("discriminator", {
            "input_shape": {"code": (latent_dim,), "label": (int(classes) + 1,)}})
        return io

    # ------------------------------------------------------------------ objective
    def label_slots(self, y, batch_size):
        """One-hot [batch, num_classes + 1]: the label, or the last slot for y < 0 / no y."""
        if y is None:
            y = tf.fill([batch_size], -1)
        y = tf.cast(y, tf.int32)
        slot = tf.where(y >= 0, y, self.num_classes)
        return tf.one_hot(slot, self.num_classes + 1, dtype=tf.float32)

    def positive_samples(self, y, batch_size):
        """Prior samples for the batch: from component y for labelled rows, from the whole
        prior for unlabelled ones (both drawn for the global batch, see HybridModel)."""
        whole = self.prior_samples(self.prior, batch_size)
        if y is None:
            return whole
        y = tf.cast(y, tf.int32)
        per_label = self.prior_samples_for_labels(self.prior, tf.maximum(y, 0))
        return tf.where((y >= 0)[:, None], per_label, whole)

    def _score(self, z, slots, training):
        return self.discriminator({"code": z, "label": slots}, training=training)

    def discriminator_loss(self, batch, training):
        """-log D(z', c) - log(1 - D(enc(x), c)) per example, c the label slots."""
        size = tf.shape(batch.x)[0]
        slots = self.label_slots(batch.y, size)
        z_prior = self.positive_samples(batch.y, size)
        z_data = self.encoder(batch.x, training=training)
        return losses.minimax_discriminator_loss(self._score(z_prior, slots, training),
                                                 self._score(z_data, slots, training))

    def generator_loss(self, batch, training):
        """-log D(enc(x), c) per example."""
        slots = self.label_slots(batch.y, tf.shape(batch.x)[0])
        z_data = self.encoder(batch.x, training=training)
        return losses.non_saturating_generator_loss(self._score(z_data, slots, training))

