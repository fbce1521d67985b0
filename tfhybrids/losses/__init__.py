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
from tfhybrids.losses.categorical import categorical_cross_entropy, cluster_head_penalty
from tfhybrids.losses.cycle import cycle_consistency_loss, identity_loss
from tfhybrids.losses.divergences import gaussian_kl, gaussian_log_density, monte_carlo_kl
from tfhybrids.losses.feature import feature_matching_loss, gaussian_feature_nll
from tfhybrids.losses.latent import latent_reconstruction_loss
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
    "categorical_cross_entropy",
    "cluster_head_penalty",
    "cycle_consistency_loss",
    "discriminator_fake_loss",
    "discriminator_real_loss",
    "feature_matching_loss",
    "gaussian_feature_nll",
    "gaussian_kl",
    "gaussian_log_density",
    "gaussian_nll",
    "identity_loss",
    "latent_reconstruction_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "mean_squared_error",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "monte_carlo_kl",
    "non_saturating_generator_loss",
    "squared_error",
]
