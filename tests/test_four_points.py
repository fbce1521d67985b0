"""The `four_points` source: AVB's toy data, uniform over four one-hot 2x2 images."""

import numpy as np
import pytest

from tfhybrids.data import SOURCES, load_data
from tfhybrids.data.four_points import four_point_images
from tfhybrids.errors import ConfigError


def test_images_are_the_four_one_hot_2x2_images():
    images = four_point_images()
    assert images.shape == (4, 2, 2, 1) and images.dtype == np.float32
    as_bits = (images.reshape(4, 4) + 1.0) / 2.0
    np.testing.assert_array_equal(as_bits, np.eye(4))


def test_bundle_structure_labels_and_uniform_frequencies():
    assert "four_points" in SOURCES
    bundle = load_data({"name": "four_points", "num_train": 8000, "num_test": 400,
                        "batch_size": 32}, seed=0)
    assert bundle.kind == "image" and bundle.element_shape == (2, 2, 1)
    assert bundle.num_classes == 4 and len(bundle.class_names) == 4
    x, y = bundle.arrays("train")
    assert x.shape == (8000, 2, 2, 1) and y.dtype == np.int32
    # Each example is the image of its label.
    np.testing.assert_array_equal(x, four_point_images()[y])
    shares = np.bincount(y, minlength=4) / len(y)
    np.testing.assert_allclose(shares, 0.25, atol=0.02)
    batch_x, batch_y = next(iter(bundle.train))
    assert batch_x.shape == (32, 2, 2, 1) and batch_y.shape == (32,)


def test_seed_fixes_the_data_and_test_differs_from_train():
    config = {"name": "four_points", "num_train": 64, "num_test": 64, "batch_size": 8}
    _, y_a = load_data(config, seed=1).arrays("train")
    _, y_b = load_data(config, seed=1).arrays("train")
    _, y_c = load_data(config, seed=2).arrays("train")
    _, y_test = load_data(config, seed=1).arrays("test")
    np.testing.assert_array_equal(y_a, y_b)
    assert not np.array_equal(y_a, y_c)
    assert not np.array_equal(y_a, y_test)


def test_unknown_key_is_refused():
    with pytest.raises(ConfigError, match="unknown key 'dataset'"):
        load_data({"name": "four_points", "dataset": "ring"})
