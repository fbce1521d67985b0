"""Two-sample statistics: how far a model's codes are from samples of its prior.

`mmd_squared` is the unbiased estimate of the squared maximum mean discrepancy (Gretton et al.
2012, JMLR 13, "A kernel two-sample test", Lemma 6) with a Gaussian kernel
k(a, b) = exp(-||a - b||^2 / (2 bandwidth^2)):

    MMD_u^2 = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i, y_j)
              - 2/(mn) sum_{i,j} k(x_i, y_j).

It is 0 in expectation when both samples come from one distribution, and can then be
slightly negative. The default bandwidth is the median distance between the pooled points
(the median heuristic).
"""

import numpy as np

from tfhybrids.errors import DataError


def _squared_distances(a, b):
    return np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0)


def median_bandwidth(x, y):
    """The median distance between distinct points of the pooled sample."""
    pooled = np.concatenate([x, y])
    distances = np.sqrt(_squared_distances(pooled, pooled))
    upper = distances[np.triu_indices(len(pooled), k=1)]
    median = float(np.median(upper)) if len(upper) else 1.0
    return median if median > 0 else 1.0


def mmd_squared(x, y, bandwidth=None):
    """Unbiased squared MMD between samples x [m, d] and y [n, d] (Gaussian kernel).

    Args:
        x: array [m >= 2, d]. y: array [n >= 2, d].
        bandwidth: float > 0 or None. Kernel width; None uses `median_bandwidth(x, y)`.

    Returns:
        float.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or len(x) < 2 or len(y) < 2:
        raise DataError(f"mmd_squared: expected samples [m >= 2, d] and [n >= 2, d], got "
                        f"shapes {x.shape} and {y.shape}.")
    if bandwidth is None:
        bandwidth = median_bandwidth(x, y)
    if bandwidth <= 0:
        raise DataError(f"mmd_squared: the bandwidth must be positive, got {bandwidth}.")
    scale = 2.0 * bandwidth ** 2
    k_xx = np.exp(-_squared_distances(x, x) / scale)
    k_yy = np.exp(-_squared_distances(y, y) / scale)
    k_xy = np.exp(-_squared_distances(x, y) / scale)
    m, n = len(x), len(y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())
