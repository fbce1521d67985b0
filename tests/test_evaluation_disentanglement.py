"""The beta-VAE disentanglement metric on a factor source with hand-made representations."""

import numpy as np
import pytest

from tfhybrids.evaluation.disentanglement import beta_vae_score, difference_points


class FactorsAsImages:
    """Three factors; `render` returns the factor values themselves, so a representation can
    be written directly in terms of the factors."""

    factor_sizes = (4, 5, 6)

    def sample_factors(self, num, rng):
        return np.stack([rng.integers(s, size=num) for s in self.factor_sizes], axis=1)

    def render(self, factors):
        return factors.astype(np.float32)


SETTINGS = dict(num_train=300, num_eval=200, pairs_per_point=16, seed=0)


def test_pairs_share_the_fixed_factor():
    source = FactorsAsImages()
    diffs, fixed = difference_points(source, lambda f: f, 50, 8, np.random.default_rng(0))
    assert diffs.shape == (50, 3) and fixed.shape == (50,)
    # With the factors as the code, the fixed factor's |z1 - z2| is exactly 0, the others not.
    np.testing.assert_array_equal(diffs[np.arange(50), fixed], 0.0)
    assert (diffs.sum(axis=1) > 0).all()


def test_factorised_code_scores_perfectly():
    result = beta_vae_score(FactorsAsImages(), lambda f: f * np.array([1.0, 2.0, 0.5]),
                            **SETTINGS)
    assert result["accuracy"] >= 0.99 and result["chance"] == pytest.approx(1 / 3)


def test_code_that_ignores_the_factors_scores_near_chance():
    rng = np.random.default_rng(5)
    result = beta_vae_score(FactorsAsImages(), lambda f: rng.normal(size=(len(f), 3)),
                            **SETTINGS)
    assert result["accuracy"] < 0.5


def test_entangled_code_scores_below_factorised():
    # Every unit mixes all factors: the fixed factor no longer has a unit of its own.
    mixing = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, 0.5], [0.3, 1.0, -1.0]])
    noise = np.random.default_rng(1)
    entangled = beta_vae_score(
        FactorsAsImages(), lambda f: f @ mixing + noise.normal(scale=0.5, size=f.shape),
        **SETTINGS)
    assert entangled["accuracy"] < 0.95


def test_per_factor_accuracy_shows_the_factors_a_code_cannot_tell_apart():
    # A code of factor 0 alone: points fixing factor 1 and points fixing factor 2 give the
    # same z_diff distribution, so the classifier recognises factor 0 every time and splits
    # the other two about evenly between them.
    result = beta_vae_score(FactorsAsImages(), lambda f: f[:, :1] * 1.0, **SETTINGS)
    first, second, third = result["per_factor_accuracy"]
    assert first >= 0.99 and second + third <= 1.3
    assert result["accuracy"] == pytest.approx(1 / 3 + 2 / 3 * 0.5, abs=0.12)


def test_a_code_missing_one_factor_still_scores_perfectly():
    # The metric's known blind spot (Kim & Mnih 2018, §4): with K - 1 factors in units of
    # their own, the K-th is recognised by elimination (no unit at zero).
    result = beta_vae_score(FactorsAsImages(), lambda f: f[:, :2] * 1.0, **SETTINGS)
    assert result["accuracy"] >= 0.99
