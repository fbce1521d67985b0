"""Unsupervised clustering with an adversarial autoencoder."""

from tfhybrids.models.base import register_model
from tfhybrids.models.semi_supervised_aae import CategoricalStyleAAE
from tfhybrids.validation import check_int


@register_model
class ClusteringAAE(CategoricalStyleAAE):
    """Unsupervised clustering adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow &
    Frey 2016, arXiv 1511.05644, §6, Fig. 9, Table 3).

    The semi-supervised AAE's architecture without any label: the encoder outputs a
    categorical cluster code y = softmax(logits) over `num_clusters` clusters and a style z;
    adversarial networks impose Cat(num_clusters) on y and p(z) (N(0, I)) on z; the decoder
    reconstructs x from (y, z). Each step runs the reconstruction and regularisation phases
    (see `CategoricalStyleAAE`); the semi-supervised classification phase is dropped, so the
    network has to find categories that, with a continuous style, explain the images.

    Evaluation (paper §6, `tfhybrids.evaluation.classification.clustering_error`): each
    cluster k takes the label of the example x_n maximising q(y_k|x_n), and the test error is
    counted with those labels. Labels in the batches are ignored.

    Metrics: `recon_loss`, `d_loss`, `g_loss` (sums over both games, as the semi-supervised AAE).

    Departures from the paper: Adam instead of SGD with momentum; one optimizer for both
    discriminators.

    Signatures: `classify(images)` -> cluster `probabilities` [batch, num_clusters] and
    `labels` (cluster ids); `encode`, `reconstruct`, `decode(codes, labels)` and
    `generate(seeds, labels)` with labels = cluster ids.

    Args:
        encoder: keras.Model. x -> [batch, num_clusters + latent_dim].
        decoder: keras.Model. {"label": y [batch, num_clusters], "code": z} -> x.
        label_discriminator: keras.Model. y -> logit. style_discriminator: z -> logit.
        prior: tfhybrids.priors.Prior. Prior on the style.
        latent_dim: int. Size of z.
        num_clusters: int >= 2. Number of clusters (16 and 30 in the paper's MNIST table).
        reconstruction_loss: str. "squared_error" or "bernoulli". Defaults to "squared_error".
        seed: int or None. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_encoder, build_decoder, build_discriminator
    >>> from tfhybrids.priors import make_prior
    >>> model = ClusteringAAE(
    ...     build_encoder({"type": "mlp"}, (8, 8, 1), 16 + 4),
    ...     build_decoder({"type": "mlp"}, {"label": 16, "code": 4}, (8, 8, 1)),
    ...     build_discriminator({"type": "mlp"}, (16,)),
    ...     build_discriminator({"type": "mlp"}, (4,)),
    ...     make_prior({"name": "gaussian"}, 4), latent_dim=4, num_clusters=16)
    >>> model.compile()
    """

    def __init__(self, encoder, decoder, label_discriminator, style_discriminator, prior,
                 latent_dim, num_clusters, reconstruction_loss="squared_error", seed=None,
                 **kwargs):
        self.num_clusters = check_int("model", "num_clusters", num_clusters, minimum=2)
        super().__init__(encoder, decoder, label_discriminator, style_discriminator, prior,
                         latent_dim, self.num_clusters, reconstruction_loss=reconstruction_loss,
                         seed=seed, **kwargs)

    @classmethod
    def _num_categories(cls, args, num_classes):
        return check_int("model", "num_clusters", args["num_clusters"], minimum=2)

