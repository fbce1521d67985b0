"""Image quality figures: reconstruction MSE and SSIM per example, and the sharpness of samples.

All take images in the bundles' range [-1, 1] and measure them in [0, 1] (the range papers
report, e.g. the AVAE paper's MSE table), so an MSE here is a quarter of the MSE in [-1, 1].

Sharpness (`laplacian_variance`, `gradient_energy`, `sharpness_summary`) puts a number on the
claim that VAE samples are blurry and VAE/GAN's sharper (Larsen et al. 2016, §4): blur removes
high spatial frequencies, which both figures measure. They say nothing about whether an image
looks like the data (noise is "sharp" too), so they are read as a ratio to real images (1 =
as sharp as the data) beside a Fréchet distance, never alone.
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


def _unit_images(x, name):
    x = np.asarray(x, np.float64)
    if x.ndim != 4 or len(x) == 0 or x.shape[1] < 3 or x.shape[2] < 3:
        raise ShapeError(f"{name} needs at least one image [n, h, w, c] of 3x3 pixels or "
                         f"more, got {tuple(x.shape)}.")
    return (x + 1.0) / 2.0


def laplacian_variance(x):
    """Variance of the 4-neighbour Laplacian over each image's interior pixels (and channels).

    The Laplacian x[i-1,j] + x[i+1,j] + x[i,j-1] + x[i,j+1] - 4 x[i,j] is taken where all four
    neighbours exist (no padding, so the border does not add edges). The variance-of-Laplacian
    focus measure (Pech-Pacheco et al. 2000): low for blurred images.

    Args:
        x: array [n, h, w, c] in [-1, 1], h and w at least 3.

    Returns:
        numpy float64 [n], in [0, 1] pixel units squared.
    """
    x = _unit_images(x, "laplacian_variance")
    laplacian = (x[:, :-2, 1:-1] + x[:, 2:, 1:-1] + x[:, 1:-1, :-2] + x[:, 1:-1, 2:]
                 - 4.0 * x[:, 1:-1, 1:-1])
    return laplacian.reshape(len(x), -1).var(axis=1)


def gradient_energy(x):
    """Mean squared forward difference of each image, down plus across (pixels in [0, 1]).

    (x[i+1,j] - x[i,j])^2 averaged over the h-1 rows of differences, plus (x[i,j+1] - x[i,j])^2
    averaged over the w-1 columns: the image's gradient energy, which blur lowers.

    Args:
        x: array [n, h, w, c] in [-1, 1], h and w at least 3.

    Returns:
        numpy float64 [n].
    """
    x = _unit_images(x, "gradient_energy")
    down = np.square(np.diff(x, axis=1)).reshape(len(x), -1).mean(axis=1)
    across = np.square(np.diff(x, axis=2)).reshape(len(x), -1).mean(axis=1)
    return down + across


def sharpness_summary(samples, real):
    """Mean Laplacian variance and gradient energy of samples and of real images, and their
    ratios sample / real (1 = as sharp as the data; below 1 = blurrier).

    Args:
        samples: array [n, h, w, c] in [-1, 1] (generated images).
        real: array [m, h, w, c] in [-1, 1] (e.g. test images).

    Returns:
        dict of floats: laplacian_variance, real_laplacian_variance, laplacian_variance_ratio,
        gradient_energy, real_gradient_energy, gradient_energy_ratio, and the counts.
    """
    result = {"num_samples": int(len(samples)), "num_real": int(len(real))}
    for name, measure in (("laplacian_variance", laplacian_variance),
                          ("gradient_energy", gradient_energy)):
        sample_mean = float(measure(samples).mean())
        real_mean = float(measure(real).mean())
        result[name] = sample_mean
        result[f"real_{name}"] = real_mean
        result[f"{name}_ratio"] = sample_mean / real_mean if real_mean > 0 else float("nan")
    return result
