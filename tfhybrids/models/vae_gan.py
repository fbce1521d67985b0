"""VAE/GAN: a VAE whose reconstruction error is measured in a GAN discriminator's features."""

import keras
import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import (
    HybridModel, LatentPrior, check_gaussian_encoder, decoder_io, register_model, simultaneous,
)
from tfhybrids.validation import check_float, check_int

_PAPER_RMSPROP = {"class_name": "RMSprop", "config": {"learning_rate": 3e-4}}


def feature_model(discriminator, feature_layer):
    """A functional model x -> [Dis_l(x), D(x)] sharing the discriminator's layers.

    Args:
        discriminator: keras.Model. A functional discriminator (single or dict input).
        feature_layer: int or str. Index into `discriminator.layers` (negative counts from
            the end: -2 is the layer before the logits) or a layer name.

    Raises:
        ConfigError: for an index out of range, an unknown name or an input layer.
    """
    names = [layer.name for layer in discriminator.layers]
    if isinstance(feature_layer, str):
        if feature_layer not in names:
            raise ConfigError(
                f"model.feature_layer: the discriminator has no layer named {feature_layer!r}; "
                f"its layers are {names}."
            )
        layer = discriminator.get_layer(feature_layer)
    else:
        index = check_int("model", "feature_layer", feature_layer)
        if not -len(names) <= index < len(names):
            raise ConfigError(
                f"model.feature_layer: index {index} is out of range for a discriminator of "
                f"{len(names)} layers ({names})."
            )
        layer = discriminator.layers[index]
    if isinstance(layer, keras.layers.InputLayer):
        raise ConfigError(
            f"model.feature_layer: {layer.name!r} is an input of the discriminator; choose a "
            "hidden layer (e.g. -2, the one before the logits)."
        )
    return keras.Model(discriminator.input, [layer.output, discriminator.output],
                       name=f"{discriminator.name}_features")


class VAEGANBase(LatentPrior, HybridModel):
    """What VAEGAN and ConditionalVAEGAN share: the objective of Larsen et al. 2016 and
    Algorithm 1. A condition (None for the unconditional model) is threaded through the
    `_*_inputs` hooks, which the conditional model overrides to feed (x, c) and (z, c)."""

    network_names = ("encoder", "decoder", "discriminator")
    optimizer_names = ("encoder_optimizer", "decoder_optimizer", "discriminator_optimizer")
    default_optimizers = {name: _PAPER_RMSPROP for name in optimizer_names}
    metric_names = ("kl_loss", "recon_loss", "d_loss", "g_loss")

    def __init__(self, encoder, decoder, discriminator, latent_dim, prior=None, gamma=0.01,
                 feature_layer=-2, seed=None, **kwargs):
        super().__init__(seed=seed, encoder=encoder, decoder=decoder, discriminator=discriminator,
                         prior=prior, **kwargs)
        self.latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        self.gamma = check_float("model", "gamma", gamma, minimum=0.0)
        self.feature_layer = feature_layer
        name = type(self).__name__
        if prior is not None and (prior.name != "gaussian"
                                  or prior.config.get("scale", 1.0) != 1.0
                                  or prior.latent_dim != self.latent_dim):
            raise ConfigError(
                f"{name}: the prior must be N(0, I) of dimension latent_dim = "
                f"{self.latent_dim} (prior: {{name: gaussian}}), as in the paper; got {prior!r}."
            )
        check_gaussian_encoder(self, encoder)
        # Not a network of its own: a view of the discriminator's layers exposing Dis_l(x).
        self.discriminator_features = feature_model(discriminator, feature_layer)
        self.image_shape = tuple(decoder.output_shape[1:])

    # ------------------------------------------------------------------ condition hooks
    def _encoder_inputs(self, x, condition):
        return x

    def _decoder_inputs(self, z, condition):
        return z

    def _discriminator_inputs(self, x, condition):
        return x

    def _batch_condition(self, y):
        return None

    # ------------------------------------------------------------------ networks
    def _posterior(self, x, condition, training=False):
        stats = self.encoder(self._encoder_inputs(x, condition), training=training)
        mean, log_var = tf.split(stats, 2, axis=-1)
        return mean, log_var

    def _generate(self, z, condition, training=False):
        return self.decoder(self._decoder_inputs(z, condition), training=training)

    # ------------------------------------------------------------------ objective
    def loss_terms(self, x, condition=None, training=False):
        """Every per-example term of Algorithm 1 from one forward pass.

        Returns a dict of [batch] tensors: `kl_loss` (L_prior), `recon_loss` (L_like^{Dis_l}),
        `d_loss` (-L_GAN, the discriminator's loss) and `g_loss` (the decoder's
        non-saturating GAN loss).
        """
        local_batch = tf.shape(x)[0]
        mean, log_var = self._posterior(x, condition, training)
        eps = self.normal_noise(local_batch, [self.latent_dim])
        z = mean + tf.exp(0.5 * log_var) * eps
        x_recon = self._generate(z, condition, training)
        x_prior = self._generate(self.prior_samples_or_noise(local_batch), condition, training)

        real_features, real_logits = self.discriminator_features(
            self._discriminator_inputs(x, condition), training=training)
        recon_features, recon_logits = self.discriminator_features(
            self._discriminator_inputs(x_recon, condition), training=training)
        prior_logits = self.discriminator(self._discriminator_inputs(x_prior, condition),
                                          training=training)
        return {
            "kl_loss": losses.gaussian_kl(mean, log_var),
            "recon_loss": losses.gaussian_feature_nll(real_features, recon_features),
            "d_loss": (losses.discriminator_real_loss(real_logits)
                       + losses.discriminator_fake_loss(recon_logits)
                       + losses.discriminator_fake_loss(prior_logits)),
            "g_loss": (losses.non_saturating_generator_loss(recon_logits)
                       + losses.non_saturating_generator_loss(prior_logits)),
        }

    def batch_losses(self, batch, training):
        """`loss_terms` of a batch, under the batch's condition (conditional model)."""
        return self.loss_terms(batch.x, self._batch_condition(batch.y), training=training)

    def phases(self):
        # Algorithm 1: one forward pass, then all three updates from the same weights.
        return [simultaneous(
            self.batch_losses,
            encoder_optimizer=lambda terms: terms["kl_loss"] + terms["recon_loss"],
            decoder_optimizer=lambda terms: self.gamma * terms["recon_loss"] + terms["g_loss"],
            # The discriminator must not minimise L_like: its features would collapse to a
            # constant, which makes every reconstruction perfect in feature space.
            discriminator_optimizer="d_loss")]

    def player_variables(self, optimizer_name):
        network = {"encoder_optimizer": self.encoder, "decoder_optimizer": self.decoder,
                   "discriminator_optimizer": self.discriminator}[optimizer_name]
        return network.trainable_variables



@register_model
class VAEGAN(VAEGANBase):
    """VAE/GAN (Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using
    a learned similarity metric", arXiv 1512.09300).

    A VAE whose decoder is also the generator of a GAN. The pixel-wise reconstruction error is
    replaced by a Gaussian likelihood of the discriminator's l-th hidden representation Dis_l:

        L_prior = KL(q(z|x) || p(z)),                 p(z) = N(0, I)
        L_like  = -E_q(z|x)[log N(Dis_l(x) | Dis_l(Dec(z)), I)]
        L_GAN   = log D(x) + log(1 - D(Dec(z))) + log(1 - D(Dec(z_p))),   z ~ q(z|x), z_p ~ p(z)

    Algorithm 1, from one forward pass, each player with its own optimizer:

        encoder:       minimise L_prior + L_like
        decoder:       minimise gamma * L_like - L_GAN
        discriminator: maximise L_GAN (minimise -L_GAN); it never minimises L_like, or it
                       would collapse its features to make every reconstruction perfect.

    The encoder gets no GAN gradient (as in the paper). The GAN sees both reconstructions and
    decoded prior samples, as the paper recommends.

    Departures from the paper: the decoder's GAN term uses the non-saturating form
    -log D(Dec(z)) - log D(Dec(z_p)) instead of log(1 - D(.)) (Goodfellow et al. 2014, §3:
    the same fixed point, without vanishing gradients while D rejects the fakes). The
    paper leaves gamma to be tuned; the default here, 0.01, is chosen for this scale:
    L_like is summed over all n features of Dis_l (n = 7*7*128 = 6272 for the 28x28
    Fashion-MNIST config), so its data-dependent part is a few hundred nats against an O(1)
    GAN term, and gamma = 0.01 puts the two on the same scale in the decoder's loss. Measured
    on Fashion-MNIST (3 epochs of 20000 images): gamma = 1 reconstructs best (test MSE
    0.067 in [-1, 1] units) but the decoder ignores the GAN term, the discriminator wins
    more every epoch (d_loss 0.80 -> 0.47) and prior samples stay noisy; gamma = 0.01 keeps
    both players balanced (d_loss about 1.8, chance 2.08) and gives recognisable samples at
    a small cost in reconstruction (MSE 0.084). Lower gamma gives sharper, less faithful
    images. The optimizers default to the paper's RMSProp with learning rate 3e-4 for all
    three players.

    Metrics (per example, averaged):
        kl_loss: L_prior, in nats.
        recon_loss: L_like, the Gaussian NLL of Dis_l(x) given Dis_l(Dec(z)), in nats; it
            includes the constant n/2 log(2 pi) for n features.
        d_loss: -L_GAN, the discriminator's loss (3 log 2 = 2.08 at chance).
        g_loss: -log D(Dec(z)) - log D(Dec(z_p)), the decoder's GAN loss (2 log 2 at chance).

    Args:
        encoder: keras.Model. x -> [batch, 2 * latent_dim] (mean and log-variance stacked).
        decoder: keras.Model. z -> x in [-1, 1] (tanh).
        discriminator: keras.Model. x -> logit [batch, 1]. Must be functional, so that the
            feature layer can be exposed.
        latent_dim: int. Size of z.
        prior: tfhybrids.priors.Prior or None. Must be N(0, I) (`gaussian`, scale 1).
            Defaults to None: N(0, I).
        gamma: float. Weight of L_like in the decoder's loss. Defaults to 0.01.
        feature_layer: int or str. The layer l whose output is Dis_l: an index into
            `discriminator.layers` (negative from the end) or a layer name. Defaults to -2,
            the layer before the logits (the flattened last conv block of a conv
            discriminator).
        seed: int or None. Seed of the noise and prior samples. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> conv = {"type": "conv", "filters": [32, 64]}
    >>> model = VAEGAN(build_encoder(conv, (28, 28, 1), 2 * 16),
    ...                build_decoder(conv, 16, (28, 28, 1)),
    ...                build_discriminator(conv, (28, 28, 1)), latent_dim=16)
    >>> model.compile()  # RMSprop(3e-4) for each of the three players
    """

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        latent_dim = check_int("model", "latent_dim", args["latent_dim"], minimum=1)
        return {
            "encoder": ("encoder", {"input_shape": element_shape, "output_dim": 2 * latent_dim}),
            "decoder": decoder_io(latent_dim, element_shape),
            "discriminator": ("discriminator", {"input_shape": element_shape}),
        }

    def encode(self, x, training=False):
        """Returns (mean, log_var) of q(z|x)."""
        return self._posterior(x, None, training)

    def encode_outputs(self, x):
        """Named encoder outputs for export: the posterior's mean and log-variance."""
        mean, log_var = self.encode(x)
        return {"mean": mean, "log_var": log_var}

    def decode(self, z, training=False):
        """Dec(z): codes to images in [-1, 1]."""
        return self._generate(z, None, training)

    def call(self, x, training=False):
        """Reconstructs x through the posterior mean."""
        mean, _ = self.encode(x, training=training)
        return self.decode(mean, training=training)
