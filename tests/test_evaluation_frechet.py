"""Fréchet distance against hand-computed values, and the feature networks that name the score."""

import math

import numpy as np
import pytest

from tfhybrids.errors import DataError
from tfhybrids.evaluation import feature_networks, frechet
from tfhybrids.evaluation.feature_networks import (
    DomainClassifierFeatures,
    FeatureNetwork,
    InceptionFeatures,
    build_domain_classifier,
    classifier_paths,
    load_feature_network,
)

METHODS = ("sqrtm", "eigen")


@pytest.mark.parametrize("method", METHODS)
def test_one_dimensional_gaussians(method):
    # N(0, 1) vs N(3, 4): (0 - 3)^2 + (1 - 2)^2 = 10.
    value = frechet.frechet_distance([0.0], [[1.0]], [3.0], [[4.0]], method=method)
    assert value == pytest.approx(10.0, abs=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_diagonal_covariances(method):
    # |mu1 - mu2|^2 = 1 + 4; sum (sqrt(a) - sqrt(b))^2 = (1 - 3)^2 + (2 - 1)^2 = 5.
    value = frechet.frechet_distance([0.0, 0.0], np.diag([1.0, 4.0]), [1.0, 2.0],
                                     np.diag([9.0, 1.0]), method=method)
    assert value == pytest.approx(10.0, abs=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_non_commuting_covariances(method):
    # For 2x2: Tr sqrt(S1 S2) = sqrt(Tr(S1 S2) + 2 sqrt(det S1 det S2)) = sqrt(8 + 2 * 3).
    s1 = np.array([[2.0, 1.0], [1.0, 2.0]])
    s2 = np.array([[1.0, 0.0], [0.0, 3.0]])
    expected = 4.0 + 4.0 - 2.0 * math.sqrt(14.0)
    value = frechet.frechet_distance([1.0, 1.0], s1, [1.0, 1.0], s2, method=method)
    assert value == pytest.approx(expected, abs=1e-5)
    assert round(value, 5) == round(0.5166852264521173, 5)


@pytest.mark.parametrize("method", METHODS)
def test_identical_statistics_give_zero(method):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    value = frechet.frechet_distance_from_features(features, features, method=method)
    assert abs(value) < 1e-6


def test_methods_agree_on_random_features():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(300, 8))
    b = rng.normal(size=(300, 8)) * 1.5 + 0.3
    assert frechet.frechet_distance_from_features(a, b) == pytest.approx(
        frechet.frechet_distance_from_features(a, b, method="eigen"), rel=1e-6)


def test_statistics_are_float64_with_unbiased_covariance():
    mean, cov = frechet.feature_statistics(np.array([[0.0], [2.0]], np.float32))
    assert mean.dtype == np.float64 and cov.dtype == np.float64
    assert mean[0] == 1.0 and cov[0, 0] == 2.0  # (1 + 1) / (2 - 1)


def test_non_finite_root_retries_with_offset(monkeypatch):
    calls = []
    real_sqrtm = frechet.linalg.sqrtm

    def flaky_sqrtm(matrix):
        calls.append(matrix.copy())
        if len(calls) == 1:
            return np.full_like(matrix, np.inf)
        return real_sqrtm(matrix)

    monkeypatch.setattr(frechet.linalg, "sqrtm", flaky_sqrtm)
    s1, s2 = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])
    value = frechet.frechet_distance([0.0, 0.0], s1, [0.0, 0.0], s2, eps=1e-3)
    assert len(calls) == 2
    np.testing.assert_allclose(calls[1], (s1 + 1e-3 * np.eye(2)) @ (s2 + 1e-3 * np.eye(2)))
    assert value == pytest.approx(5.0, abs=1e-2)


def test_tiny_imaginary_part_is_dropped_and_large_one_rejected(monkeypatch):
    monkeypatch.setattr(frechet.linalg, "sqrtm",
                        lambda m: np.diag([1.0, 2.0]) + 1e-9j * np.ones((2, 2)))
    value = frechet.frechet_distance([0, 0], np.eye(2), [0, 0], np.eye(2))
    assert value == pytest.approx(2.0 + 2.0 - 2.0 * 3.0)
    monkeypatch.setattr(frechet.linalg, "sqrtm", lambda m: np.diag([1.0 + 1j, 2.0]))
    with pytest.raises(ValueError, match="imaginary"):
        frechet.frechet_distance([0, 0], np.eye(2), [0, 0], np.eye(2))


def test_mismatched_shapes_are_rejected():
    with pytest.raises(DataError):
        frechet.frechet_distance([0.0, 0.0], np.eye(2), [0.0], np.eye(1))
    with pytest.raises(DataError):
        frechet.feature_statistics(np.zeros((1, 3)))


class _Flatten(FeatureNetwork):
    name = "pixels"
    score_name = "FD-test-pixels"
    info = {"network": "pixels"}

    def _embed(self, batch):
        return batch.reshape(len(batch), -1)


def test_frechet_score_names_the_network():
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, size=(50, 2, 2, 1)).astype(np.float32)
    result = frechet.frechet_score(_Flatten(), real, real + 0.5, batch_size=7)
    assert result["name"] == "FD-test-pixels" and result["network"] == "pixels"
    # Shifting every feature by 0.5 moves the mean by 0.5 in each of 4 dimensions.
    assert result["value"] == pytest.approx(4 * 0.25, abs=1e-6)
    assert result["num_real"] == result["num_generated"] == 50


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("features"))
    model = build_domain_classifier((28, 28, 1), 10)
    path, _ = classifier_paths("digits", directory)
    model.save(path)
    return directory


def test_domain_classifier_features(classifier_dir):
    network = load_feature_network("classifier", dataset="digits", feature_dir=classifier_dir)
    assert network.score_name == "FD-digits-classifier"
    assert "FID" not in network.score_name
    images = np.random.default_rng(0).uniform(-1, 1, size=(5, 8, 8, 1)).astype(np.float32)
    features = network.features(images, batch_size=2)  # 8x8 digits are resized to 28x28
    assert features.shape == (5, 128) and features.dtype == np.float64
    np.testing.assert_allclose(features[:2], network.features(images[:2]), rtol=1e-5, atol=1e-6)


def test_missing_classifier_names_the_training_script(tmp_path):
    with pytest.raises(DataError, match=r"scripts/train_domain_classifier.py --dataset "
                                        r"fashion_mnist"):
        DomainClassifierFeatures("fashion_mnist", str(tmp_path))


def test_feature_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(feature_networks.FEATURE_DIR_ENV, str(tmp_path))
    assert classifier_paths("digits")[0] == str(tmp_path / "digits_classifier.keras")


def test_inception_never_downloads(tmp_path):
    with pytest.raises(DataError, match="never downloads"):
        InceptionFeatures(None)
    with pytest.raises(DataError, match="does not exist"):
        load_feature_network("inception", inception_weights=str(tmp_path / "missing.h5"))
    assert InceptionFeatures.score_name == "FID"
