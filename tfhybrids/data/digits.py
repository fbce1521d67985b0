"""`digits`: scikit-learn's bundled handwritten digits (1797 8x8 images, 10 classes, no download).

Config keys (besides the common ones in `tfhybrids.data.base`):
    image_size  int in [8, 64], default 8. Images are resized from 8x8 to image_size x image_size
                (bilinear, antialiased), e.g. 28 to share networks with Fashion-MNIST.

The split is fixed: stratified by class, 20% test with `random_state=0` (independent of the seed
given to `load_data`, so the test set never changes) -> 1437 train / 360 test images.
Pixels run 0..16 in the source; they are mapped to [-1, 1] (0 -> -1, 16 -> +1). Shape (S, S, 1).
"""

import numpy as np

from tfhybrids.data.base import labelled_image_bundle, pipeline_options
from tfhybrids.data.registry import register_source

MAX_INTENSITY = 16
TEST_FRACTION = 0.2
SPLIT_SEED = 0
CLASS_NAMES = [str(digit) for digit in range(10)]


def digits_split():
    """Returns `(x_train, y_train, x_test, y_test)`: uint8 images `[n, 8, 8, 1]` in 0..16, labels.

    The split is the fixed stratified one described in the module docstring.
    """
    from sklearn import datasets, model_selection  # sklearn is slow to import; only load it here

    digits = datasets.load_digits()
    # The bundled values are whole numbers 0..16 stored as float64; uint8 keeps the cache small.
    images = digits.images.astype(np.uint8)[..., np.newaxis]
    labels = digits.target.astype(np.int32)
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        images, labels, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=labels)
    return x_train, y_train, x_test, y_test


@register_source("digits")
def load_digits(config, seed):
    """Loads the `digits` source (see the module docstring) as a `DataBundle`."""
    return labelled_image_bundle("digits", digits_split(), MAX_INTENSITY, config["image_size"],
                                 pipeline_options(config), seed, CLASS_NAMES)
