"""Generative adversarial network."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import (
    HybridModel, LatentPrior, check_prior_dimension, decoder_io, register_model, sequential,
)
from tfhybrids.validation import check_float, check_int


@register_model
class GAN(LatentPrior, HybridModel):
    """Generative adversarial network (Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley,
    Ozair, Courville & Bengio 2014, arXiv 1406.2661).

    A generator G maps codes z ~ p(z) to data; a discriminator D maps data to a logit, the
    log-odds that its input is real. The two play the minimax game

        min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))].

    Each step (the paper's Algorithm 1):

    1. `discriminator_steps` times: D minimises -log D(x) - log(1 - D(G(z))) on the batch x
       and fresh codes z (the minimax loss, per example).
    2. G minimises -log D(G(z)) on fresh codes: the non-saturating loss the paper recommends
       (§3) because log(1 - D(G(z))) saturates while D rejects the samples easily.

    Departures from the paper: the k = `discriminator_steps` updates of D reuse the step's
    data batch (with fresh codes each time) rather than drawing k data batches, so one
    `fit` step is one pass over one batch; and optional one-sided label smoothing (Salimans et
    al. 2016, arXiv 1606.03498, §3.4) of D's real targets, off by default.

    Works with any network pair: MLPs on 2-D points (the mode-collapse benchmarks) and conv
    nets on images (see DCGAN for the conv architecture rules).

    Metrics: `d_loss` is D's loss -log D(x) - log(1 - D(G(z))) (2 log 2 = 1.386 at
    chance, from its last update in the step); `g_loss` is -log D(G(z)) (log 2 = 0.693 at
    chance).

    Args:
        generator: keras.Model. z [batch, latent_dim] -> data (images in [-1, 1] via tanh, or
            unbounded points).
        discriminator: keras.Model. data -> logit [batch, 1].
        prior: tfhybrids.priors.Prior or None. p(z). Defaults to None: N(0, I).
        latent_dim: int. Size of z.
        label_smoothing: float in [0, 1). One-sided label smoothing: D's target for real data
            becomes 1 - label_smoothing. Defaults to 0.0.
        discriminator_steps: int. Discriminator updates per generator update (the paper's k).
            Defaults to 1.
        seed: int or None. Seed of the codes. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_decoder, build_discriminator
    >>> gan = GAN(build_decoder({"type": "mlp", "hidden_units": [64]}, 2, (2,), "linear"),
    ...           build_discriminator({"type": "mlp", "hidden_units": [64]}, (2,)),
    ...           prior=None, latent_dim=2, seed=0)
    >>> gan.compile()
    >>> points = gan(gan.sample_prior(16, tf.constant([1, 2])))  # [16, 2]
    """

    network_names = ("generator", "discriminator")
    optimizer_names = ("generator_optimizer", "discriminator_optimizer")
    metric_names = ("d_loss", "g_loss")

    def __init__(self, generator, discriminator, prior, latent_dim, label_smoothing=0.0,
                 discriminator_steps=1, seed=None, **kwargs):
        super().__init__(seed=seed, generator=generator, discriminator=discriminator,
                         prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.label_smoothing = check_float("model", "label_smoothing", label_smoothing,
                                           minimum=0.0, maximum=0.99)
        self.discriminator_steps = check_int("model", "discriminator_steps",
                                             discriminator_steps, minimum=1)
        check_prior_dimension(self, prior)
        name = type(self).__name__
        if generator.input_shape[-1] != self.latent_dim:
            raise ConfigError(
                f"{name}: the generator takes codes of size {generator.input_shape[-1]}, but "
                f"latent_dim is {self.latent_dim}."
            )
        self.image_shape = tuple(generator.output_shape[1:])
        if tuple(discriminator.input_shape[1:]) != self.image_shape:
            raise ConfigError(
                f"{name}: the discriminator takes inputs of shape "
                f"{tuple(discriminator.input_shape[1:])} but the generator makes "
                f"{self.image_shape}."
            )

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        return {
            "generator": decoder_io(latent_dim, element_shape),
            "discriminator": ("discriminator", {"input_shape": element_shape}),
        }

    # ------------------------------------------------------------------ generation
    def call(self, codes, training=False):
        """Generates data from codes z [batch, latent_dim]."""
        return self.generator(codes, training=training)

    def call_inputs(self, x, y=None):
        """Codes from the prior, one per example of the batch x."""
        return self.prior_samples_or_noise(tf.shape(x)[0])

    def decode(self, z, training=False):
        """G(z): codes to data (images in [-1, 1])."""
        return self.generator(z, training=training)

    # ------------------------------------------------------------------ objective
    def discriminator_loss(self, batch, training):
        """-log D(x) - log(1 - D(G(z))) per example, with fresh codes z."""
        fake = self.generator(self.prior_samples_or_noise(tf.shape(batch.x)[0]),
                              training=training)
        return losses.minimax_discriminator_loss(
            self.discriminator(batch.x, training=training),
            self.discriminator(fake, training=training),
            label_smoothing=self.label_smoothing,
        )

    def generator_loss(self, batch, training):
        """-log D(G(z)) per example, with fresh codes z."""
        fake = self.generator(self.prior_samples_or_noise(tf.shape(batch.x)[0]),
                              training=training)
        return losses.non_saturating_generator_loss(self.discriminator(fake, training=training))

    def phases(self):
        return [sequential("discriminator_optimizer", "d_loss", self.discriminator_loss,
                           repeat=self.discriminator_steps),
                sequential("generator_optimizer", "g_loss", self.generator_loss)]

    def player_variables(self, optimizer_name):
        if optimizer_name == "discriminator_optimizer":
            return self.discriminator.trainable_variables
        return self.generator.trainable_variables

