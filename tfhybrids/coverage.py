"""How well a model's codes fill its prior."""

import numpy as np

# A component counts as filled when it holds at least this fraction of its uniform share 1/K:
# a single stray code does not fill a petal.
FILLED_FRACTION = 0.5


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
    """Summary of `component_shares`: shares, smallest, largest, components filled.

    A component is filled when its share is at least `FILLED_FRACTION / K`
    (`filled_threshold`), half of what a uniform spread of the codes would give it.
    """
    shares = component_shares(codes, means)
    threshold = FILLED_FRACTION / len(shares)
    return {
        "shares": [round(float(s), 4) for s in shares],
        "min_share": float(shares.min()),
        "max_share": float(shares.max()),
        "components_filled": int((shares >= threshold).sum()),
        "filled_threshold": threshold,
        "num_components": int(len(shares)),
        "num_codes": int(len(codes)),
    }
