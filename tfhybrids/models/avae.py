"""Adversarial variational autoencoder (AVAE)."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import (
    HybridModel, LatentPrior, check_gaussian_encoder, data_name, from_model_range,
    output_activation, register_model, seed_pair, simultaneous, to_model_range,
)
from tfhybrids.validation import check_float, check_int

DEFAULT_NOISE_DIM = 16


@register_model
class AVAE(LatentPrior, HybridModel):
    """Adversarial variational autoencoder (Plumerault, Le Borgne & Hudelot 2020, ICPR,
    arXiv 2012.11551).

    A VAE and a GAN trained side by side and tied by a reconstruction error measured in the
    VAE encoder's code space. What the paper states (its poster, seed 001, and the released
    code, github.com/AntoinePlumerault/AVAE, src/frameworks/avae.py; the paper's body could
    not be read here):

    - The latent reconstruction loss (Eq. 4; `losses.latent_reconstruction_loss`), written
      for an image x_hat generated from a code z,

          L_Z(x_hat) = 1/2 || (mu_e(x_hat) - sqrt(1 - sigma_e^2) z) / sigma_e ||^2,

      with one encoder standard deviation sigma_e; its optimum mu_e(x_hat*(z)) =
      sqrt(1 - sigma_e^2) z gives mu_e of generated images the distribution of mu_e of real
      ones, N(0, I - sigma_e^2), "for z ~ p(z)".
    - Which z: the poster derives L_Z as a reconstruction error between x_hat(z) and the real
      images x whose code is z (a term g(x) = sqrt(1 - sigma_e^2) z / sigma_e, z drawn by the
      encoder from x); g depends on x only through z, so L_Z is a function of z alone, and the
      authors' training step applies it to prior samples: z ~ N(0, I), x_hat = G(z) (the same
      thing in expectation when the encoder's aggregate posterior matches the prior). Only at
      evaluation ("generator reconstructions") is G fed the encoder's code of a real image.
    - G's inputs: the poster writes the generator as a function of z alone (x_hat*(z)); the
      released code feeds it [z, xi], xi ~ N(0, I) with as many dimensions as z. This model
      follows the code by default (`noise_dim` 16, the shipped config's latent size);
      `noise_dim: 0` gives G(z), the form of the poster's formulas.
    - Training: one forward pass on a batch, then every network steps on its own loss with
      its own Adam (the code: learning rate 2e-4, beta_1 0.5, decayed exponentially):
      encoder beta * KL + NLL, decoder NLL, generator GAN loss + L_Z, discriminator the
      logistic loss on real x against G(z, xi). L_Z's gradient reaches the generator through
      the encoder, but L_Z is not in the encoder's loss.

    The players here, all updated from the same batch and draws (simultaneous updates, as in
    the code):

    - encoder + decoder (`vae_optimizer`): the VAE loss only,
      -log N(x; dec(z_e), observation_std^2 I) + beta KL(q(z|x) || N(0, I)), z_e ~ q(z|x).
    - generator (`generator_optimizer`): -log D(G(z, xi)) + latent_weight * L_Z(G(z, xi)),
      z ~ p(z). The encoder is run in inference mode on x_hat, so neither its weights nor its
      batch-norm statistics learn from generated images: the code space stays the VAE's.
    - discriminator (`discriminator_optimizer`): -log D(x) - log(1 - D(G(z, xi))). It never
      sees the VAE decoder's outputs: the two halves meet only through the encoder.

    The model samples like a GAN, G(z, xi), and reconstructs through the generator,
    G(mu_e(x), 0) (the paper's "generator reconstructions", `call`); the VAE decoder's
    reconstruction dec(mu_e(x)) is `vae_reconstruction`.

    Where this code departs from the paper and its code, and why:
    - sigma_e. Eq. 4 has one sigma_e, independent of the image (its derivation needs a
      constant posterior variance: then the means of real images follow N(0, I - sigma_e^2)).
      The encoder here predicts sigma_e(x) per image, so we use the per-dimension constant
      sigma_e^2 = E_x[sigma_e(x)^2] over the real images of the global batch (the variance
      that makes Var(mu_e) + E[sigma_e^2] = I when the aggregate posterior matches the prior),
      with no gradient. The authors' code instead weights each dimension by 1 / sigma_e(x_hat)^2
      of the generated image, normalised over dimensions (a softmax of -2 log sigma_e), with
      no gradient; we keep Eq. 4's scale, which does not let the generator choose its own
      weights by making images the encoder is unsure of.
    - Target. We keep Eq. 4's sqrt(1 - sigma_e^2) z (the authors' code uses z); variances
      above 1 give a target of 0.
    - Generator loss. The non-saturating -log D(G) (Goodfellow et al. 2014), as in the other
      GANs of the library; the authors' code minimises -D(G) on the raw logit.
    - Weighting: the generator minimises the GAN loss + `latent_weight` * L_Z (the paper
      adds them; `latent_weight` = 1 by default). L_Z is summed over latent dimensions and
      each is weighted by 1 / sigma_e^2, so dimensions the encoder ignores cost little.
    - Generator reconstructions use z = mu_e(x) and xi = 0 (the authors' code samples z from
      q(z|x) and draws xi). At the optimum mu_e(G(z)) = sqrt(1 - sigma_e^2) z, so the exact
      inverse would be mu_e(x) / sqrt(1 - sigma_e^2); that rescaling is under 1% on the
      dimensions the encoder uses (sigma_e < 0.15) and 0 / 0 on those it ignores
      (sigma_e ~ 1, mu_e ~ 0), so it is left out.
    - `decode(z)` (the export's `decode`, and the run's sample grid) draws G(z, 0); the
      exported `generate` signature draws xi too, from each seed.

    Metrics: `recon_loss` the Gaussian NLL of x under the VAE decoder (nats, summed over
    pixels); `kl_loss` KL(q(z|x) || N(0, I)); `d_loss` -log D(x) - log(1 - D(G(z, xi)))
    (1.386 at chance); `g_loss` -log D(G(z, xi)), the adversarial part of the generator's
    loss (0.693 at chance); `latent_loss` L_Z(G(z, xi)).

    Args:
        encoder: keras.Model. x -> [batch, 2 * latent_dim]: mean and log-variance stacked.
        decoder: keras.Model. z [batch, latent_dim] -> x (the VAE decoder; tanh images).
        generator: keras.Model. {"code": [batch, latent_dim], "noise": [batch, noise_dim]}
            -> x (tanh images, or points); {"code": ...} only when noise_dim is 0.
        discriminator: keras.Model. x -> logit [batch, 1].
        latent_dim: int. Size of z.
        noise_dim: int >= 0. Size of the generator's extra noise xi; 0 means no extra noise,
            G(z). Defaults to 16 (the authors' code uses the latent size).
        prior: tfhybrids.priors.Prior or None. Must be the standard Gaussian (L_Z's
            derivation assumes it). Defaults to None: N(0, I).
        beta: float. Weight of the KL term of the VAE. Defaults to 1.0.
        observation_std: float. Standard deviation of the VAE's Gaussian likelihood (images
            in [-1, 1]). Defaults to 0.1.
        latent_weight: float. Weight of L_Z in the generator's loss. Defaults to 1.0.
        seed: int or None. Seed of the model's random draws. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_decoder, build_discriminator, build_encoder
    >>> mlp = {"type": "mlp", "hidden_units": [32]}
    >>> avae = AVAE(build_encoder(mlp, (8, 8, 1), 4), build_decoder(mlp, 2, (8, 8, 1)),
    ...             build_decoder(mlp, {"code": 2, "noise": 3}, (8, 8, 1)),
    ...             build_discriminator(mlp, (8, 8, 1)), latent_dim=2, noise_dim=3)
    >>> avae.compile()
    >>> images = avae.decode(avae.sample_prior(4, tf.constant([1, 2])))  # [4, 8, 8, 1]
    """

    network_names = ("encoder", "decoder", "generator", "discriminator")
    optimizer_names = ("vae_optimizer", "generator_optimizer", "discriminator_optimizer")
    default_optimizers = {
        "vae_optimizer": {"class_name": "Adam", "config": {"learning_rate": 1e-3}},
        "generator_optimizer": {"class_name": "Adam",
                                "config": {"learning_rate": 2e-4, "beta_1": 0.5}},
        "discriminator_optimizer": {"class_name": "Adam",
                                    "config": {"learning_rate": 2e-4, "beta_1": 0.5}},
    }
    metric_names = ("recon_loss", "kl_loss", "d_loss", "g_loss", "latent_loss")

    def __init__(self, encoder, decoder, generator, discriminator, latent_dim,
                 noise_dim=DEFAULT_NOISE_DIM, prior=None, beta=1.0, observation_std=0.1,
                 latent_weight=1.0, seed=None, **kwargs):
        super().__init__(seed=seed, encoder=encoder, decoder=decoder, generator=generator,
                         discriminator=discriminator, prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.noise_dim = check_int("model", "noise_dim", noise_dim, minimum=0)
        self.beta = check_float("model", "beta", beta, minimum=0.0)
        self.observation_std = check_float("model", "observation_std", observation_std,
                                           minimum=0.0, exclusive_minimum=True)
        self.latent_weight = check_float("model", "latent_weight", latent_weight, minimum=0.0)
        if prior is not None and not (
                prior.name == "gaussian" and prior.config.get("scale", 1.0) == 1.0):
            raise ConfigError(
                f"AVAE: the latent reconstruction loss assumes the standard Gaussian prior, "
                f"got '{prior.name}'; use prior: {{name: gaussian}}."
            )
        check_gaussian_encoder(self, encoder)
        generator_inputs = generator.input
        sizes = {"code": self.latent_dim, "noise": self.noise_dim} if self.noise_dim else \
            {"code": self.latent_dim}
        if not isinstance(generator_inputs, dict) or set(generator_inputs) != set(sizes):
            raise ConfigError(
                f"AVAE: with noise_dim {self.noise_dim} the generator must take a dict of "
                f"inputs {sorted(sizes)} (build it with build_decoder(spec, {sizes}, ...))."
            )
        for key, size in sizes.items():
            if generator_inputs[key].shape[-1] != size:
                raise ConfigError(
                    f"AVAE: the generator's '{key}' input has size "
                    f"{generator_inputs[key].shape[-1]}, expected {size}."
                )
        self.image_shape = tuple(encoder.input_shape[1:])

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        noise_dim = check_int("model", "noise_dim", args.get("noise_dim", DEFAULT_NOISE_DIM),
                              minimum=0)
        generator_inputs = {"code": latent_dim, "noise": noise_dim} if noise_dim else \
            {"code": latent_dim}
        activation = output_activation(False, element_shape)
        return {
            "encoder": ("encoder", {"input_shape": element_shape, "output_dim": 2 * latent_dim}),
            "decoder": ("decoder", {"input_dim": latent_dim, "output_shape": element_shape,
                                    "output_activation": activation}),
            "generator": ("decoder", {"input_dim": generator_inputs,
                                      "output_shape": element_shape,
                                      "output_activation": activation}),
            "discriminator": ("discriminator", {"input_shape": element_shape}),
        }

    # ------------------------------------------------------------------ inference
    def encode(self, x, training=False):
        """Returns (mean, log_var) of q(z|x)."""
        return tf.split(self.encoder(x, training=training), 2, axis=-1)

    def encode_outputs(self, x):
        """Named encoder outputs for export: the posterior's mean and log-variance."""
        mean, log_var = self.encode(x)
        return {"mean": mean, "log_var": log_var}

    def generator_images(self, z, noise=None, training=False):
        """G(z, xi); xi = 0 (the noise's mean) when `noise` is None; G(z) when noise_dim is 0."""
        if not self.noise_dim:
            return self.generator({"code": z}, training=training)
        if noise is None:
            noise = tf.zeros([tf.shape(z)[0], self.noise_dim], z.dtype)
        return self.generator({"code": z, "noise": noise}, training=training)

    def decode(self, z, training=False):
        """G(z, 0): the generator's image for code z, with the noise at its mean."""
        return self.generator_images(z, training=training)

    def call(self, x, training=False):
        """Generator reconstruction G(mu_e(x), 0)."""
        mean, _ = self.encode(x, training=training)
        return self.generator_images(mean, training=training)

    def vae_reconstruction(self, x, training=False):
        """VAE decoder reconstruction dec(mu_e(x))."""
        mean, _ = self.encode(x, training=training)
        return self.decoder(mean, training=training)

    def extra_serving_functions(self):
        data = data_name(self)
        data_spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name=data)
        seed_spec = tf.TensorSpec([None], tf.int64, name="seeds")

        def generate(seeds):
            def one(seed):
                # A 64-bit seed folded into the two halves of a stateless seed; the noise
                # uses a second seed derived from it, so each seed gives one (z, xi).
                pair = seed_pair(seed)
                z = self.sample_prior(1, pair)[0]
                xi = tf.random.stateless_normal(
                    [self.noise_dim], seed=tf.random.experimental.stateless_fold_in(pair, 1))
                return z, xi

            z, xi = tf.map_fn(one, tf.cast(seeds, tf.int64), fn_output_signature=(
                tf.TensorSpec([self.latent_dim], tf.float32),
                tf.TensorSpec([self.noise_dim], tf.float32)))
            return {data: from_model_range(self, self.generator_images(z, xi)), "codes": z}

        def vae_reconstruct(inputs):
            x = to_model_range(self, inputs)
            return {data: from_model_range(self, self.vae_reconstruction(x))}

        return {"generate": (generate, [seed_spec]),
                "vae_reconstruct": (vae_reconstruct, [data_spec])}

    # ------------------------------------------------------------------ objective
    def vae_terms(self, x, eps, training):
        """Per-example VAE terms for x with reparameterisation noise eps, and sigma_e^2(x)."""
        mean, log_var = self.encode(x, training=training)
        z = mean + tf.exp(0.5 * log_var) * eps
        recon = losses.gaussian_nll(x, self.decoder(z, training=training),
                                    tf.math.log(self.observation_std))
        kl = losses.gaussian_kl(mean, log_var)
        return {"recon_loss": recon, "kl_loss": kl, "variance": tf.exp(log_var)}

    @staticmethod
    def code_scale(variance):
        """sigma_e per latent dimension: sqrt of E[sigma_e(x)^2] over the global batch.

        Summed across replicas, so N replicas use the value one device would; no gradient
        (sigma_e is a constant of L_Z, see the class docstring).
        """
        variance = tf.stop_gradient(variance)
        context = tf.distribute.get_replica_context()
        total = tf.reduce_sum(variance, axis=0)
        count = tf.cast(tf.shape(variance)[0], variance.dtype)
        if context is not None and context.num_replicas_in_sync > 1:
            total = context.all_reduce(tf.distribute.ReduceOp.SUM, total)
            count = count * context.num_replicas_in_sync
        return tf.sqrt(total / count)

    def gan_terms(self, x, z, noise, scale, training):
        """Per-example d_loss, g_loss and latent_loss for real x and codes (z, noise)."""
        fake = self.generator_images(z, noise, training=training)
        fake_logits = self.discriminator(fake, training=training)
        d_loss = losses.minimax_discriminator_loss(
            self.discriminator(x, training=training), fake_logits)
        # Inference mode: the encoder is a fixed feature map for the generator, and its
        # batch-norm statistics must not learn from generated images.
        fake_mean, _ = self.encode(fake, training=False)
        return {
            "d_loss": d_loss,
            "g_loss": losses.non_saturating_generator_loss(fake_logits),
            "latent_loss": losses.latent_reconstruction_loss(fake_mean, z, scale),
        }

    def _draws(self, local_batch):
        eps = self.normal_noise(local_batch, [self.latent_dim])
        z = self.prior_samples_or_noise(local_batch)
        noise = self.normal_noise(local_batch, [self.noise_dim]) if self.noise_dim else None
        return eps, z, noise

    def player_losses(self, batch, training):
        """Every per-example term of one forward pass: the VAE's and the GAN's."""
        eps, z, noise = self._draws(tf.shape(batch.x)[0])
        vae = self.vae_terms(batch.x, eps, training)
        terms = self.gan_terms(batch.x, z, noise, self.code_scale(vae.pop("variance")),
                               training)
        terms.update(vae)
        return terms

    def phases(self):
        # One forward pass, then each player descends its own loss (simultaneous updates).
        return [simultaneous(
            self.player_losses,
            vae_optimizer=lambda terms: terms["recon_loss"] + self.beta * terms["kl_loss"],
            generator_optimizer=lambda terms: (terms["g_loss"]
                                               + self.latent_weight * terms["latent_loss"]),
            discriminator_optimizer="d_loss")]

    def player_variables(self, optimizer_name):
        if optimizer_name == "vae_optimizer":
            return self.encoder.trainable_variables + self.decoder.trainable_variables
        if optimizer_name == "generator_optimizer":
            return self.generator.trainable_variables
        return self.discriminator.trainable_variables

