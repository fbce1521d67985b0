"""Fréchet distance between Gaussians fitted to features of real and generated images.

    d^2 = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})

(Heusel et al. 2017, arXiv 1706.08500; Dowson & Landau 1982.) Computed as the reference
implementations (TTUR's fid.py, pytorch-fid) do: float64 statistics with the unbiased
covariance, `scipy.linalg.sqrtm` of S_1 S_2, retried with eps * I added to both covariances when
the root is not finite, and an imaginary part that is numerical noise (diagonal within 1e-3 of
zero) dropped. `method="eigen"` computes the same trace from the eigenvalues of the symmetric
matrix S_1^{1/2} S_2 S_1^{1/2}, which is always real; the two agree to numerical precision.

The feature network decides the name of the score (see `feature_networks`): "FID" only with
InceptionV3 features, `FD-<dataset>-classifier` with the domain classifier.
"""

import warnings

import numpy as np
from scipy import linalg

from tfhybrids.errors import DataError


def feature_statistics(features):
    """Mean and unbiased covariance of features [n, d], in float64.

    Raises:
        DataError: for fewer than 2 rows or a non-2-D array.
    """
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise DataError(f"feature statistics need features [n >= 2, d], got shape "
                        f"{features.shape}.")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(
        features.shape[1], features.shape[1])


def _trace_sqrt_product_sqrtm(sigma1, sigma2, eps):
    with warnings.catch_warnings():
        # Features after a ReLU have dead units, hence singular covariances; scipy warns that
        # the root "might be inaccurate", and the checks below are what decide.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        # Singular product: the reference code's fix is a small offset on both diagonals.
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            largest = np.max(np.abs(covmean.imag))
            raise ValueError(f"Fréchet distance: the matrix square root has an imaginary "
                             f"component of {largest:.3g}; the covariances are ill-conditioned "
                             f"(use more samples than feature dimensions).")
        covmean = covmean.real
    return np.trace(covmean)


def _trace_sqrt_product_eigen(sigma1, sigma2):
    # Tr((S1 S2)^{1/2}) = sum sqrt(eig(S1^{1/2} S2 S1^{1/2})): similar matrices, and the
    # symmetric form has real non-negative eigenvalues (clipped at 0 against round-off).
    values, vectors = linalg.eigh(sigma1)
    root1 = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    inner = root1 @ sigma2 @ root1
    return np.sqrt(np.clip(linalg.eigvalsh((inner + inner.T) / 2.0), 0.0, None)).sum()


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6, method="sqrtm"):
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (the squared one, as in FID).

    Args:
        mu1, mu2: arrays [d]. Means.
        sigma1, sigma2: arrays [d, d]. Covariances.
        eps: float. Diagonal offset used when the product's square root is not finite.
            Defaults to 1e-6.
        method: str. "sqrtm" (the reference implementations) or "eigen". Defaults to "sqrtm".

    Returns:
        float >= 0 (up to round-off).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise DataError(f"Fréchet distance: means {mu1.shape}, {mu2.shape} and covariances "
                        f"{sigma1.shape}, {sigma2.shape} do not match.")
    diff = mu1 - mu2
    if method == "sqrtm":
        trace = _trace_sqrt_product_sqrtm(sigma1, sigma2, eps)
    elif method == "eigen":
        trace = _trace_sqrt_product_eigen(sigma1, sigma2)
    else:
        raise ValueError(f"frechet_distance: method must be 'sqrtm' or 'eigen', got {method!r}.")
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace)


def frechet_distance_from_features(features1, features2, **kwargs):
    """Fréchet distance between the Gaussians fitted to two feature sets [n, d] and [m, d]."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2),
                            **kwargs)


def frechet_score(feature_network, real_images, generated_images, batch_size=250, **kwargs):
    """The Fréchet distance between real and generated images in a feature network's space.

    Args:
        feature_network: a `feature_networks.FeatureNetwork`.
        real_images, generated_images: float32 [n, h, w, c] in [-1, 1].
        batch_size: int. Images per forward pass.

    Returns:
        dict: {"name": e.g. "FD-fashion_mnist-classifier" or "FID", "value": float,
        "num_real", "num_generated", and the network's info}.
    """
    real = feature_network.features(real_images, batch_size)
    fake = feature_network.features(generated_images, batch_size)
    value = frechet_distance_from_features(real, fake, **kwargs)
    return {"name": feature_network.score_name, "value": value, "num_real": int(len(real)),
            "num_generated": int(len(fake)), **feature_network.info}
