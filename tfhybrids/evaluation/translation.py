"""Measures of unpaired image-to-image translation against a known ground truth.

CycleGAN (Zhu et al. 2017, §5.1.1) scores translations with the "FCN score": a network trained
on the target domain judges whether G(x) still shows what x showed. With a source whose true
mapping T is known (tfhybrids.data.unpaired's `fashion_mnist_style`), three things can be
measured directly:

- translation error: G(x) against T(x), per pixel (mean squared and mean absolute error);
- cycle error: F(G(x)) against x (how well the round trip keeps the content);
- recognition: does a classifier of the source domain still recognise the class of x in the
  translation? The Fashion-MNIST domain classifier (tfhybrids.evaluation.feature_networks,
  trained on domain X) classifies T^{-1}(G(x)), the translation mapped back into X by the
  known inverse, and F(T(x)), the backward translation of a true Y image, which is already in
  X. A translation that lost or swapped the content (mode collapse) scores low even when it
  looks like the target domain; an identity "translation" keeps the class but has a large
  translation error.

All images are float arrays in [-1, 1], NHWC.
"""

import numpy as np

from tfhybrids.errors import ShapeError


def _pair(a, b, what):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim < 2:
        raise ShapeError(f"{what}: expected two image batches of the same shape, got "
                         f"{a.shape} and {b.shape}.")
    return a, b


def translation_error(translated, truth):
    """Mean squared and mean absolute error of translations against the true images.

    Args:
        translated: float array [n, ...]. G(x).
        truth: float array [n, ...]. T(x).

    Returns:
        {"mse": float, "l1": float}, both averaged over pixels and images.
    """
    a, b = _pair(translated, truth, "translation_error")
    return {"mse": float(np.mean(np.square(a - b))), "l1": float(np.mean(np.abs(a - b)))}


def cycle_error(originals, reconstructions):
    """Mean absolute error of F(G(x)) against x, per pixel (the paper's L1 cycle measure)."""
    a, b = _pair(originals, reconstructions, "cycle_error")
    return float(np.mean(np.abs(a - b)))


def recognition_rate(predicted_labels, labels):
    """Fraction of images whose predicted class is the true class."""
    predicted_labels = np.asarray(predicted_labels).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if predicted_labels.shape != labels.shape or not labels.size:
        raise ShapeError(f"recognition_rate: {predicted_labels.size} predictions for "
                         f"{labels.size} labels; give one prediction per labelled image.")
    return float(np.mean(predicted_labels == labels))


def load_classifier(dataset="fashion_mnist", feature_dir=None):
    """The trained domain classifier of `dataset` as a function images [-1, 1] -> labels.

    Raises:
        DataError: when the classifier file is missing, naming the script that makes it.
    """
    import keras

    from tfhybrids.evaluation.feature_networks import DomainClassifierFeatures, classifier_paths

    DomainClassifierFeatures(dataset, feature_dir)  # raises the helpful error if missing
    model = keras.saving.load_model(classifier_paths(dataset, feature_dir)[0], compile=False)

    def classify(images, batch_size=500):
        images = np.asarray(images, np.float32)
        return np.concatenate([
            np.argmax(np.asarray(model(images[i:i + batch_size], training=False)), axis=-1)
            for i in range(0, len(images), batch_size)])

    return classify


def _batched(function, images, batch_size=500):
    return np.concatenate([np.asarray(function(images[i:i + batch_size]))
                           for i in range(0, len(images), batch_size)])


def evaluate_translation(model, x, truth, labels=None, classify=None, inverse=None):
    """All the measures for a CycleGAN-like model on test pairs (x, T(x)).

    Args:
        model: has `translate_x_to_y` and `translate_y_to_x` (images in [-1, 1]).
        x: float array [n, H, W, C]. Domain-X test images.
        truth: float array [n, H, W, C]. T(x), their true translations.
        labels: int array [n] or None. Classes of x, for the recognition rates.
        classify: callable images -> labels, or None. A classifier of domain X.
        inverse: callable or None. T^{-1}, mapping Y images into X for the classifier.

    Returns:
        dict: translation_mse, translation_l1 (G(x) vs T(x)), backward_mse, backward_l1
        (F(T(x)) vs x), cycle_l1 (F(G(x)) vs x) and, with a classifier and labels,
        recognition_x (the classifier on x itself: its ceiling), recognition_xy (on
        T^{-1}(G(x)); needs `inverse`) and recognition_yx (on F(T(x))).
    """
    x = np.asarray(x, np.float32)
    truth = np.asarray(truth, np.float32)
    translated = _batched(model.translate_x_to_y, x)
    back = _batched(model.translate_y_to_x, translated)
    backward = _batched(model.translate_y_to_x, truth)
    forward = translation_error(translated, truth)
    backward_error = translation_error(backward, x)
    results = {
        "translation_mse": forward["mse"],
        "translation_l1": forward["l1"],
        "backward_mse": backward_error["mse"],
        "backward_l1": backward_error["l1"],
        "cycle_l1": cycle_error(x, back),
    }
    if classify is not None and labels is not None:
        results["recognition_x"] = recognition_rate(classify(x), labels)
        if inverse is not None:
            results["recognition_xy"] = recognition_rate(
                classify(np.asarray(inverse(translated))), labels)
        results["recognition_yx"] = recognition_rate(classify(backward), labels)
    return results


def batch_diversity(images):
    """Mean over pixels of the standard deviation across a batch of images.

    0 when every image is the same; comparing it with the diversity of real images of the
    target domain shows mode collapse (a translation that maps every input to one output).
    """
    images = np.asarray(images, np.float64)
    if images.ndim < 2 or len(images) < 2:
        raise ShapeError(f"batch_diversity: needs a batch of at least 2 images, got shape "
                         f"{images.shape}.")
    return float(np.mean(np.std(images, axis=0)))
