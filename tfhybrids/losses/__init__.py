"""Pure loss functions shared by every model. Each returns one value per example."""

from tfhybrids.losses.adversarial import (
    discriminator_fake_loss,
    discriminator_real_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    non_saturating_generator_loss,
)
from tfhybrids.losses.divergences import gaussian_kl, gaussian_log_density, monte_carlo_kl
from tfhybrids.losses.reconstruction import (
    absolute_error,
    bernoulli_nll,
    gaussian_nll,
    mean_squared_error,
    squared_error,
)

__all__ = [
    "absolute_error",
    "bernoulli_nll",
    "discriminator_fake_loss",
    "discriminator_real_loss",
    "gaussian_kl",
    "gaussian_log_density",
    "gaussian_nll",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "mean_squared_error",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "monte_carlo_kl",
    "non_saturating_generator_loss",
    "squared_error",
]

from tfhybrids.losses.feature import feature_matching_loss, gaussian_feature_nll  # noqa: E402

__all__ += ["feature_matching_loss", "gaussian_feature_nll"]

from tfhybrids.losses.latent import latent_reconstruction_loss  # noqa: E402

__all__ += ["latent_reconstruction_loss"]

from tfhybrids.losses.categorical import (  # noqa: E402
    categorical_cross_entropy,
    cluster_head_penalty,
)

__all__ += ["categorical_cross_entropy", "cluster_head_penalty"]

from tfhybrids.losses.cycle import cycle_consistency_loss, identity_loss  # noqa: E402

__all__ += ["cycle_consistency_loss", "identity_loss"]
