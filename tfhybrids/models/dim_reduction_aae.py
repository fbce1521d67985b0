"""Dimensionality reduction with an adversarial autoencoder: cluster heads plus style."""

import numpy as np
import tensorflow as tf

from tfhybrids import losses
from tfhybrids.models.base import register_model
from tfhybrids.models.semi_supervised_aae import SemiSupervisedAAE
from tfhybrids.validation import check_float


@register_model
class DimensionalityReductionAAE(SemiSupervisedAAE):
    """Dimensionality reduction with adversarial autoencoders (Makhzani, Shlens, Jaitly,
    Goodfellow & Frey 2016, arXiv 1511.05644, §7, Fig. 10-11), semi-supervised.

    The semi-supervised AAE (`SemiSupervisedAAE`: encoder q(y, z|x), Cat(K) imposed on y and
    p(z) on the n-dimensional style z by two adversarial networks, supervised phase on the
    labelled batch), but the decoder does not see (y, z): it sees the n-dimensional
    representation

        r = W^T y + z,

    W the learned K x n matrix of cluster heads (row k is the head of category k). The
    heads are learned with the autoencoder in the reconstruction phase, whose loss gets the
    paper's extra cost on them:

        C(W) = head_penalty_weight * sum_{i<j} max(0, head_threshold - ||w_i - w_j||),

    zero for heads at least eta = head_threshold apart and growing linearly as two come closer
    (`losses.cluster_head_penalty`). With n = 2 the representation is a 2-D map whose
    clusters sit at the heads, the style spread around them.

    Metrics: as `SemiSupervisedAAE` (`recon_loss` excludes C(W)).

    Departures from the paper: as `SemiSupervisedAAE`; only the semi-supervised setting (the
    paper also shows an unsupervised one with 20 clusters); the spread of p(z) relative to
    eta is set through the prior's `scale` (the paper chooses both by hand); the heads start
    on a circle, adjacent ones eta apart (the paper does not give W's initialisation).

    Signatures: `encode(images)` -> `code` (the representation r), `probabilities`, `style`;
    `decode(codes)` and `generate(seeds)` on representations (a prior draw is W^T y' + z',
    y' ~ Cat(K), z' ~ p(z)); `reconstruct`; `classify`.

    Args:
        encoder: keras.Model. x -> [batch, num_classes + latent_dim].
        decoder: keras.Model. r [batch, latent_dim] -> x.
        label_discriminator, style_discriminator, prior, reconstruction_loss, seed: as in
            `SemiSupervisedAAE`.
        latent_dim: int. n, the size of the representation (and of the style).
        num_classes: int. K. From a config, defaults to the data's.
        head_threshold: float > 0. eta. Defaults to 4.0.
        head_penalty_weight: float >= 0. Weight of C(W). Defaults to 1.0.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> from tfhybrids.priors import make_prior
    >>> model = DimensionalityReductionAAE(
    ...     build_encoder({"type": "mlp"}, (8, 8, 1), 10 + 2),
    ...     build_decoder({"type": "mlp"}, 2, (8, 8, 1)),
    ...     build_discriminator({"type": "mlp"}, (10,)),
    ...     build_discriminator({"type": "mlp"}, (2,)),
    ...     make_prior({"name": "gaussian", "scale": 0.5}, 2), latent_dim=2, num_classes=10)
    >>> model.compile()
    """

    def __init__(self, encoder, decoder, label_discriminator, style_discriminator, prior,
                 latent_dim, num_classes, head_threshold=4.0, head_penalty_weight=1.0,
                 reconstruction_loss="squared_error", seed=None, **kwargs):
        super().__init__(encoder, decoder, label_discriminator, style_discriminator, prior,
                         latent_dim, num_classes, reconstruction_loss=reconstruction_loss,
                         seed=seed, **kwargs)
        self.head_threshold = check_float("model", "head_threshold", head_threshold,
                                          minimum=0.0, exclusive_minimum=True)
        self.head_penalty_weight = check_float("model", "head_penalty_weight",
                                               head_penalty_weight, minimum=0.0)
        self.cluster_heads = self.add_weight(
            shape=(self.num_classes, self.latent_dim), name="cluster_heads",
            initializer=self._initial_heads)

    def _initial_heads(self, shape, dtype=None):
        """Heads evenly spaced on a circle in the first two dimensions (one dimension: on a
        line), adjacent heads head_threshold apart, plus N(0, 0.01^2) noise seeded by the
        model's seed. The paper does not say how W starts; a random start with Adam's small
        steps would leave the heads far closer than eta for thousands of steps."""
        num, dim = shape
        rng = np.random.default_rng(self.seed)
        heads = 0.01 * rng.standard_normal((num, dim))
        if dim == 1:
            heads[:, 0] += self.head_threshold * (np.arange(num) - (num - 1) / 2.0)
        else:
            radius = self.head_threshold / (2.0 * np.sin(np.pi / num))
            angles = 2.0 * np.pi * np.arange(num) / num
            heads[:, 0] += radius * np.cos(angles)
            heads[:, 1] += radius * np.sin(angles)
        return tf.constant(heads, dtype or "float32")

    @classmethod
    def _decoder_input_dim(cls, args, latent_dim, categories):
        return latent_dim

    # ------------------------------------------------------------------ representation
    def representation(self, y, z):
        """r = W^T y + z [batch, latent_dim] for label codes y [batch, K] and styles z."""
        return tf.matmul(tf.convert_to_tensor(y, tf.float32), self.cluster_heads) + z

    def decoder_inputs(self, y, z):
        return self.representation(y, z)

    def encode_outputs(self, x):
        """Named encoder outputs: the representation `code`, `probabilities` and `style`."""
        _, y, z = self.infer(x)
        return {"code": self.representation(y, z), "probabilities": y, "style": z}

    def decode(self, codes, training=False):
        """Images in [-1, 1] of representations r [batch, latent_dim]."""
        outputs = self.decoder(codes, training=training)
        if self.reconstruction_loss == "bernoulli":
            return 2.0 * tf.sigmoid(outputs) - 1.0
        return outputs

    def sample_prior(self, num, seed):
        """Representations of prior draws: W^T y' + z', y' ~ Cat(K), z' ~ p(z)."""
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int32), 2)
        y = self.label_prior.sample(num, seeds[0])
        return self.representation(y, self.prior.sample(num, seeds[1]))

    def extra_reconstruction_cost(self):
        return self.head_penalty_weight * losses.cluster_head_penalty(self.cluster_heads,
                                                                      self.head_threshold)

    def player_variables(self, optimizer_name):
        if optimizer_name == "autoencoder_optimizer":
            return (self.encoder.trainable_variables + self.decoder.trainable_variables
                    + [self.cluster_heads])
        return super().player_variables(optimizer_name)

    def extra_serving_functions(self):
        return self._classify_function()

