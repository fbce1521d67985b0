"""Alpha-GAN: auto-encoding GAN with a code discriminator and an image discriminator."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import (
    HybridModel, LatentPrior, check_output_size, check_prior_dimension, decoder_io,
    register_model, simultaneous,
)
from tfhybrids.validation import check_choice, check_float, check_int

ADVERSARIAL_LOSSES = ("log_ratio", "non_saturating")
_ADAM = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}


@register_model
class AlphaGAN(LatentPrior, HybridModel):
    """Alpha-GAN (Rosca, Lakshminarayanan, Warde-Farley & Mohamed 2017, "Variational
    approaches for auto-encoding generative adversarial networks", arXiv 1706.04987).

    Variational inference with both intractable parts replaced by classifiers (seed 004,
    "VAE-GAN hybrids via density ratios"): the KL between the encoder's implicit posterior
    and the prior by a code discriminator C(z) (prior codes vs encoder codes), and the
    likelihood by a synthetic likelihood from an image discriminator D(x) (real images vs
    reconstructions and samples), plus an L1 reconstruction term (a Laplace likelihood of
    scale 1 / lambda). With z_hat = E(x), x_rec = G(z_hat), z ~ p(z), x_gen = G(z), the
    per-example losses of the paper's Algorithm 1, all computed from one batch and one set of
    draws and applied simultaneously:

    - encoder:  L_E = lambda ||x - x_rec||_1 - log [C(z_hat) / (1 - C(z_hat))]
    - generator: L_G = lambda ||x - x_rec||_1 - log [D(x_rec) / (1 - D(x_rec))]
                                             - log [D(x_gen) / (1 - D(x_gen))]
    - image discriminator: L_D = -log D(x) - log(1 - D(x_rec)) - log(1 - D(x_gen))
    - code discriminator: L_C = -log C(z) - log(1 - C(z_hat))  (prior codes are "real")

    -log [C / (1 - C)] is minus the classifier's logit: the density-ratio estimate of
    log p(z) / q(z) (and of log p*(x) / p_G(x) for D), the form Algorithm 1 writes and that
    does not saturate. `adversarial_loss: non_saturating` uses -log C and -log D instead
    (what most re-implementations use). The encoder's loss has no image-discriminator term
    and the generator's no code-discriminator term; the reconstruction term trains both.

    Notes: L_C takes the prior codes as the real class, which the density-ratio reading
    needs (C / (1 - C) estimates p(z) / q(z), the ratio L_E uses); re-implementations report
    that the first arXiv version of Algorithm 1 prints these two terms the other way round.
    The encoder is deterministic (the paper allows an implicit posterior with noise inputs).
    `lambda` multiplies the L1 error *summed* over pixels, i.e. it is a per-pixel weight: at
    1, a 28x28 reconstruction term outweighs the adversarial terms tens to hundreds of times.

    Metrics: `recon_loss` ||x - x_rec||_1 (summed over pixels, unweighted); `e_loss` L_E,
    `g_loss` L_G, `d_loss` L_D (2.079 at chance), `code_d_loss` L_C (1.386 at chance).

    Args:
        encoder: keras.Model. x -> z [batch, latent_dim].
        generator: keras.Model. z -> x (tanh images, or linear points).
        discriminator: keras.Model. x -> logit [batch, 1].
        code_discriminator: keras.Model. z -> logit [batch, 1].
        prior: tfhybrids.priors.Prior or None. p(z). Defaults to None: N(0, I).
        latent_dim: int. Size of z.
        reconstruction_weight: float. The paper's lambda. Defaults to 1.0.
        adversarial_loss: str. "log_ratio" (Algorithm 1) or "non_saturating". Defaults to
            "log_ratio".
        seed: int or None. Seed of the model's random draws. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_decoder, build_discriminator, build_encoder
    >>> mlp = {"type": "mlp", "hidden_units": [32]}
    >>> model = AlphaGAN(build_encoder(mlp, (8, 8, 1), 2), build_decoder(mlp, 2, (8, 8, 1)),
    ...                  build_discriminator(mlp, (8, 8, 1)), build_discriminator(mlp, (2,)),
    ...                  prior=None, latent_dim=2)
    >>> model.compile()
    """

    network_names = ("encoder", "generator", "discriminator", "code_discriminator")
    optimizer_names = ("encoder_optimizer", "generator_optimizer", "discriminator_optimizer",
                       "code_discriminator_optimizer")
    default_optimizers = {name: _ADAM for name in optimizer_names}
    metric_names = ("recon_loss", "e_loss", "g_loss", "d_loss", "code_d_loss")

    def __init__(self, encoder, generator, discriminator, code_discriminator, prior,
                 latent_dim, reconstruction_weight=1.0, adversarial_loss="log_ratio",
                 seed=None, **kwargs):
        super().__init__(seed=seed, encoder=encoder, generator=generator,
                         discriminator=discriminator, code_discriminator=code_discriminator,
                         prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.reconstruction_weight = check_float("model", "reconstruction_weight",
                                                 reconstruction_weight, minimum=0.0)
        self.adversarial_loss = check_choice("model", "adversarial_loss", adversarial_loss,
                                             ADVERSARIAL_LOSSES)
        check_prior_dimension(self, prior)
        check_output_size(self, encoder, "encoder", self.latent_dim,
                          f"latent_dim = {self.latent_dim} values")
        if tuple(code_discriminator.input_shape[1:]) != (self.latent_dim,):
            raise ConfigError(
                f"AlphaGAN: the code discriminator takes inputs of shape "
                f"{tuple(code_discriminator.input_shape[1:])}, expected ({self.latent_dim},)."
            )
        self.image_shape = tuple(encoder.input_shape[1:])

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        return {
            "encoder": ("encoder", {"input_shape": element_shape, "output_dim": latent_dim}),
            "generator": decoder_io(latent_dim, element_shape),
            "discriminator": ("discriminator", {"input_shape": element_shape}),
            "code_discriminator": ("discriminator", {"input_shape": (latent_dim,)}),
        }

    # ------------------------------------------------------------------ inference
    def encode(self, x, training=False):
        """z_hat = E(x)."""
        return self.encoder(x, training=training)

    def encode_outputs(self, x):
        """Named encoder outputs for export: the code."""
        return {"code": self.encode(x)}

    def decode(self, z, training=False):
        """G(z)."""
        return self.generator(z, training=training)

    def call(self, x, training=False):
        """Reconstructs x as G(E(x))."""
        return self.decode(self.encode(x, training=training), training=training)

    # ------------------------------------------------------------------ objective
    def _fool(self, logits):
        """The loss of a player that wants `logits` classified as real."""
        if self.adversarial_loss == "log_ratio":
            # -log D + log(1 - D) = -log(D / (1 - D)): minus the density-ratio estimate.
            return (losses.non_saturating_generator_loss(logits)
                    + losses.minimax_generator_loss(logits))
        return losses.non_saturating_generator_loss(logits)

    def loss_terms(self, x, z_prior, training):
        """Per-example losses of the four players for images x and prior codes z_prior."""
        z_hat = self.encoder(x, training=training)
        # Reconstructions and samples go through G (and D) as one batch: with separate
        # batches, batch norm would normalise each with its own statistics in training but
        # with their blended moving averages at inference, and reconstructions made by
        # `call` would not be the ones that were trained.
        x_rec, x_gen = tf.split(
            self.generator(tf.concat([z_hat, z_prior], 0), training=training), 2)
        recon = losses.absolute_error(x, x_rec)
        weighted = self.reconstruction_weight * recon
        code_real = self.code_discriminator(z_prior, training=training)
        code_fake = self.code_discriminator(z_hat, training=training)
        real = self.discriminator(x, training=training)
        rec, gen = tf.split(
            self.discriminator(tf.concat([x_rec, x_gen], 0), training=training), 2)
        return {
            "recon_loss": recon,
            "e_loss": weighted + self._fool(code_fake),
            "g_loss": weighted + self._fool(rec) + self._fool(gen),
            "d_loss": (losses.minimax_discriminator_loss(real, rec)
                       + losses.discriminator_fake_loss(gen)),
            "code_d_loss": losses.minimax_discriminator_loss(code_real, code_fake),
        }

    def player_losses(self, batch, training):
        """`loss_terms` of the batch and one draw of prior codes."""
        return self.loss_terms(batch.x, self.prior_samples_or_noise(tf.shape(batch.x)[0]),
                               training)

    def phases(self):
        return [simultaneous(self.player_losses, encoder_optimizer="e_loss",
                             generator_optimizer="g_loss", discriminator_optimizer="d_loss",
                             code_discriminator_optimizer="code_d_loss")]

    def player_variables(self, optimizer_name):
        network = {
            "encoder_optimizer": self.encoder,
            "generator_optimizer": self.generator,
            "discriminator_optimizer": self.discriminator,
            "code_discriminator_optimizer": self.code_discriminator,
        }[optimizer_name]
        return network.trainable_variables

