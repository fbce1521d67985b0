"""Adversarial autoencoder, unsupervised."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import (
    HybridModel, Phase, bernoulli_mean, check_prior_dimension, decoder_io, register_model,
    sequential,
)
from tfhybrids.validation import check_choice, check_int


def adversarial_autoencoder_phases(model, reconstruction_cost=None):
    """The AAE's two phases (paper §2), in order: reconstruction by the autoencoder, then
    regularisation, the code discriminator's update and then the encoder's (as generator).
    `model` gives `reconstruction_error`, `discriminator_loss` and `generator_loss`;
    `reconstruction_cost` is a cost on parameters added to the reconstruction phase."""
    return [
        sequential("autoencoder_optimizer", "recon_loss", model.reconstruction_error,
                   cost=reconstruction_cost),
        sequential("discriminator_optimizer", "d_loss", model.discriminator_loss),
        sequential("generator_optimizer", "g_loss", model.generator_loss),
    ]


class SharedRegularisationPass(Phase):
    """The AAE's regularisation phase from one encoder pass: z = enc(x) once, then the
    discriminator's update on it (z held constant), then the encoder's update through the
    same pass and the updated discriminator.

    Every trainable weight gets the update of the sequential form (the discriminator's
    update leaves the encoder's weights alone, so its second pass would compute the same z),
    for one encoder forward pass less a step. What differs: batch norm in the encoder
    updates its moving statistics once from this pass instead of twice (from the same batch
    statistics), and dropout in the encoder draws one mask for both updates instead of two.
    """

    def __init__(self, model):
        super().__init__(self._losses, {"discriminator_optimizer": "d_loss",
                                        "generator_optimizer": "g_loss"})
        self.model = model

    def _losses(self, batch, training):
        z_data = self.model.encoder(batch.x, training=training)
        return {"d_loss": self.model.discriminator_loss(batch, training, z_data=z_data),
                "g_loss": self.model.generator_loss(batch, training, z_data=z_data)}

    def train(self, model, batch):
        with tf.GradientTape() as generator_tape:
            z_data = model.encoder(batch.x, training=True)
            with generator_tape.stop_recording(), tf.GradientTape() as tape:
                d_loss = model.discriminator_loss(batch, True, z_data=tf.stop_gradient(z_data))
                loss = model.reduce(d_loss)
            with generator_tape.stop_recording():
                model.minimize(tape, loss, "discriminator_optimizer")
            g_loss = model.generator_loss(batch, True, z_data=z_data)
            loss = model.reduce(g_loss)
        model.minimize(generator_tape, loss, "generator_optimizer")
        return {"d_loss": d_loss, "g_loss": g_loss}


@register_model
class AAE(HybridModel):
    """Adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey 2016, arXiv
    1511.05644), unsupervised, with a deterministic encoder q(z|x) (paper §2, the
    "deterministic" choice of q).

    An autoencoder whose aggregated posterior q(z) = E_x[q(z|x)] is matched to a prior p(z)
    by a GAN in code space. Each step has the paper's two phases (§2, "Training"):

    1. Reconstruction: encoder and decoder minimise the reconstruction error
       L_rec = ||x - dec(enc(x))||^2 (or the Bernoulli NLL).
    2. Regularisation: the discriminator D on codes minimises
       -log D(z') - log(1 - D(enc(x))), z' ~ p(z); then the encoder (the generator of this
       GAN) minimises -log D(enc(x)) (the non-saturating form, Goodfellow et al. 2014).

    Only samples of the prior are needed, so any prior works, including the Swiss roll.

    Departure from the paper: it trains both phases with SGD with momentum (§2; its
    experiments use momentum 0.9 and a learning rate per phase); here every player is Adam
    by default (learning rate 1e-3; the shipped configs use Adam with beta_1 = 0.5), because
    Adam needed no per-dataset learning-rate search on the small nets and budgets used here.
    Any Keras optimizer can be named per player in the config's `optimizers:` section, e.g.
    `{name: sgd, learning_rate: 0.01, momentum: 0.9}` for the paper's choice.

    Args:
        encoder: keras.Model. x -> z [batch, latent_dim].
        decoder: keras.Model. z -> x: images in [-1, 1] (tanh) for "squared_error", logits
            for "bernoulli".
        discriminator: keras.Model. z -> logit [batch, 1].
        prior: tfhybrids.priors.Prior. The prior imposed on the codes.
        latent_dim: int. Size of z.
        reconstruction_loss: str. "squared_error" or "bernoulli". Defaults to
            "squared_error".
        regularisation_pass: str. "per_phase": the discriminator's and the encoder's
            regularisation updates each run the encoder on the batch (the paper's sequential
            form, step by step); "shared": both from one encoder pass, the same updates of
            every trainable weight for one encoder forward pass less (see
            `SharedRegularisationPass` for what batch norm's moving statistics and dropout
            do differently). Defaults to "per_phase".
        seed: int or None. Seed of the prior samples. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> from tfhybrids.priors import make_prior
    >>> aae = AAE(build_encoder({"type": "mlp"}, (8, 8, 1), 2),
    ...           build_decoder({"type": "mlp"}, 2, (8, 8, 1)),
    ...           build_discriminator({"type": "mlp"}, (2,)),
    ...           make_prior({"name": "gaussian_mixture"}, 2), latent_dim=2)
    >>> aae.compile()
    """

    network_names = ("encoder", "decoder", "discriminator")
    optimizer_names = ("autoencoder_optimizer", "discriminator_optimizer",
                       "generator_optimizer")
    metric_names = ("recon_loss", "d_loss", "g_loss")

    def __init__(self, encoder, decoder, discriminator, prior, latent_dim,
                 reconstruction_loss="squared_error", seed=None, regularisation_pass="per_phase",
                 **kwargs):
        super().__init__(seed=seed, encoder=encoder, decoder=decoder, discriminator=discriminator,
                         prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.reconstruction_loss = check_choice("model", "reconstruction_loss",
                                                reconstruction_loss,
                                                ("squared_error", "bernoulli"))
        name = type(self).__name__
        self.regularisation_pass = check_choice("model", "regularisation_pass",
                                                regularisation_pass, ("per_phase", "shared"))
        if self.regularisation_pass == "shared" and (
                type(self).discriminator_loss is not AAE.discriminator_loss
                or type(self).generator_loss is not AAE.generator_loss):
            raise ConfigError(f"{name}: regularisation_pass 'shared' is for the AAE's own "
                              "losses; use 'per_phase' (the default).")
        check_prior_dimension(self, prior, required="e.g. prior: {name: gaussian}")
        self.image_shape = tuple(encoder.input_shape[1:])

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        bernoulli = args.get("reconstruction_loss", "squared_error") == "bernoulli"
        return {
            "encoder": ("encoder", {"input_shape": element_shape, "output_dim": latent_dim}),
            "decoder": decoder_io(latent_dim, element_shape, bernoulli),
            "discriminator": ("discriminator", {"input_shape": (latent_dim,)}),
        }

    # ------------------------------------------------------------------ inference
    def encode(self, x, training=False):
        """Returns the code z = enc(x)."""
        return self.encoder(x, training=training)

    def encode_outputs(self, x):
        """Named encoder outputs for export: the code."""
        return {"code": self.encode(x)}

    def decode(self, z, training=False):
        """Decodes codes to images in [-1, 1]."""
        return self.likelihood_mean(self.decoder(z, training=training))

    def likelihood_mean(self, outputs):
        """Images in [-1, 1] from the decoder's outputs (logits for "bernoulli")."""
        return bernoulli_mean(outputs, self.reconstruction_loss == "bernoulli")

    def call(self, x, training=False):
        """Reconstructs x."""
        return self.decode(self.encode(x, training=training), training=training)

    def sample_prior(self, num, seed):
        return self.prior.sample(num, seed)

    # ------------------------------------------------------------------ objective
    def decoder_inputs(self, z, batch):
        """What the decoder takes for codes z of a training batch (a variant may add y)."""
        return z

    def reconstruction_error(self, batch, training):
        """L_rec = ||x - dec(enc(x))||^2, or the Bernoulli NLL, per example."""
        z = self.encoder(batch.x, training=training)
        outputs = self.decoder(self.decoder_inputs(z, batch), training=training)
        if self.reconstruction_loss == "bernoulli":
            return losses.bernoulli_nll(batch.x, outputs)
        return losses.squared_error(batch.x, outputs)

    def discriminator_loss(self, batch, training, z_data=None):
        """-log D(z') - log(1 - D(enc(x))) per example, z' ~ p(z); `z_data` is enc(x) when
        given."""
        z_prior = self.prior_samples(self.prior, tf.shape(batch.x)[0])
        if z_data is None:
            z_data = self.encoder(batch.x, training=training)
        return losses.minimax_discriminator_loss(
            self.discriminator(z_prior, training=training),
            self.discriminator(z_data, training=training),
        )

    def generator_loss(self, batch, training, z_data=None):
        """-log D(enc(x)) per example: the encoder is the generator of the code GAN;
        `z_data` is enc(x) when given."""
        if z_data is None:
            z_data = self.encoder(batch.x, training=training)
        return losses.non_saturating_generator_loss(self.discriminator(z_data, training=training))

    def phases(self):
        if self.regularisation_pass == "shared":
            return [adversarial_autoencoder_phases(self)[0], SharedRegularisationPass(self)]
        return adversarial_autoencoder_phases(self)

    def player_variables(self, optimizer_name):
        if optimizer_name == "autoencoder_optimizer":
            return self.encoder.trainable_variables + self.decoder.trainable_variables
        if optimizer_name == "discriminator_optimizer":
            return self.discriminator.trainable_variables
        return self.encoder.trainable_variables

