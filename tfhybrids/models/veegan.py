"""VEEGAN: a GAN with a reconstructor network, trained in joint (z, x) space."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.models.base import (
    HybridModel, check_output_size, check_prior_dimension, decoder_io, register_model,
    sequential,
)
from tfhybrids.validation import check_float, check_int

_ADAM = {"class_name": "Adam", "config": {"learning_rate": 1e-3, "beta_1": 0.5}}


@register_model
class VEEGAN(HybridModel):
    """VEEGAN (Srivastava, Valkov, Russell, Gutmann & Sutton 2017, "VEEGAN: Reducing Mode
    Collapse in GANs using Implicit Variational Learning", NeurIPS, arXiv 1705.07761).

    A generator G: z -> x, a reconstructor F: x -> z that learns to invert it, and a
    discriminator D(z, x) on joint pairs. The reconstructor defines
    p_theta(z|x) = N(F(x), sigma^2 I) (sigma = `reconstructor_noise_std`); VEEGAN minimises
    over (G, F) the paper's objective (§3),

        O(gamma, theta) = KL[ q_gamma(x|z) p0(z) || p_theta(z|x) p(x) ] - E[log p0(z)]
                          + E[ d(z, F(x)) ],     z ~ p0, x = G(z), d = ||.||_2^2,

    where the joint KL is estimated by the logit of D trained by logistic regression
    (at its optimum D(z, x) = log q_gamma(x|z)p0(z) - log p_theta(z|x)p(x)).
    The -E[log p0(z)] term does not depend on any parameter and is dropped. Each step
    (the paper's Algorithm 1, on one batch of prior codes z and data x):

    1. Discriminator (omega): minimise
       -log sigmoid(D(z, G(z))) - log(1 - sigmoid(D(F(x) + sigma*eps, x))), eps ~ N(0, I):
       pairs made by the generator are labelled 1, pairs made by the reconstructor 0.
    2. Generator and reconstructor (gamma, theta), one player: minimise
       D(z, G(z)) + reconstruction_weight * ||z - F(G(z))||^2.
       As in Algorithm 1, the reconstructor's gradient comes from the l2 term only (the
       estimated KL depends on theta only through omega); the generator's comes from both.

    Departures from the paper: the two players are updated one after the other (the
    discriminator first, then G and F against the updated D) rather than from gradients
    computed simultaneously; `reconstruction_weight` (1 in the paper) lets the l2 term be
    scaled; `reconstructor_noise_std` = 0 makes the reconstructor deterministic. The generator
    is deterministic given z (the paper allows an implicit q_gamma(x|z)).

    D(z, x) is a joint network, as in the paper: it must estimate the log-ratio of two joint
    densities of (z, x), which a logit f(z) + g(x) cannot represent (it would compare only
    the marginals). `build_discriminator` concatenates z and x before its hidden layers (MLP)
    or joins z with the conv features of x before `joint_units` dense layers ([256] by
    default; a spec that cannot join is refused).

    The reconstructor's noise matters: on the 2-D ring with sigma = 0 the discriminator told
    the pairs apart at once (d_loss 0.02) and the generator collapsed to one mode, while with
    sigma = 1 (identity covariance, the default) it kept all eight.

    Reported metrics (means over the epoch): `loss` = kl_loss + reconstruction_weight *
    recon_loss, what the generator and reconstructor minimise; `kl_loss` = D(z, G(z)), the
    discriminator's estimate of the joint KL term, per example; `recon_loss` =
    ||z - F(G(z))||^2; `d_loss` = the discriminator's logistic loss.

    Args:
        generator: keras.Model. z [batch, latent_dim] -> x (linear output for 2-D points,
            tanh for images in [-1, 1]).
        reconstructor: keras.Model. x -> z [batch, latent_dim].
        discriminator: keras.Model. {"z": [batch, latent_dim], "x": [batch, *x_shape]} ->
            logit [batch, 1].
        prior: tfhybrids.priors.Prior. p0(z), the generator's noise (the paper: N(0, I)).
        latent_dim: int. Size of z.
        reconstructor_noise_std: float >= 0. Standard deviation sigma of the Gaussian
            p_theta(z|x) around F(x), sampled for the discriminator's data pairs. Defaults
            to 1.0 (identity covariance).
        reconstruction_weight: float >= 0. Weight of the l2 term in code space. Defaults
            to 1.0 (the paper).
        seed: int or None. Seed of the prior codes and the reconstructor's noise. Defaults
            to None.

    Example:
    >>> from tfhybrids.networks import build_decoder, build_discriminator, build_encoder
    >>> from tfhybrids.priors import make_prior
    >>> mlp = {"type": "mlp", "hidden_units": [128, 128]}
    >>> veegan = VEEGAN(build_decoder(mlp, 8, (2,), "linear"), build_encoder(mlp, (2,), 8),
    ...                 build_discriminator(mlp, {"z": (8,), "x": (2,)}),
    ...                 make_prior({"name": "gaussian"}, 8), latent_dim=8)
    >>> veegan.compile()
    >>> points = veegan.decode(veegan.sample_prior(2500, tf.constant([0, 1])))
    """

    network_names = ("generator", "reconstructor", "discriminator")
    optimizer_names = ("generator_optimizer", "discriminator_optimizer")
    default_optimizers = {"generator_optimizer": _ADAM, "discriminator_optimizer": _ADAM}
    metric_names = ("loss", "kl_loss", "recon_loss", "d_loss")

    def __init__(self, generator, reconstructor, discriminator, prior, latent_dim,
                 reconstructor_noise_std=1.0, reconstruction_weight=1.0, seed=None, **kwargs):
        super().__init__(seed=seed, generator=generator, reconstructor=reconstructor,
                         discriminator=discriminator, prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.reconstructor_noise_std = check_float(
            "model", "reconstructor_noise_std", reconstructor_noise_std, minimum=0.0)
        self.reconstruction_weight = check_float(
            "model", "reconstruction_weight", reconstruction_weight, minimum=0.0)
        check_prior_dimension(self, prior, required="the paper's is prior: {name: gaussian}")
        check_output_size(self, reconstructor, "reconstructor", self.latent_dim,
                          f"latent_dim = {self.latent_dim} values")
        self.image_shape = tuple(reconstructor.input_shape[1:])

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        return {
            "generator": decoder_io(latent_dim, element_shape),
            "reconstructor": ("encoder", {"input_shape": element_shape,
                                          "output_dim": latent_dim}),
            "discriminator": ("discriminator", {"input_shape": {"z": (latent_dim,),
                                                                "x": element_shape}}),
        }

    # ------------------------------------------------------------------ generation, inference
    def decode(self, z, training=False):
        """Generates data G(z) from codes."""
        return self.generator(z, training=training)

    def encode(self, x, training=False):
        """The reconstructor's code F(x) (the mean of p_theta(z|x))."""
        return self.reconstructor(x, training=training)

    def encode_outputs(self, x):
        """Named encoder outputs for export: the reconstructor's code."""
        return {"code": self.encode(x)}

    def call(self, x, training=False):
        """Reconstructs x through the code space: G(F(x))."""
        return self.decode(self.encode(x, training=training), training=training)

    def sample_prior(self, num, seed):
        return self.prior.sample(num, seed)

    def generate(self, num, seed):
        """`num` samples G(z), z ~ p0, from a stateless seed (int32 [2])."""
        return self.decode(self.sample_prior(num, seed))

    # ------------------------------------------------------------------ objective
    def _logit(self, z, x, training):
        # Keras refuses a dict mixing numpy arrays and tensors.
        inputs = {"z": tf.convert_to_tensor(z, tf.float32),
                  "x": tf.convert_to_tensor(x, tf.float32)}
        return self.discriminator(inputs, training=training)[:, 0]

    def discriminator_loss(self, x, z, eps, training):
        """Per-example logistic loss of D: generator pairs (z, G(z)) are labelled 1,
        reconstructor pairs (F(x) + sigma * eps, x) are labelled 0."""
        z_data = self.reconstructor(x, training=training) + self.reconstructor_noise_std * eps
        return losses.minimax_discriminator_loss(
            self._logit(z, self.generator(z, training=training), training),
            self._logit(z_data, x, training),
        )

    def generator_terms(self, z, training):
        """Per-example terms of the objective of G and F for prior codes z."""
        x_fake = self.generator(z, training=training)
        kl = self._logit(z, x_fake, training)
        recon = losses.squared_error(z, self.reconstructor(x_fake, training=training))
        return {"loss": kl + self.reconstruction_weight * recon, "kl_loss": kl,
                "recon_loss": recon}

    def step_inputs(self, data):
        # One draw of prior codes z and reconstructor noise eps serves both phases.
        batch = super().step_inputs(data)
        size = tf.shape(batch.x)[0]
        return batch._replace(draws=(self.prior_samples(self.prior, size),
                                     self.normal_noise(size, [self.latent_dim])))

    def phases(self):
        def discriminator_loss(batch, training):
            z, eps = batch.draws
            return self.discriminator_loss(batch.x, z, eps, training)

        def generator_terms(batch, training):
            return self.generator_terms(batch.draws[0], training)

        return [sequential("discriminator_optimizer", "d_loss", discriminator_loss),
                sequential("generator_optimizer", "loss", generator_terms)]

    def player_variables(self, optimizer_name):
        if optimizer_name == "discriminator_optimizer":
            return self.discriminator.trainable_variables
        return self.generator.trainable_variables + self.reconstructor.trainable_variables

