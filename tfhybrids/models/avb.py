"""Adversarial Variational Bayes: a VAE with an implicit posterior and a learned KL."""

import math

import numpy as np
import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import (
    HybridModel, bernoulli_mean, check_likelihood, check_prior_dimension, decoder_io,
    register_model, sequential,
)
from tfhybrids.validation import check_int

DEFAULT_NOISE_DIM = 16


@register_model
class AVB(HybridModel):
    """Adversarial Variational Bayes (Mescheder, Nowozin & Geiger 2017, "Adversarial
    Variational Bayes: Unifying Variational Autoencoders and Generative Adversarial Networks",
    ICML, arXiv 1701.04722), without adaptive contrast.

    The posterior is implicit: the encoder is a neural sampler z = E(x, eps), eps ~ N(0, I),
    whose density q(z|x) is never computed. The ELBO's KL term is replaced by a discriminator
    T(x, z) trained with the logistic loss to tell pairs (x, z ~ q(z|x)) (label 1) from pairs
    (x, z ~ p(z)) (label 0), whose optimum is T*(x, z) = log q(z|x) - log p(z) (paper Prop. 1).
    Each step (the paper's Algorithm 1, on one batch of data x):

    1. Discriminator (psi), `discriminator_steps` times with fresh eps and prior codes:
       minimise -log sigmoid(T(x, E(x, eps))) - log(1 - sigmoid(T(x, z'))), z' ~ p(z).
    2. Encoder and decoder (phi, theta), one player: maximise the ELBO with T for the KL,
       i.e. minimise per example  -log p(x | z) + T(x, z),  z = E(x, eps),
       differentiating through z (reparameterisation) but not updating T. The decoder's
       gradient comes from the likelihood term only, as in the paper's Eq. 3.7.

    T(x, z) must be a joint network: its optimum log q(z|x) - log p(z) depends on how x and z
    go together, which a logit f(x) + g(z) cannot represent. `build_discriminator` joins x
    and z before at least one nonlinear layer (an MLP concatenates them at its input; a conv
    spec adds `joint_units` dense layers, [256] by default, after the concatenated conv
    features and z); the sampler E(x, eps) is built the same way, so the noise is mixed with
    x nonlinearly rather than added to a function of x.

    Departures from the paper: adaptive contrast (§4) is not implemented; the players are
    updated one after the other (T first) rather than simultaneously; the encoder's noise is
    concatenated to its input (the paper leaves the sampler's form open; its toy notebook
    does the same).

    Reported metrics: `loss` = recon_loss + kl_loss, the negative ELBO estimated with the
    current T; `recon_loss` = -log p(x|z); `kl_loss` = T(x, z), the adversarial estimate of
    log q(z|x) - log p(z); `d_loss` = T's logistic loss (of its last step).
    `log_likelihood` estimates log p(x) by importance sampling from a proposal with a known
    density (what `tfhybrids evaluate` reports under `log_likelihood`; the paper evaluates
    with annealed importance sampling, another stochastic lower bound; the IWAE bound does
    not apply, as it needs the density of q(z|x)); `posterior_picture` draws samples of
    q(z|x) for a few inputs (the paper's Fig. 4).

    Args:
        encoder: keras.Model. {"x": [batch, *x_shape], "noise": [batch, noise_dim]} -> z
            [batch, latent_dim].
        decoder: keras.Model. z -> x-shaped outputs: logits for "bernoulli", means for
            "gaussian".
        discriminator: keras.Model. {"x": [batch, *x_shape], "z": [batch, latent_dim]} ->
            logit [batch, 1].
        prior: tfhybrids.priors.Prior. p(z) (the paper: N(0, I)). Only samples are needed to
            train; `log_likelihood` also needs its density.
        latent_dim: int. Size of z.
        noise_dim: int. Size of the encoder's noise eps. Defaults to 16.
        likelihood: str. "bernoulli" (pixels in [-1, 1] read as {0, 1}) or "gaussian".
            Defaults to "bernoulli".
        observation_std: float > 0. Standard deviation of the Gaussian likelihood. Defaults
            to 0.1.
        discriminator_steps: int >= 1. Updates of T per update of the autoencoder (the
            authors' toy notebook uses 2). Defaults to 1.
        seed: int or None. Seed of the encoder noise and prior codes. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_decoder, build_discriminator, build_encoder
    >>> from tfhybrids.priors import make_prior
    >>> mlp = {"type": "mlp", "hidden_units": [64, 64], "activation": "elu"}
    >>> avb = AVB(build_encoder(mlp, {"x": (2, 2, 1), "noise": (16,)}, 2),
    ...           build_decoder(mlp, 2, (2, 2, 1), "linear"),
    ...           build_discriminator(mlp, {"x": (2, 2, 1), "z": (2,)}),
    ...           make_prior({"name": "gaussian"}, 2), latent_dim=2)
    >>> avb.compile()
    """

    network_names = ("encoder", "decoder", "discriminator")
    optimizer_names = ("autoencoder_optimizer", "discriminator_optimizer")
    # q(z|x) has no density: evaluation uses `log_likelihood`, not the IWAE bound.
    implicit_posterior = True
    metric_names = ("loss", "recon_loss", "kl_loss", "d_loss")

    def __init__(self, encoder, decoder, discriminator, prior, latent_dim,
                 noise_dim=DEFAULT_NOISE_DIM, likelihood="bernoulli", observation_std=0.1,
                 discriminator_steps=1, seed=None, **kwargs):
        super().__init__(seed=seed, encoder=encoder, decoder=decoder, discriminator=discriminator,
                         prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.noise_dim = check_int("model", "noise_dim", noise_dim, minimum=1)
        check_likelihood(self, likelihood, observation_std)
        self.discriminator_steps = check_int("model", "discriminator_steps",
                                             discriminator_steps, minimum=1)
        check_prior_dimension(self, prior, required="the paper's is prior: {name: gaussian}")
        inputs = encoder.input
        if not isinstance(inputs, dict) or set(inputs) != {"x", "noise"}:
            raise ConfigError("AVB: the encoder must take a dict of inputs {'x', 'noise'} "
                              "(build it with input_shape={'x': ..., 'noise': (noise_dim,)}).")
        if inputs["noise"].shape[-1] != self.noise_dim:
            raise ConfigError(f"AVB: the encoder takes noise of size "
                              f"{inputs['noise'].shape[-1]} but noise_dim is {self.noise_dim}.")
        self.image_shape = tuple(inputs["x"].shape[1:])

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        noise_dim = check_int("model", "noise_dim", args.get("noise_dim", DEFAULT_NOISE_DIM),
                              minimum=1)
        bernoulli = args.get("likelihood", "bernoulli") == "bernoulli"
        return {
            "encoder": ("encoder", {"input_shape": {"x": element_shape,
                                                    "noise": (noise_dim,)},
                                    "output_dim": latent_dim}),
            "decoder": decoder_io(latent_dim, element_shape, bernoulli),
            "discriminator": ("discriminator", {"input_shape": {"x": element_shape,
                                                                "z": (latent_dim,)}}),
        }

    # ------------------------------------------------------------------ inference
    def encode(self, x, noise, training=False):
        """A sample z = E(x, noise) of q(z|x)."""
        # Keras refuses a dict mixing numpy arrays and tensors.
        x = tf.convert_to_tensor(x, tf.float32)
        noise = tf.convert_to_tensor(noise, tf.float32)
        return self.encoder({"x": x, "noise": noise}, training=training)

    def encode_outputs(self, x):
        """Named encoder outputs for export: the code E(x, 0), the sampler at zero noise
        (deterministic, so an exported `encode` is reproducible)."""
        noise = tf.zeros(tf.stack([tf.shape(x)[0], self.noise_dim]), x.dtype)
        return {"code": self.encode(x, noise)}

    def sample_posterior(self, x, num_samples, seed):
        """`num_samples` draws of q(z|x) for each input: float32 [n, num_samples, latent_dim].

        Args:
            x: float array [n, *x_shape].
            num_samples: int.
            seed: int tensor [2]. Stateless seed of the encoder noise.
        """
        x = tf.convert_to_tensor(x, tf.float32)
        n = tf.shape(x)[0]
        repeated = tf.repeat(x, num_samples, axis=0)
        noise = tf.random.stateless_normal(tf.stack([n * num_samples, self.noise_dim]),
                                           seed=seed)
        z = self.encode(repeated, noise)
        return tf.reshape(z, tf.stack([n, num_samples, self.latent_dim]))

    def decode_outputs(self, z, training=False):
        """The decoder's raw outputs (logits for Bernoulli, means for Gaussian)."""
        return self.decoder(z, training=training)

    def decode(self, z, training=False):
        """Decodes codes to the likelihood's mean, images in [-1, 1]."""
        return bernoulli_mean(self.decode_outputs(z, training=training),
                              self.likelihood == "bernoulli")

    def call(self, x, training=False):
        """Reconstructs x through the zero-noise code E(x, 0)."""
        noise = tf.zeros(tf.stack([tf.shape(x)[0], self.noise_dim]), x.dtype)
        return self.decode(self.encode(x, noise, training=training), training=training)

    def sample_prior(self, num, seed):
        return self.prior.sample(num, seed)

    # ------------------------------------------------------------------ objective
    def _log_likelihood_of(self, x, outputs):
        if self.likelihood == "bernoulli":
            return -losses.bernoulli_nll(x, outputs)
        return -losses.gaussian_nll(x, outputs, math.log(self.observation_std))

    def _logit(self, x, z, training):
        inputs = {"x": tf.convert_to_tensor(x, tf.float32),
                  "z": tf.convert_to_tensor(z, tf.float32)}
        return self.discriminator(inputs, training=training)[:, 0]

    def discriminator_loss(self, x, noise, z_prior, training):
        """Per-example logistic loss of T: posterior pairs labelled 1, prior pairs 0."""
        z_posterior = self.encode(x, noise, training=training)
        return losses.minimax_discriminator_loss(self._logit(x, z_posterior, training),
                                                 self._logit(x, z_prior, training))

    def elbo_terms(self, x, noise, training):
        """Per-example negative ELBO with T in place of the KL, and its two terms."""
        z = self.encode(x, noise, training=training)
        recon = -self._log_likelihood_of(x, self.decode_outputs(z, training=training))
        kl = self._logit(x, z, training)
        return {"loss": recon + kl, "recon_loss": recon, "kl_loss": kl}

    def phases(self):
        # Fresh draws for each of the k updates of T and for the autoencoder's update.
        def discriminator_loss(batch, training):
            size = tf.shape(batch.x)[0]
            noise = self.normal_noise(size, [self.noise_dim])
            return self.discriminator_loss(batch.x, noise, self.prior_samples(self.prior, size),
                                           training)

        def elbo_terms(batch, training):
            noise = self.normal_noise(tf.shape(batch.x)[0], [self.noise_dim])
            return self.elbo_terms(batch.x, noise, training)

        return [sequential("discriminator_optimizer", "d_loss", discriminator_loss,
                           repeat=self.discriminator_steps),
                sequential("autoencoder_optimizer", "loss", elbo_terms)]

    def player_variables(self, optimizer_name):
        if optimizer_name == "discriminator_optimizer":
            return self.discriminator.trainable_variables
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    # ------------------------------------------------------------------ evaluation
    def log_likelihood(self, x, num_samples=1000, seed=0, chunk=64):
        """Importance-sampling estimate of log p(x) for each input, in nats.

        log p(x) = log E_r[p(x|z) p(z) / r(z)] with K = `num_samples` draws from the
        defensive proposal r(z) = 1/2 p(z) + 1/2 N(mu_x, (2 s_x)^2), where mu_x and s_x are
        the mean and per-dimension standard deviation of K draws of the implicit q(z|x).
        Mixing in the prior keeps the weights bounded (w <= 2 p(x|z)), so the estimate is
        consistent whatever shape q has; it is a stochastic lower bound of log p(x) in
        expectation (Jensen). Needs a prior with a density.

        Args:
            x: float array [n, *x_shape].
            num_samples: int. Importance samples K per input.
            seed: int. Seed of every draw.
            chunk: int. Inputs processed together.

        Returns:
            np.ndarray float64 [n].
        """
        if not self.prior.has_log_prob:
            raise ConfigError(f"AVB.log_likelihood: the '{self.prior.name}' prior has no "
                              "density; use a gaussian or gaussian_mixture prior.")
        x = np.asarray(x, np.float32)
        results = []
        for start in range(0, len(x), chunk):
            results.append(self._log_likelihood_chunk(
                tf.constant(x[start:start + chunk]), num_samples,
                tf.constant([seed, start], tf.int32)))
        return np.concatenate(results) if results else np.zeros(0)

    def _log_likelihood_chunk(self, x, k, seed):
        seeds = tf.random.experimental.stateless_split(seed, 5)
        n, d = int(x.shape[0]), self.latent_dim
        posterior = self.sample_posterior(x, k, seeds[0])
        mean = tf.reduce_mean(posterior, axis=1, keepdims=True)
        scale = 2.0 * tf.math.reduce_std(posterior, axis=1, keepdims=True) + 1e-3
        from_prior = tf.reshape(self.prior.sample(n * k, seeds[1]), [n, k, d])
        from_fit = mean + scale * tf.random.stateless_normal([n, k, d], seed=seeds[2])
        use_prior = tf.random.stateless_uniform([n, k, 1], seed=seeds[3]) < 0.5
        z = tf.reshape(tf.where(use_prior, from_prior, from_fit), [n * k, d])
        log_prior = self.prior.log_prob(z)
        fit_log_density = losses.gaussian_log_density(
            z, tf.reshape(tf.broadcast_to(mean, [n, k, d]), [n * k, d]),
            tf.reshape(tf.broadcast_to(2.0 * tf.math.log(scale), [n, k, d]), [n * k, d]))
        log_proposal = tf.reduce_logsumexp(tf.stack([log_prior, fit_log_density]), axis=0)
        log_proposal += math.log(0.5)
        log_likelihood = self._log_likelihood_of(tf.repeat(x, k, axis=0),
                                                 self.decode_outputs(z))
        log_weights = tf.reshape(log_likelihood + log_prior - log_proposal, [n, k])
        return (tf.reduce_logsumexp(log_weights, axis=1) - math.log(k)).numpy().astype(
            np.float64)



def posterior_picture(model, x, labels=None, num_samples=500, seed=0, class_names=None):
    """Samples of q(z|x) for each input, coloured by input, over prior samples in grey (the
    paper's Fig. 4), as a uint8 RGB array (write it with `tfhybrids.plots.write_png`).

    Args:
        model: an AVB with latent_dim 2 (only the first two dimensions are drawn otherwise).
        x: float array [n, *x_shape]. The inputs, e.g. the four images of `four_points`.
        labels: int array [n] or None. Colour of each input's samples; defaults to 0..n-1.
        num_samples: int. Posterior draws per input.
        seed: int. Seed of the draws.
        class_names: list of str or None. Legend entries.
    """
    from tfhybrids import plots

    labels = np.arange(len(x)) if labels is None else np.asarray(labels)
    z = np.asarray(model.sample_posterior(x, num_samples, tf.constant([seed, 0], tf.int32)))
    prior = np.asarray(model.sample_prior(2000, tf.constant([seed, 1], tf.int32)))
    return plots.scatter(z.reshape(-1, z.shape[-1]), np.repeat(labels, num_samples),
                         title="samples of q(z|x) for each input", reference=prior,
                         class_names=class_names)
