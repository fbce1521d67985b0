"""The beta-VAE disentanglement metric (Higgins et al. 2017, ICLR, §3 and Appendix A.4).

One training point of the metric's classifier is made as follows: choose a generative factor
y uniformly; draw L pairs of factor combinations (v1_l, v2_l) that agree on factor y and are
independent otherwise; render and encode both images of each pair (the mean of q(z|x));
z_diff = (1/L) sum_l |z1_l - z2_l|. A linear classifier (here multinomial logistic regression)
learns to predict y from z_diff, and the metric is its accuracy on held-out points: high when
the fixed factor shows up as a code unit that does not vary within the pairs, i.e. when each
factor lives in its own units. Chance is 1 / number of factors (20% for dSprites' five).

The factor source is any object with `factor_sizes` (tuple of int), `sample_factors(n, rng)`
(int [n, k] indices) and `render(factors)` (images); `tfhybrids.data.dsprites.DSPRITES` is one.
"""

import numpy as np

from tfhybrids.errors import ConfigError
from tfhybrids.validation import check_int


def difference_points(source, representation, num_points, pairs_per_point, rng,
                      batch_size=64):
    """Builds the metric's (z_diff, y) points.

    Args:
        source: factor source (see the module docstring).
        representation: callable images -> codes [n, d] (numpy or tensors).
        num_points: int. Number of points.
        pairs_per_point: int. L, the pairs averaged into each point.
        rng: numpy.random.Generator.
        batch_size: int. Points whose pairs are encoded together.

    Returns:
        (z_diff float64 [num_points, d], y int64 [num_points]).
    """
    num_factors = len(source.factor_sizes)
    diffs, factors_fixed = [], []
    for start in range(0, num_points, batch_size):
        count = min(batch_size, num_points - start)
        fixed = rng.integers(num_factors, size=count)
        first = source.sample_factors(count * pairs_per_point, rng)
        second = source.sample_factors(count * pairs_per_point, rng)
        rows = np.repeat(fixed, pairs_per_point)
        second[np.arange(len(second)), rows] = first[np.arange(len(first)), rows]
        codes = np.asarray(representation(source.render(np.concatenate([first, second]))),
                           np.float64)
        z1, z2 = codes[:len(first)], codes[len(first):]
        diff = np.abs(z1 - z2).reshape(count, pairs_per_point, -1).mean(axis=1)
        diffs.append(diff)
        factors_fixed.append(fixed)
    return np.concatenate(diffs), np.concatenate(factors_fixed)


def beta_vae_score(source, representation, num_train=2000, num_eval=1000, pairs_per_point=64,
                   seed=0, batch_size=16):
    """The beta-VAE disentanglement metric: accuracy of predicting the fixed factor.

    Args:
        source: factor source (see the module docstring).
        representation: callable images -> codes [n, d]: the encoder's mean.
        num_train: int. Points to train the linear classifier on. Defaults to 2000.
        num_eval: int. Held-out points it is scored on. Defaults to 1000.
        pairs_per_point: int. L. Defaults to 64 (as in disentanglement_lib; the paper's
            Appendix A.4 does not fix one value for every experiment).
        seed: int. Seeds the factor draws and the classifier. Defaults to 0.
        batch_size: int. Points encoded together (times 2L images). Defaults to 16.

    Returns:
        dict: {"accuracy" (held-out), "per_factor_accuracy" (held-out, one per factor),
        "train_accuracy", "num_train", "num_eval", "pairs_per_point", "num_factors",
        "chance"}.
    """
    from sklearn.linear_model import LogisticRegression

    for key, value in (("num_train", num_train), ("num_eval", num_eval),
                       ("pairs_per_point", pairs_per_point), ("batch_size", batch_size)):
        check_int("beta_vae_score", key, value, minimum=1)
    num_factors = len(source.factor_sizes)
    if num_factors < 2:
        raise ConfigError("beta_vae_score: the source needs at least 2 factors.")
    rng = np.random.default_rng(seed)
    x_train, y_train = difference_points(source, representation, num_train, pairs_per_point,
                                         rng, batch_size)
    x_eval, y_eval = difference_points(source, representation, num_eval, pairs_per_point, rng,
                                       batch_size)
    classifier = LogisticRegression(max_iter=2000, random_state=seed)
    if len(np.unique(y_train)) < 2:
        raise ConfigError("beta_vae_score: num_train is too small to see two factors; raise it.")
    classifier.fit(x_train, y_train)
    predicted = classifier.predict(x_eval)
    return {
        "accuracy": float(np.mean(predicted == y_eval)),
        # Which fixed factors the classifier recognises: NaN for a factor no point fixed.
        "per_factor_accuracy": [float(np.mean(predicted[y_eval == k] == k))
                                if np.any(y_eval == k) else float("nan")
                                for k in range(num_factors)],
        "train_accuracy": float(classifier.score(x_train, y_train)),
        "num_train": int(num_train),
        "num_eval": int(num_eval),
        "pairs_per_point": int(pairs_per_point),
        "num_factors": int(num_factors),
        "chance": 1.0 / num_factors,
    }
