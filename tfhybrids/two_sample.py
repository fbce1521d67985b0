"""Two-sample statistics: how far a model's codes are from samples of its prior.

`mmd_squared` is the unbiased estimate of the squared maximum mean discrepancy (Gretton et al.
2012, JMLR 13, "A kernel two-sample test", Lemma 6) with a Gaussian kernel
k(a, b) = exp(-||a - b||^2 / (2 bandwidth^2)):

    MMD_u^2 = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i, y_j)
              - 2/(mn) sum_{i,j} k(x_i, y_j).

It is 0 in expectation when both samples come from one distribution, and can then be
slightly negative. The default bandwidth is the median distance between the pooled points
(the median heuristic).

`mmd_against_null` puts a statistic beside its null distribution: the same statistic between
two independent samples of the reference distribution of the same sizes, over several draws,
with one kernel throughout (a sum of Gaussian kernels at several scales of the reference's
median distance, fixed from a reference sample), so that "near the null" can be checked.
"""

import numpy as np

from tfhybrids.errors import DataError


def _squared_distances(a, b):
    # ||a||^2 + ||b||^2 - 2 a.b: a matrix product, not an [m, n, d] array.
    squared = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(squared, 0.0)


def median_bandwidth(x, y):
    """The median distance between distinct points of the pooled sample."""
    pooled = np.concatenate([x, y])
    distances = np.sqrt(_squared_distances(pooled, pooled))
    upper = distances[np.triu_indices(len(pooled), k=1)]
    median = float(np.median(upper)) if len(upper) else 1.0
    return median if median > 0 else 1.0


def _as_samples(x, y, caller):
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or len(x) < 2 or len(y) < 2:
        raise DataError(f"{caller}: expected samples [m >= 2, d] and [n >= 2, d], got "
                        f"shapes {x.shape} and {y.shape}.")
    return x, y


def _mmd_squared(x, y, bandwidths):
    """Unbiased MMD^2 under the sum of the Gaussian kernels of `bandwidths`."""
    d_xx, d_yy, d_xy = (_squared_distances(x, x), _squared_distances(y, y),
                        _squared_distances(x, y))
    m, n = len(x), len(y)
    total = 0.0
    for bandwidth in bandwidths:
        if not bandwidth > 0:
            raise DataError(f"mmd_squared: the bandwidth must be positive, got {bandwidth}.")
        scale = 2.0 * bandwidth ** 2
        # The diagonals (a point with itself) are exp(0) = 1 each: m and n of the sums.
        within_x = (np.exp(-d_xx / scale).sum() - m) / (m * (m - 1))
        within_y = (np.exp(-d_yy / scale).sum() - n) / (n * (n - 1))
        total += within_x + within_y - 2.0 * np.exp(-d_xy / scale).mean()
    return float(total)


def mmd_squared(x, y, bandwidth=None):
    """Unbiased squared MMD between samples x [m, d] and y [n, d] (Gaussian kernel).

    Args:
        x: array [m >= 2, d]. y: array [n >= 2, d].
        bandwidth: float > 0 or None. Kernel width; None uses `median_bandwidth(x, y)`.

    Returns:
        float.
    """
    x, y = _as_samples(x, y, "mmd_squared")
    if bandwidth is None:
        bandwidth = median_bandwidth(x, y)
    return _mmd_squared(x, y, [bandwidth])


# The scales of the kernel of `mmd_against_null`, as fractions of the median distance: the
# median alone is blind to structure much finer than the whole sample (an empty petal of the
# AAE's ten-petal prior moves it by about twice its null's 95th percentile; with the finer
# scales added, by about eight times).
MULTISCALE_FRACTIONS = (1.0, 0.5, 0.25, 0.125)


def mmd_against_null(x, reference_draws, bandwidths=None):
    """MMD^2 between `x` and a reference sample, beside the null distribution of MMD^2.

    The reference distribution (e.g. a prior) is known only through independent samples of
    n points each, `reference_draws[0]`, `[1]`, ... The statistic is
    MMD^2(x, reference_draws[0]); the null is MMD^2(reference_draws[2i + 1][:m],
    reference_draws[2i + 2]) for every pair: two independent reference samples of the sizes
    m = len(x) and n. One kernel serves throughout: the sum of Gaussian kernels of the
    `bandwidths`, by default the median distance within the first reference sample times
    `MULTISCALE_FRACTIONS` (taken from the reference alone, so that codes far from the prior
    cannot widen the kernel that judges them).

    Args:
        x: array [m >= 2, d].
        reference_draws: array [1 + 2 R, n, d], R >= 1 null pairs, n >= m.
        bandwidths: sequence of floats > 0, or None for the default above.

    Returns:
        dict with mmd2, null_mean, null_p95 (95th percentile), null_max, p_value (the share
        of null values at least mmd2, counting the statistic itself: (1 + #) / (1 + R)),
        kernel (a description), bandwidths, num_samples m, num_reference n, num_null_draws R.
    """
    draws = np.asarray(reference_draws, np.float64)
    if draws.ndim != 3 or len(draws) < 3:
        raise DataError(f"mmd_against_null: expected reference draws [1 + 2 R, n, d] with R >= "
                        f"1, got shape {draws.shape}.")
    x, reference = _as_samples(x, draws[0], "mmd_against_null")
    if len(reference) < len(x):
        raise DataError(f"mmd_against_null: the reference samples ({len(reference)} points) "
                        f"must be at least as large as the sample ({len(x)} points).")
    if bandwidths is None:
        half = len(reference) // 2
        median = median_bandwidth(reference[:half], reference[half:])
        bandwidths = [median * fraction for fraction in MULTISCALE_FRACTIONS]
    bandwidths = [float(b) for b in bandwidths]
    statistic = _mmd_squared(x, reference, bandwidths)
    num_null_draws = (len(draws) - 1) // 2
    null = np.array([_mmd_squared(draws[2 * i + 1][:len(x)], draws[2 * i + 2], bandwidths)
                     for i in range(num_null_draws)])
    return {
        "mmd2": statistic,
        "null_mean": float(null.mean()),
        "null_p95": float(np.percentile(null, 95)),
        "null_max": float(null.max()),
        "p_value": float((1 + (null >= statistic).sum()) / (1 + len(null))),
        "kernel": "sum of Gaussian kernels exp(-||a-b||^2 / (2 h^2)) over the bandwidths h",
        "bandwidths": [round(b, 4) for b in bandwidths],
        "num_samples": int(len(x)),
        "num_reference": int(len(reference)),
        "num_null_draws": int(num_null_draws),
    }
