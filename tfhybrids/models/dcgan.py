"""Deep convolutional GAN: the GAN with the DCGAN architecture and optimiser rules."""

import keras

from tfhybrids.errors import ConfigError
from tfhybrids.models.base import register_model
from tfhybrids.models.gan import GAN
from tfhybrids.networks import normalize_spec

_DCGAN_ADAM = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}
_POOLING = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D,
            keras.layers.GlobalMaxPooling2D, keras.layers.GlobalAveragePooling2D)


def _count(network, layer_type):
    return sum(isinstance(layer, layer_type) for layer in network.layers)


@register_model
class DCGAN(GAN):
    """Deep convolutional GAN (Radford, Metz & Chintala 2015, arXiv 1511.06434).

    The GAN of Goodfellow et al. 2014 (same objective and updates as `GAN`: D minimises
    -log D(x) - log(1 - D(G(z))), G the non-saturating -log D(G(z))) with the paper's
    architecture guidelines (§3), which make adversarial training of conv nets stable:

    - no pooling: strided convolutions in D, fractionally-strided (transposed) ones in G;
    - batch normalisation in both networks, except G's output layer and D's input layer;
    - no fully connected hidden layers: G's only dense layer projects z to the first feature
      map, and D's last feature map is flattened into a single logit;
    - ReLU in G with tanh at the output (images in [-1, 1]); LeakyReLU (slope 0.2) in D;
    - weights drawn from N(0, 0.02); Adam with learning rate 2e-4 and beta_1 = 0.5 for
      both players (the defaults here, `default_optimizers`).

    `tfhybrids.networks.build_decoder`/`build_discriminator` with `type: conv` build exactly
    these networks. From a config, DCGAN refuses MLP specs, `batch_norm: false` and other
    activations with a ConfigError; given networks, it checks that they are convolutional,
    batch-normalised and pooling-free.

    Departure from the paper: z ~ N(0, I) (the `gaussian` prior) instead of the paper's
    uniform U(-1, 1)^100; both are fine for the generator, and the Gaussian lets DCGAN share
    tfhybrids' priors and interpolation tools. The paper's z has 100 dimensions
    (`latent_dim: 100` in configs/dcgan_fashion_mnist.yaml).

    Metrics: `d_loss` and `g_loss` as in `GAN`.

    Args:
        generator: keras.Model. Conv generator z [batch, latent_dim] -> images in [-1, 1].
        discriminator: keras.Model. Conv discriminator images -> logit [batch, 1].
        prior: tfhybrids.priors.Prior or None. p(z). Defaults to None: N(0, I).
        latent_dim: int. Size of z (100 in the paper).
        label_smoothing: float. One-sided label smoothing of D's real target. Defaults to 0.0.
        discriminator_steps: int. D updates per G update. Defaults to 1 (as in the paper).
        seed: int or None. Seed of the codes. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_decoder, build_discriminator
    >>> conv = {"type": "conv", "filters": [64, 128]}
    >>> dcgan = DCGAN(build_decoder(conv, 100, (28, 28, 1)),
    ...               build_discriminator(conv, (28, 28, 1)), prior=None, latent_dim=100)
    >>> dcgan.compile()   # Adam(2e-4, beta_1=0.5) for both players
    """

    default_optimizers = {"generator_optimizer": _DCGAN_ADAM,
                          "discriminator_optimizer": _DCGAN_ADAM}

    def __init__(self, generator, discriminator, prior, latent_dim, label_smoothing=0.0,
                 discriminator_steps=1, seed=None, **kwargs):
        super().__init__(generator, discriminator, prior, latent_dim,
                         label_smoothing=label_smoothing,
                         discriminator_steps=discriminator_steps, seed=seed, **kwargs)
        if len(self.image_shape) != 3:
            raise ConfigError(
                f"DCGAN: needs images (height, width, channels), the generator makes "
                f"{self.image_shape}; use GAN for vector data."
            )
        self._check_network(generator, "generator", keras.layers.Conv2DTranspose)
        self._check_network(discriminator, "discriminator", keras.layers.Conv2D)

    @staticmethod
    def _check_network(network, name, conv_type):
        if not _count(network, conv_type):
            raise ConfigError(
                f"DCGAN: the {name} has no {conv_type.__name__} layer; DCGAN needs conv "
                "networks ({type: conv, ...}). Use GAN for MLPs."
            )
        if _count(network, _POOLING):
            raise ConfigError(f"DCGAN: the {name} has pooling layers; DCGAN uses strided "
                              "convolutions instead.")
        if not _count(network, keras.layers.BatchNormalization):
            raise ConfigError(f"DCGAN: the {name} has no batch normalisation; DCGAN uses it "
                              "in both networks (batch_norm: true).")

    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        if len(element_shape) != 3:
            raise ConfigError(
                f"model (DCGAN): needs image data (height, width, channels), got elements of "
                f"shape {tuple(element_shape)}; use class: GAN for vector data."
            )
        rules = {"generator": "relu", "discriminator": "leaky_relu"}
        for name, activation in rules.items():
            spec = args.get(name)
            where = f"model.{name}"
            if spec is None or not isinstance(spec, dict) or spec.get("type", "mlp") != "conv":
                raise ConfigError(
                    f"{where}: DCGAN needs a conv network, e.g. {{type: conv, filters: "
                    f"[64, 128]}}, got {spec!r}; use class: GAN for MLP networks."
                )
            full = normalize_spec(spec, where)
            if not full["batch_norm"]:
                raise ConfigError(f"{where}.batch_norm: DCGAN uses batch normalisation in "
                                  "both networks; remove batch_norm: false.")
            if full.get("activation", activation) != activation:
                raise ConfigError(
                    f"{where}.activation: DCGAN uses {activation} in the {name}, got "
                    f"{full['activation']!r}; remove the key or set it to {activation}."
                )
        return super().network_io(args, element_shape, num_classes, prior)
