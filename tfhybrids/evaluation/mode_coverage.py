"""Mode coverage of 2-D samples: the metric of VEEGAN's Table 1 (Srivastava et al. 2017,
arXiv:1705.07761, §5.1), used on the ring of 8 Gaussians and the 5x5 grid of `toy2d`.

Each sample is assigned to its nearest mode (Euclidean distance to the mode centres). A sample
is *high quality* when that distance is at most `num_std` (3 in the paper) standard deviations
of the mixture components; a mode is *captured* when it is the nearest mode of at least
`min_samples_per_mode` high-quality samples. The paper draws 2500 samples from the trained
generator.

The count is a parameter because papers differ. Its default, 1, is the convention of VEEGAN
(§5.1: "the number of modes captured as the number of mixture components whose mean is
nearest to at least one high quality sample") and of PacGAN (Lin, Khetan, Fanti & Oh 2018,
arXiv:1712.04086), which reports VEEGAN's metrics on the same ring and grid; the PacGAN
authors' released code (synthetic_data_experiments/PacGAN/pacgan/extensions.py) counts the
modes with a non-zero number of samples within 3 standard deviations. A stricter count keeps
a mode reached by a few stray samples from counting as captured.

    from tfhybrids.data import toy2d_modes, toy2d_std
    data = {"name": "toy2d", "dataset": "ring"}
    result = mode_coverage(samples, toy2d_modes(data), toy2d_std(data))
    result["modes_captured"], result["high_quality_percent"]

The boundary is inclusive (distance == num_std * std is high quality); distances are compared
squared, in float64, so a sample placed exactly on the boundary is counted as inside.
"""

import numpy as np

PAPER_NUM_SAMPLES = 2500
PAPER_NUM_STD = 3.0
PAPER_MIN_SAMPLES_PER_MODE = 1


def nearest_modes(samples, modes):
    """Index of the nearest mode of each sample and the squared distance to it.

    Args:
        samples: array [n, d].
        modes: array [k, d], k >= 1.

    Returns:
        (int array [n], float64 array [n]).
    """
    samples = np.asarray(samples, dtype=np.float64)
    modes = np.asarray(modes, dtype=np.float64)
    if samples.ndim != 2 or modes.ndim != 2 or samples.shape[1] != modes.shape[1]:
        raise ValueError(f"mode coverage expects samples [n, d] and modes [k, d] with the same "
                         f"d, got {samples.shape} and {modes.shape}.")
    if len(modes) == 0:
        raise ValueError("mode coverage needs at least one mode.")
    squared = ((samples[:, None, :] - modes[None, :, :]) ** 2).sum(-1)
    nearest = squared.argmin(axis=1)
    return nearest, squared[np.arange(len(samples)), nearest]


def mode_coverage(samples, modes, std, num_std=PAPER_NUM_STD,
                  min_samples_per_mode=PAPER_MIN_SAMPLES_PER_MODE):
    """Modes captured and share of high-quality samples (see the module docstring).

    Args:
        samples: array [n, d]. Generated points.
        modes: array [k, d]. Centres of the true mixture components.
        std: float > 0. Standard deviation of each component (per coordinate).
        num_std: float > 0. A sample within num_std * std of its nearest mode is high
            quality. Defaults to 3, the paper's threshold.
        min_samples_per_mode: int >= 1. High-quality samples a mode needs to count as
            captured. Defaults to 1, the VEEGAN and PacGAN convention.

    Returns:
        dict with
            modes_captured: int. Modes that are the nearest mode of >= min_samples_per_mode
                high-quality samples.
            min_samples_per_mode: int. The rule used.
            num_modes: int. k.
            high_quality: int. Number of high-quality samples.
            high_quality_percent: float. 100 * high_quality / n (0 when n is 0).
            num_samples: int. n.
            samples_per_mode: list of k ints. High-quality samples assigned to each mode.
    """
    if not std > 0 or not num_std > 0:
        raise ValueError(f"std and num_std must be positive, got std={std}, num_std={num_std}.")
    if isinstance(min_samples_per_mode, bool) or not isinstance(
            min_samples_per_mode, (int, np.integer)) or min_samples_per_mode < 1:
        raise ValueError(f"min_samples_per_mode must be an integer >= 1, got "
                         f"{min_samples_per_mode!r}.")
    modes = np.asarray(modes, dtype=np.float64)
    nearest, squared = nearest_modes(samples, modes)
    high_quality = squared <= (float(num_std) * float(std)) ** 2
    per_mode = np.bincount(nearest[high_quality], minlength=len(modes))
    count = int(len(squared))
    return {
        "modes_captured": int((per_mode >= min_samples_per_mode).sum()),
        "min_samples_per_mode": int(min_samples_per_mode),
        "num_modes": int(len(modes)),
        "high_quality": int(high_quality.sum()),
        "high_quality_percent": 100.0 * float(high_quality.sum()) / count if count else 0.0,
        "num_samples": count,
        "samples_per_mode": [int(c) for c in per_mode],
    }


def summarize(results, keys=("modes_captured", "high_quality_percent")):
    """Mean and standard deviation over runs (e.g. seeds) of each key of `mode_coverage`.

    Args:
        results: list of dicts returned by `mode_coverage`.
        keys: the keys to summarise.

    Returns:
        {key: (mean, std)}, the population std (ddof=0), as the paper's "± std over 5 runs".
    """
    if not results:
        raise ValueError("summarize needs at least one result.")
    return {key: (float(np.mean([r[key] for r in results])),
                  float(np.std([r[key] for r in results]))) for key in keys}
