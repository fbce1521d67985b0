"""How well a model's codes fill its prior."""

import numpy as np


def component_shares(codes, means):
    """Share of codes whose nearest prior component mean is each component.

    Args:
        codes: array [n, d].
        means: array [k, d]. The prior's component means.

    Returns:
        array [k] of shares summing to 1 (zeros when there are no codes).
    """
    codes = np.asarray(codes, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    if codes.ndim != 2 or means.ndim != 2 or codes.shape[1] != means.shape[1]:
        raise ValueError(
            f"component_shares expects codes [n, d] and means [k, d], got {codes.shape} and "
            f"{means.shape}."
        )
    if len(codes) == 0:
        return np.zeros(len(means))
    distances = ((codes[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    nearest = distances.argmin(1)
    return np.bincount(nearest, minlength=len(means)) / len(codes)


def prior_coverage(codes, means):
    """Summary of `component_shares`: shares, smallest, largest, components filled."""
    shares = component_shares(codes, means)
    return {
        "shares": [round(float(s), 4) for s in shares],
        "min_share": float(shares.min()),
        "max_share": float(shares.max()),
        "components_filled": int((shares > 0).sum()),
        "num_components": int(len(shares)),
    }
