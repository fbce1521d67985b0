"""Reconstruction losses in a latent space, one value per example.

AVAE (Plumerault, Le Borgne & Hudelot 2020, arXiv 2012.11551, Eq. 4) trains its generator to
make generated images that a VAE encoder maps back to the generator's code: a
reconstruction error measured in the encoder's feature space rather than in pixels, so it does
not pull the generator towards the blurry mean of the images that share a code.
"""

import tensorflow as tf

from tfhybrids.losses.precision import loss_precision


def latent_reconstruction_loss(mean, codes, scale):
    """AVAE's latent reconstruction loss, per example:

        L_Z(x_hat) = 1/2 || (mu_e(x_hat) - sqrt(1 - sigma_e^2) * z) / sigma_e ||^2.

    `mean` is the encoder's posterior mean mu_e(x_hat) of a generated image x_hat = G(z, ...),
    `codes` the z it was generated from, and `scale` the encoder's posterior standard
    deviation sigma_e. If the aggregate posterior matches the N(0, I) prior and sigma_e does
    not depend on x, the means of real images are distributed as N(0, I - sigma_e^2), which
    is exactly the distribution of the target sqrt(1 - sigma_e^2) * z for z ~ N(0, I): the
    minimiser maps the prior onto the distribution of real codes instead of shrinking it.
    Dividing by sigma_e weighs each latent dimension by how precisely the encoder pins it
    down; dimensions the encoder ignores (sigma_e -> 1, mu_e -> 0) contribute almost nothing.

    sigma_e^2 above 1 (possible for an encoder, never for the derivation) is treated as 1,
    i.e. a target of 0.

    Args:
        mean: float tensor [batch, latent_dim]. mu_e(x_hat).
        codes: float tensor [batch, latent_dim]. The generator's codes z.
        scale: float tensor broadcastable to [batch, latent_dim], > 0. sigma_e, e.g. one
            value per latent dimension.

    Returns:
        float tensor [batch]: the loss of each example (summed over latent dimensions).
    """
    mean, codes, scale = loss_precision(mean, codes, scale)
    shrink = tf.sqrt(tf.maximum(1.0 - tf.square(scale), 0.0))
    return 0.5 * tf.reduce_sum(tf.square((mean - shrink * codes) / scale), axis=-1)
