"""Reconstruction quality: mean squared error and SSIM, per example.

Both take images in the bundles' range [-1, 1] and measure them in [0, 1] (the range papers
report, e.g. the AVAE paper's MSE table), so an MSE here is a quarter of the MSE in [-1, 1].
"""

import numpy as np
import tensorflow as tf

from tfhybrids.data.base import to_unit_range
from tfhybrids.errors import ShapeError


def _pair(x, y):
    x = tf.convert_to_tensor(x, tf.float32)
    y = tf.convert_to_tensor(y, tf.float32)
    if x.shape != y.shape:
        raise ShapeError(f"image metrics need two arrays of the same shape, got {tuple(x.shape)} "
                         f"and {tuple(y.shape)}.")
    return to_unit_range(x), to_unit_range(y)


def reconstruction_mse(x, x_hat):
    """Mean squared error per example, over all pixels, with images mapped to [0, 1].

    Args:
        x, x_hat: arrays [n, ...] in [-1, 1].

    Returns:
        numpy float64 [n].
    """
    x, x_hat = _pair(x, x_hat)
    flat = tf.reshape(tf.square(x - x_hat), [tf.shape(x)[0], -1])
    return tf.reduce_mean(flat, axis=-1).numpy().astype(np.float64)


def ssim(x, x_hat, filter_size=11):
    """Structural similarity per example (Wang et al. 2004) with `tf.image.ssim`, in [0, 1] units.

    The Gaussian window is 11x11 (sigma 1.5) as in the paper, shrunk to the image side for
    smaller images (e.g. 8x8 digits). tf.image.ssim works in float32: on flat regions, where
    the contrast term divides round-off by C2 = 9e-4, values can be off by about 5e-4.

    Args:
        x, x_hat: arrays [n, h, w, c] in [-1, 1].
        filter_size: int. Window size before shrinking. Defaults to 11.

    Returns:
        numpy float64 [n], 1 for identical images.
    """
    x, x_hat = _pair(x, x_hat)
    if x.shape.rank != 4:
        raise ShapeError(f"ssim needs images [n, h, w, c], got {tuple(x.shape)}.")
    size = int(min(filter_size, x.shape[1], x.shape[2]))
    return tf.image.ssim(x, x_hat, max_val=1.0, filter_size=size).numpy().astype(np.float64)


def reconstruct(model, x, batch_size=500):
    """The model's reconstructions of x (its `call`), in batches, as a numpy array."""
    parts = [np.asarray(model(x[start:start + batch_size], training=False))
             for start in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros_like(x)


def reconstruction_metrics(model, x, batch_size=500):
    """{"mse", "ssim"} means over x (and "mse_std") for a model whose call reconstructs."""
    x_hat = reconstruct(model, x, batch_size)
    mse = reconstruction_mse(x, x_hat)
    result = {"mse": float(mse.mean()), "mse_std": float(mse.std()), "num_images": int(len(x))}
    if np.ndim(x) == 4:
        result["ssim"] = float(ssim(x, x_hat).mean())
    return result
