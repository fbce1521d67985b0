"""Variational autoencoder and beta-VAE."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import (
    HybridModel, LatentPrior, bernoulli_mean, check_gaussian_encoder, check_likelihood,
    decoder_io, register_model, sequential,
)
from tfhybrids.validation import check_choice, check_float, check_int


@register_model
class VAE(LatentPrior, HybridModel):
    """Variational autoencoder (Kingma & Welling 2014, arXiv 1312.6114) and beta-VAE (Higgins
    et al. 2017, ICLR, "beta-VAE: Learning basic visual concepts with a constrained variational
    framework").

    A Gaussian encoder q(z|x) = N(mu(x), diag(sigma^2(x))) sampled by the reparameterisation
    trick, a decoder p(x|z) (Bernoulli on pixel intensities, or Gaussian with a fixed standard
    deviation), and the objective, minimised per example:

        L(x) = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)).

    beta = 1 is the VAE; beta > 1 is the beta-VAE, which trades reconstruction for a more
    factorised code. With the standard Gaussian prior the KL is the closed form; with any
    other prior that has a log-density (e.g. a mixture of Gaussians, as in the AAE-vs-VAE
    comparison of Makhzani et al. 2016, Fig. 2) it is the one-sample Monte-Carlo estimate
    log q(z|x) - log p(z).

    Args:
        encoder: keras.Model. x -> [batch, 2 * latent_dim] (mean and log-variance stacked).
        decoder: keras.Model. z -> x-shaped outputs: logits for the Bernoulli likelihood,
            means in [-1, 1] (tanh) for the Gaussian one.
        latent_dim: int. Size of z.
        prior: tfhybrids.priors.Prior or None. The prior p(z). Defaults to None: N(0, I).
        beta: float. Weight of the KL term. Defaults to 1.0.
        likelihood: str. "bernoulli" or "gaussian". Defaults to "bernoulli".
        observation_std: float. Standard deviation of the Gaussian likelihood (images in
            [-1, 1]). Defaults to 0.1.
        kl_estimator: str. "auto" (closed form for a standard Gaussian prior, Monte-Carlo
            otherwise), "analytic" or "monte_carlo". Defaults to "auto".
        seed: int or None. Seed of the model's random draws. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder
    >>> vae = VAE(build_encoder({"type": "mlp"}, (8, 8, 1), 4),
    ...           build_decoder({"type": "mlp"}, 2, (8, 8, 1), "linear"), latent_dim=2)
    >>> vae.compile(optimizer={"class_name": "Adam", "config": {"learning_rate": 1e-3}})
    """

    network_names = ("encoder", "decoder")
    optimizer_names = ("optimizer",)
    metric_names = ("loss", "recon_loss", "kl_loss")

    def __init__(self, encoder, decoder, latent_dim, prior=None, beta=1.0,
                 likelihood="bernoulli", observation_std=0.1, kl_estimator="auto", seed=None,
                 **kwargs):
        super().__init__(seed=seed, encoder=encoder, decoder=decoder, prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.beta = check_float("model", "beta", beta, minimum=0.0)
        check_likelihood(self, likelihood, observation_std)
        self.kl_estimator = check_choice("model", "kl_estimator", kl_estimator,
                                         ("auto", "analytic", "monte_carlo"))
        check_gaussian_encoder(self, encoder)
        self._use_monte_carlo_kl = self._resolve_kl()
        self.image_shape = tuple(encoder.input_shape[1:])

    def _resolve_kl(self):
        standard = self.prior is None or (
            self.prior.name == "gaussian" and self.prior.config.get("scale", 1.0) == 1.0
        )
        if self.kl_estimator == "analytic" and not standard:
            raise ConfigError(
                "VAE: kl_estimator 'analytic' needs the standard Gaussian prior; use 'auto' or "
                "'monte_carlo' for other priors."
            )
        if not standard and not self.prior.has_log_prob:
            raise ConfigError(
                f"VAE: the '{self.prior.name}' prior has no log-density, which the VAE's KL "
                "needs; use a gaussian or gaussian_mixture prior, or an adversarial model (AAE)."
            )
        return self.kl_estimator == "monte_carlo" or not standard

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        bernoulli = args.get("likelihood", "bernoulli") == "bernoulli"
        return {
            "encoder": ("encoder", {"input_shape": element_shape, "output_dim": 2 * latent_dim}),
            "decoder": decoder_io(latent_dim, element_shape, bernoulli),
        }

    # ------------------------------------------------------------------ inference
    def encode(self, x, training=False):
        """Returns (mean, log_var) of q(z|x)."""
        stats = self.encoder(x, training=training)
        mean, log_var = tf.split(stats, 2, axis=-1)
        return mean, log_var

    def decode_outputs(self, z, training=False):
        """The decoder's raw outputs (logits for Bernoulli, means for Gaussian)."""
        return self.decoder(z, training=training)

    def encode_outputs(self, x):
        """Named encoder outputs for export: the posterior's mean and log-variance."""
        mean, log_var = self.encode(x)
        return {"mean": mean, "log_var": log_var}

    def decode(self, z, training=False):
        """Decodes codes to images in [-1, 1] (the likelihood's mean)."""
        return bernoulli_mean(self.decode_outputs(z, training=training),
                              self.likelihood == "bernoulli")

    def call(self, x, training=False):
        """Reconstructs x through the posterior mean."""
        mean, _ = self.encode(x, training=training)
        return self.decode(mean, training=training)

    # ------------------------------------------------------------------ objective
    def _reconstruction_nll(self, x, outputs):
        if self.likelihood == "bernoulli":
            return losses.bernoulli_nll(x, outputs)
        return losses.gaussian_nll(x, outputs, tf.math.log(self.observation_std))

    def loss_terms(self, batch, training):
        """Per-example -log p(x|z) (`recon_loss`), KL(q(z|x) || p(z)) (`kl_loss`) and their
        sum `loss` = recon + beta * KL, for z = mu(x) + sigma(x) * eps, eps ~ N(0, I)."""
        x = batch.x
        mean, log_var = self.encode(x, training=training)
        eps = self.normal_noise(tf.shape(x)[0], [self.latent_dim])
        z = mean + tf.exp(0.5 * log_var) * eps
        outputs = self.decode_outputs(z, training=training)
        recon = self._reconstruction_nll(x, outputs)
        if self._use_monte_carlo_kl:
            kl = losses.monte_carlo_kl(z, mean, log_var, self.prior.log_prob(z))
        else:
            kl = losses.gaussian_kl(mean, log_var)
        return {"loss": recon + self.beta * kl, "recon_loss": recon, "kl_loss": kl}

    def phases(self):
        return [sequential("optimizer", "loss", self.loss_terms)]

    def player_variables(self, optimizer_name):
        return self.encoder.trainable_variables + self.decoder.trainable_variables

