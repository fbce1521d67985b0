"""`four_points`: the synthetic data set of Adversarial Variational Bayes (Mescheder, Nowozin &
Geiger 2017, arXiv:1701.04722, §6.1 and Fig. 4): the data distribution is uniform over four
2x2 binary images, each with exactly one pixel on (the one-hot vectors of size 4, laid out as
2x2 images, as in the authors' toy notebook).

A model of this data reaches the best log-likelihood, log(1/4) ≈ -1.386 per example, when it
puts a quarter of the prior's mass on each image; AVB's posteriors then split a 2-D latent
space into four regions.

Config keys (besides the common ones in `tfhybrids.data.base`):
    num_train   int >= 1, default 10000.
    num_test    int >= 1, default 1000.

Images are float32 (2, 2, 1) in [-1, 1]: the lit pixel is +1 and the others -1 (a Bernoulli
decoder sees them as 1 and 0). The label is the index of the lit pixel in row-major order
(0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right). Which image each example shows is
drawn uniformly by a numpy Generator seeded with `load_data`'s seed; train and test use separate
streams spawned from it.
"""

import numpy as np

from tfhybrids.data.base import array_examples, build_bundle, pipeline_options
from tfhybrids.data.registry import register_source

NUM_POINTS = 4
IMAGE_SHAPE = (2, 2, 1)
CLASS_NAMES = ["top-left", "top-right", "bottom-left", "bottom-right"]


def four_point_images():
    """The four images of the data set, float32 [4, 2, 2, 1] in [-1, 1]; row k is label k."""
    one_hot = np.eye(NUM_POINTS, dtype=np.float32)
    return (2.0 * one_hot - 1.0).reshape((NUM_POINTS,) + IMAGE_SHAPE)


def sample_four_points(count, rng):
    """Draws `count` examples uniformly over the four images; returns (x float32, y int32)."""
    labels = rng.integers(NUM_POINTS, size=count).astype(np.int32)
    return four_point_images()[labels], labels


@register_source("four_points")
def load_four_points(config, seed):
    """Loads the `four_points` source (see the module docstring) as a `DataBundle`."""
    num_train, num_test = config["num_train"], config["num_test"]
    train_rng, test_rng = (np.random.default_rng(stream)
                           for stream in np.random.SeedSequence(seed).spawn(2))
    x_train, y_train = sample_four_points(num_train, train_rng)
    x_test, y_test = sample_four_points(num_test, test_rng)
    return build_bundle(
        name="four_points",
        kind="image",
        train=array_examples(x_train, y_train),
        test=array_examples(x_test, y_test),
        num_train=num_train,
        num_test=num_test,
        options=pipeline_options(config),
        seed=seed,
        num_classes=NUM_POINTS,
        class_names=CLASS_NAMES,
    )
