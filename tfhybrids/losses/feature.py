"""Losses between feature vectors (a network's hidden representations), one value per example.

Larsen et al. 2016 (VAE/GAN, arXiv 1512.09300) replace the pixel-wise reconstruction
error of a VAE by a Gaussian observation model on the l-th hidden layer of the discriminator:
p(Dis_l(x) | z) = N(Dis_l(x) | Dis_l(x~), I) with x~ = Dec(z), whose negative log-likelihood
is `gaussian_feature_nll`. `feature_matching_loss` is the plain squared distance between two
feature vectors, usable paired (a feature-space reconstruction error) or, given batch means,
as the feature matching objective of Salimans et al. 2016 (arXiv 1606.03498, §3.1).
"""

import tensorflow as tf

from tfhybrids.losses.precision import loss_precision

from tfhybrids.losses.reconstruction import gaussian_nll


def gaussian_feature_nll(real_features, recon_features, log_scale=0.0):
    """-log N(real_features | recon_features, exp(log_scale)^2 I), per example.

    The VAE/GAN's L_like^{Dis_l} (Larsen et al. 2016): the features of the real image
    are the observation, those of its reconstruction the mean of a Gaussian with identity
    covariance (log_scale = 0). Summed over every feature (all non-batch axes), so a conv
    feature map [batch, h, w, c] is treated as one vector of h*w*c values.

    Args:
        real_features: float tensor [batch, ...]. Dis_l(x).
        recon_features: float tensor of the same shape. Dis_l(Dec(z)).
        log_scale: float or tensor broadcastable to the features. Log standard deviation of
            the Gaussian. Defaults to 0 (identity covariance, as in the paper).

    Returns:
        float tensor [batch], in nats: 1/2 ||Dis_l(x) - Dis_l(x~)||^2 + n/2 log(2 pi) for
        n features and log_scale 0.
    """
    return gaussian_nll(real_features, recon_features, log_scale)


def feature_matching_loss(real_features, fake_features):
    """Squared Euclidean distance ||f_real - f_fake||^2 over all non-batch axes, per example.

    Paired: the feature-space reconstruction error between an image and its reconstruction
    (twice `gaussian_feature_nll` minus its constant). Unpaired, Salimans et al. 2016: pass the
    batch means, `tf.reduce_mean(f, axis=0, keepdims=True)`, to get ||E f(x) - E f(G(z))||^2
    as a single row.

    Args:
        real_features: float tensor [batch, ...].
        fake_features: float tensor of the same shape (or broadcastable to it).

    Returns:
        float tensor [batch].
    """
    real_features, fake_features = loss_precision(real_features, fake_features)
    difference = tf.square(real_features - fake_features)
    return tf.reduce_sum(tf.reshape(difference, [tf.shape(difference)[0], -1]), axis=-1)
