"""Reconstruction MSE and SSIM, semi-supervised and clustering errors, linear probes: each on
hand-made inputs with hand-computed answers."""

import numpy as np
import pytest

from tfhybrids.errors import DataError, ShapeError
from tfhybrids.evaluation import classification, image_metrics


def test_mse_is_measured_in_unit_range():
    x = np.zeros((2, 4, 4, 1), np.float32)            # 0.5 in [0, 1]
    x_hat = np.ones((2, 4, 4, 1), np.float32)          # 1.0 in [0, 1]
    x_hat[1] = 0.0                                     # second example is perfect
    np.testing.assert_allclose(image_metrics.reconstruction_mse(x, x_hat), [0.25, 0.0])


def test_mse_averages_over_pixels():
    x = -np.ones((1, 2, 2, 1), np.float32)
    x_hat = x.copy()
    x_hat[0, 0, 0, 0] = 1.0                            # one pixel off by 1 in [0, 1]
    assert image_metrics.reconstruction_mse(x, x_hat)[0] == pytest.approx(0.25)


def test_ssim_of_identical_images_is_one_and_shapes_are_checked():
    x = np.random.default_rng(0).uniform(-1, 1, size=(3, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(image_metrics.ssim(x, x), 1.0, atol=1e-6)
    with pytest.raises(ShapeError):
        image_metrics.ssim(x, x[:2])


def test_ssim_of_two_flat_images():
    # Flat images: contrast and structure terms are C2 / C2 = 1, so SSIM is the luminance term
    # (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1) with C1 = (0.01 * 1)^2: (1 + 1e-4) / (1.25 + 1e-4).
    # tf.image.ssim computes in float32, whose round-off on flat images is about 5e-4 here.
    x = np.zeros((1, 16, 16, 1), np.float32)           # 0.5
    y = np.ones((1, 16, 16, 1), np.float32)            # 1.0
    assert float(image_metrics.ssim(x, y)[0]) == pytest.approx(1.0001 / 1.2501, abs=1e-3)


def _reference_ssim(x, y, size=11, sigma=1.5):
    """Wang et al. 2004 written out: Gaussian-weighted local moments over valid windows."""
    g = np.exp(-((np.arange(size) - (size - 1) / 2) ** 2) / (2 * sigma ** 2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    values = []
    for i in range(x.shape[0] - size + 1):
        for j in range(x.shape[1] - size + 1):
            a, b = x[i:i + size, j:j + size], y[i:i + size, j:j + size]
            mu_a, mu_b = (window * a).sum(), (window * b).sum()
            var_a = (window * a * a).sum() - mu_a ** 2
            var_b = (window * b * b).sum() - mu_b ** 2
            cov = (window * a * b).sum() - mu_a * mu_b
            values.append((2 * mu_a * mu_b + c1) * (2 * cov + c2)
                          / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
    return np.mean(values)


def test_ssim_matches_the_formula_on_textured_images():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(2, 14, 14, 1)).astype(np.float32)
    y = np.clip(x + rng.normal(scale=0.3, size=x.shape), -1, 1).astype(np.float32)
    expected = [_reference_ssim((x[k, ..., 0] + 1) / 2, (y[k, ..., 0] + 1) / 2) for k in range(2)]
    np.testing.assert_allclose(image_metrics.ssim(x, y), expected, atol=1e-4)


def test_reconstruction_metrics_uses_the_model_call():
    x = np.linspace(-1, 1, 2 * 8 * 8).reshape(2, 8, 8, 1).astype(np.float32)
    result = image_metrics.reconstruction_metrics(lambda batch, training=False: batch * 0.0 - 1.0,
                                                  x, batch_size=1)
    expected = np.mean(((x + 1.0) / 2.0) ** 2)
    assert result["mse"] == pytest.approx(expected, rel=1e-5)
    assert result["num_images"] == 2 and result["ssim"] < 1.0


def test_semi_supervised_error():
    probs = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]
    assert classification.semi_supervised_error(probs, [0, 1, 1]) == pytest.approx(1 / 3)
    assert classification.semi_supervised_error(probs, [0, 1, 0]) == 0.0


def test_cluster_labels_take_the_label_of_the_most_confident_example():
    # Three clusters; example 1 is cluster 0's most confident (label 7), example 3 cluster 1's
    # (label 2), example 0 cluster 2's (label 5).
    probs = np.array([[0.1, 0.1, 0.8],
                      [0.9, 0.05, 0.05],
                      [0.5, 0.4, 0.1],
                      [0.0, 0.95, 0.05]])
    labels = [5, 7, 2, 2]
    np.testing.assert_array_equal(classification.cluster_labels(probs, labels), [7, 2, 5])


def test_clustering_error_counts_test_examples_in_wrongly_named_clusters():
    train_probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    train_labels = [3, 4]
    # Test examples go to clusters 0, 1, 1, 0 -> labels 3, 4, 4, 3; the truth differs once.
    test_probs = np.array([[0.7, 0.3], [0.1, 0.9], [0.4, 0.6], [0.8, 0.2]])
    error = classification.clustering_error(train_probs, train_labels, test_probs, [3, 4, 3, 3])
    assert error == pytest.approx(0.25)
    with pytest.raises(DataError):
        classification.clustering_error(train_probs, train_labels, np.ones((2, 3)), [0, 1])


def test_linear_probe_separates_linear_classes_but_not_xor():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(400, 2))
    linear = (codes[:, 0] + codes[:, 1] > 0).astype(int)
    assert classification.linear_probe_accuracy(codes[:300], linear[:300], codes[300:],
                                                linear[300:]) > 0.95
    xor = ((codes[:, 0] > 0) ^ (codes[:, 1] > 0)).astype(int)
    assert classification.linear_probe_accuracy(codes[:300], xor[:300], codes[300:],
                                                xor[300:]) < 0.7


def test_linear_probe_rejects_a_single_class():
    with pytest.raises(DataError):
        classification.linear_probe_accuracy(np.zeros((4, 2)), [1, 1, 1, 1], np.zeros((2, 2)),
                                             [1, 1])


# One bright pixel at (1, 1) of a 3x4 image, pixels in [0, 1]: the two interior Laplacians are
# -4 (at the pixel) and +1 (its right neighbour), variance 6.25; the squared differences are
# 2 of 8 down and 2 of 9 across: gradient energy 1/4 + 2/9.
_DOT = np.zeros((1, 3, 4, 1))
_DOT[0, 1, 1, 0] = 1.0


def test_laplacian_variance_and_gradient_energy_by_hand():
    dot = 2.0 * _DOT - 1.0  # to the bundles' range [-1, 1]
    assert image_metrics.laplacian_variance(dot)[0] == pytest.approx(6.25)
    assert image_metrics.gradient_energy(dot)[0] == pytest.approx(0.25 + 2.0 / 9.0)
    flat = np.full((2, 5, 5, 3), 0.3)
    np.testing.assert_allclose(image_metrics.laplacian_variance(flat), [0.0, 0.0])
    np.testing.assert_allclose(image_metrics.gradient_energy(flat), [0.0, 0.0])
    with pytest.raises(ShapeError, match="3x3 pixels"):
        image_metrics.laplacian_variance(np.zeros((1, 2, 5, 1)))


def test_sharpness_ratio_of_half_contrast_samples_is_a_quarter():
    real = 2.0 * _DOT - 1.0
    faded = 2.0 * (0.5 * _DOT) - 1.0
    summary = image_metrics.sharpness_summary(faded, real)
    assert summary["laplacian_variance_ratio"] == pytest.approx(0.25)
    assert summary["gradient_energy_ratio"] == pytest.approx(0.25)
    assert summary["real_laplacian_variance"] == pytest.approx(6.25)
    assert summary["num_samples"] == 1
