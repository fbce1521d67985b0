"""Bidirectional GAN (BiGAN) and adversarially learned inference (ALI)."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import HybridModel, LatentPrior, decoder_io, register_model, simultaneous
from tfhybrids.validation import check_choice, check_int

ENCODER_TYPES = ("deterministic", "gaussian")
_ADAM = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}


@register_model
class BiGAN(LatentPrior, HybridModel):
    """Bidirectional GAN (Donahue, Krähenbühl & Darrell 2016, arXiv 1605.09782) and
    adversarially learned inference (Dumoulin, Belghazi, Poole, Mastropietro, Lamb, Arjovsky
    & Courville 2016, arXiv 1606.00704).

    An encoder E: x -> z and a generator G: z -> x are trained against one discriminator on
    *joint* pairs, D(x, z), which tells encoder pairs (x, E(x)), x ~ data, from generator
    pairs (G(z), z), z ~ p(z). At the optimum the two joint distributions are equal, so E
    inverts G (seed 004: matching in joint space by a density-ratio classifier). Per example:

    - discriminator: L_D = -log D(x, E(x)) - log(1 - D(G(z), z))  (encoder pairs are "real").
    - encoder and generator: the non-saturating *inverted* objective (BiGAN §3.4, ALI §3.3):
      the same cross-entropy with the labels swapped,
        L_E = -log(1 - D(x, E(x)))   (`e_loss`),  L_G = -log D(G(z), z)   (`g_loss`),
      each minimised by its own optimizer. (L_E + L_G is the inverted-label loss; E appears
      only in the first term and G only in the second, so the split loses nothing.)

    `encoder_type: deterministic` is BiGAN's E(x). `encoder_type: gaussian` is ALI's
    stochastic encoder q(z|x) = N(mu(x), diag sigma(x)^2), sampled by the reparameterisation
    trick for the encoder pairs; its mean is the code used to reconstruct and export.
    Reconstruction (`call`) is G(E(x)) (G(mu(x)) for ALI). Works with conv nets on images
    and MLPs on 2-D points (the mode-collapse benchmark).

    Each step computes all losses on one batch and one set of draws and updates the three
    players simultaneously, as in ALI's Algorithm 1 (one forward pass instead of two).

    D must see x and z *together*: in both papers x and z each go through their own layers
    and the joined features through further nonlinear layers before the logit (ALI's appendix
    A: two wide 1x1-convolution layers over the concatenated x and z features). A logit
    f(x) + g(z) could only compare the marginals, which E and G match without E inverting G.
    `build_discriminator` always joins them before a nonlinear layer: an MLP concatenates x
    and z at its input; a conv spec adds `joint_units` dense layers after the concatenated
    conv features and z ([256] by default; `joint_units: []` is refused).

    Metrics: `d_loss` L_D (1.386 at chance), `e_loss` L_E and `g_loss` L_G (0.693 each at
    chance).

    Args:
        encoder: keras.Model. x -> z [batch, latent_dim] (deterministic) or
            [batch, 2 * latent_dim] (gaussian: mean and log-variance stacked).
        generator: keras.Model. z -> x (tanh images, or linear points).
        discriminator: keras.Model. {"x": x, "z": z} -> logit [batch, 1].
        prior: tfhybrids.priors.Prior or None. p(z). Defaults to None: N(0, I).
        latent_dim: int. Size of z.
        encoder_type: str. "deterministic" (BiGAN) or "gaussian" (ALI). Defaults to
            "deterministic".
        seed: int or None. Seed of the model's random draws. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_decoder, build_discriminator, build_encoder
    >>> mlp = {"type": "mlp", "hidden_units": [64]}
    >>> bigan = BiGAN(build_encoder(mlp, (2,), 2), build_decoder(mlp, 2, (2,), "linear"),
    ...               build_discriminator(mlp, {"x": (2,), "z": (2,)}), prior=None,
    ...               latent_dim=2, seed=0)
    >>> bigan.compile()
    >>> points = bigan.decode(bigan.sample_prior(16, tf.constant([1, 2])))  # [16, 2]
    """

    network_names = ("encoder", "generator", "discriminator")
    optimizer_names = ("encoder_optimizer", "generator_optimizer", "discriminator_optimizer")
    default_optimizers = {name: _ADAM for name in optimizer_names}
    metric_names = ("d_loss", "e_loss", "g_loss")

    def __init__(self, encoder, generator, discriminator, prior, latent_dim,
                 encoder_type="deterministic", seed=None, **kwargs):
        super().__init__(seed=seed, encoder=encoder, generator=generator,
                         discriminator=discriminator, prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.encoder_type = check_choice("model", "encoder_type", encoder_type, ENCODER_TYPES)
        if prior is not None and prior.latent_dim != self.latent_dim:
            raise ConfigError(
                f"BiGAN: the prior has dimension {prior.latent_dim} but latent_dim is "
                f"{self.latent_dim}; make them equal."
            )
        width = self.latent_dim * (2 if self.encoder_type == "gaussian" else 1)
        if encoder.output_shape[-1] != width:
            raise ConfigError(
                f"BiGAN: a {self.encoder_type} encoder must output {width} values, it outputs "
                f"{encoder.output_shape[-1]}."
            )
        if not isinstance(discriminator.input, dict) or set(discriminator.input) != {"x", "z"}:
            raise ConfigError(
                "BiGAN: the discriminator must take a dict of inputs {'x', 'z'} (build it "
                "with build_discriminator(spec, {'x': data_shape, 'z': (latent_dim,)}))."
            )
        self.image_shape = tuple(encoder.input_shape[1:])

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        encoder_type = check_choice("model", "encoder_type",
                                    args.get("encoder_type", "deterministic"), ENCODER_TYPES)
        width = latent_dim * (2 if encoder_type == "gaussian" else 1)
        return {
            "encoder": ("encoder", {"input_shape": element_shape, "output_dim": width}),
            "generator": decoder_io(latent_dim, element_shape),
            "discriminator": ("discriminator",
                              {"input_shape": {"x": element_shape, "z": (latent_dim,)}}),
        }

    # ------------------------------------------------------------------ inference
    def encode(self, x, training=False):
        """The encoder's code (BiGAN) or (mean, log_var) (ALI)."""
        outputs = self.encoder(x, training=training)
        if self.encoder_type == "gaussian":
            return tf.split(outputs, 2, axis=-1)
        return outputs

    def encode_outputs(self, x):
        """Named encoder outputs for export: the code, or the posterior's mean and log-var."""
        if self.encoder_type == "gaussian":
            mean, log_var = self.encode(x)
            return {"mean": mean, "log_var": log_var}
        return {"code": self.encode(x)}

    def code(self, x, training=False):
        """The deterministic code of x: E(x), or the posterior mean for ALI."""
        if self.encoder_type == "gaussian":
            return self.encode(x, training=training)[0]
        return self.encode(x, training=training)

    def decode(self, z, training=False):
        """G(z)."""
        return self.generator(z, training=training)

    def call(self, x, training=False):
        """Reconstructs x as G(E(x))."""
        return self.decode(self.code(x, training=training), training=training)

    # ------------------------------------------------------------------ objective
    def joint_logits(self, x, z_prior, eps, training):
        """D's logits on encoder pairs (x, E(x)) and generator pairs (G(z), z)."""
        if self.encoder_type == "gaussian":
            mean, log_var = self.encode(x, training=training)
            z_data = mean + tf.exp(0.5 * log_var) * eps
        else:
            z_data = self.encode(x, training=training)
        x_fake = self.generator(z_prior, training=training)
        real = self.discriminator({"x": x, "z": z_data}, training=training)
        fake = self.discriminator({"x": x_fake, "z": z_prior}, training=training)
        return real, fake

    def loss_terms(self, real_logits, fake_logits):
        """Per-example L_D = -log D(x, E(x)) - log(1 - D(G(z), z)), and the inverted-label
        L_E = -log(1 - D(x, E(x))) and L_G = -log D(G(z), z)."""
        return {
            "d_loss": losses.minimax_discriminator_loss(real_logits, fake_logits),
            "e_loss": losses.discriminator_fake_loss(real_logits),
            "g_loss": losses.non_saturating_generator_loss(fake_logits),
        }

    def joint_losses(self, batch, training):
        """`loss_terms` of one draw of prior codes (and of ALI's encoder noise)."""
        local_batch = tf.shape(batch.x)[0]
        z_prior = self.prior_samples_or_noise(local_batch)
        eps = None
        if self.encoder_type == "gaussian":
            eps = self.normal_noise(local_batch, [self.latent_dim])
        return self.loss_terms(*self.joint_logits(batch.x, z_prior, eps, training))

    def phases(self):
        return [simultaneous(self.joint_losses, discriminator_optimizer="d_loss",
                             encoder_optimizer="e_loss", generator_optimizer="g_loss")]

    def player_variables(self, optimizer_name):
        if optimizer_name == "encoder_optimizer":
            return self.encoder.trainable_variables
        if optimizer_name == "generator_optimizer":
            return self.generator.trainable_variables
        return self.discriminator.trainable_variables

