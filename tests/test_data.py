"""Tests for tfhybrids.data: every source's shapes, dtypes, ranges, counts, batching, seeding and
`arrays()`, the toy2d geometry, the offline TFDS round trip, and the config and data errors."""

import collections
import gzip
import os
import struct
import time

import numpy as np
import pytest
import tensorflow as tf

from tfhybrids.data import (SOURCES, DataBundle, from_unit_range, load_data, register_source,
                            to_unit_range, toy2d_modes, toy2d_std)
from tfhybrids.data import fashion_mnist as fashion_module
from tfhybrids.data.digits import digits_split
from tfhybrids.data import base
from tfhybrids.errors import ConfigError, DataError
from tfhybrids.training.data_stream import train_stream

FASHION_DIR = fashion_module.DEFAULT_PATH
HAVE_FASHION = os.path.isfile(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"))
needs_fashion = pytest.mark.skipif(
    not HAVE_FASHION, reason="needs `apt-get install dataset-fashion-mnist`")


def first_batch(bundle):
    x, y = next(iter(bundle.train))
    return x.numpy(), y.numpy()


def batch_sizes(dataset):
    return [int(x.shape[0]) for x, _ in dataset]


def check_structure(bundle, kind, element_shape):
    """Shapes and dtypes every bundle promises, and that one train epoch is full batches."""
    assert isinstance(bundle, DataBundle)
    assert bundle.kind == kind
    assert bundle.element_shape == element_shape
    x, y = first_batch(bundle)
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert x.shape == (bundle.batch_size,) + element_shape
    assert y.shape == (bundle.batch_size,)
    # drop_remainder on train, every example on test.
    full_batches = bundle.num_train // bundle.batch_size
    assert batch_sizes(bundle.train) == [bundle.batch_size] * full_batches
    test_sizes = batch_sizes(bundle.test)
    assert sum(test_sizes) == bundle.num_test
    assert test_sizes[:-1] == [bundle.batch_size] * (len(test_sizes) - 1)


def check_image_range(x):
    assert x.min() >= -1.0 and x.max() <= 1.0
    # Black and white pixels really reach both ends of the range.
    assert x.min() < -0.99 and x.max() > 0.99


# ---------------------------------------------------------------------------------------------
# digits


@pytest.fixture(scope="module")
def digits():
    return load_data({"name": "digits", "batch_size": 64}, seed=0)


def test_digits_structure_and_counts(digits):
    check_structure(digits, "image", (8, 8, 1))
    assert (digits.num_train, digits.num_test) == (1437, 360)
    assert digits.num_classes == 10
    assert digits.class_names == [str(d) for d in range(10)]
    # 360 = 5 * 64 + 40: the last test batch is kept, partial.
    assert batch_sizes(digits.test)[-1] == 40


def test_digits_values_match_sklearn_split(digits):
    x_train, y_train, x_test, y_test = digits_split()
    x, y = digits.arrays("test")
    np.testing.assert_allclose(x, x_test / 16.0 * 2.0 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(y, y_test)
    check_image_range(x)
    # Stratified: each of the 10 classes has 35-37 of the 360 test images.
    assert np.bincount(y, minlength=10).min() >= 35
    x, y = digits.arrays("train", limit=100)
    assert x.shape == (100, 8, 8, 1) and y.dtype == np.int32
    np.testing.assert_array_equal(y, y_train[:100])


def test_digits_test_split_does_not_depend_on_seed(digits):
    other = load_data({"name": "digits"}, seed=5)
    np.testing.assert_array_equal(other.arrays("test")[1], digits.arrays("test")[1])


def test_digits_train_epoch_is_a_shuffled_permutation(digits):
    one = np.concatenate([y for _, y in digits.train.as_numpy_iterator()])
    two = np.concatenate([y for _, y in digits.train.as_numpy_iterator()])
    _, y_train = digits.arrays("train")
    assert len(one) == 22 * 64
    assert not np.array_equal(one, y_train[:len(one)])  # shuffled
    assert not np.array_equal(one, two)  # reshuffled each epoch
    # Only the 1437 - 1408 = 29 dropped examples may be missing from an epoch.
    counts = np.bincount(y_train, minlength=10) - np.bincount(one, minlength=10)
    assert counts.min() >= 0 and counts.sum() == 29


def test_digits_seed_fixes_the_shuffle():
    # Fresh bundles: each new iterator over one bundle's train set draws the next epoch's order.
    x0, y0 = first_batch(load_data({"name": "digits"}, seed=0))
    again_x, again_y = first_batch(load_data({"name": "digits"}, seed=0))
    other_x, _ = first_batch(load_data({"name": "digits"}, seed=1))
    np.testing.assert_array_equal(x0, again_x)
    np.testing.assert_array_equal(y0, again_y)
    assert not np.array_equal(x0, other_x)


def test_digits_resize():
    bundle = load_data({"name": "digits", "image_size": 28, "batch_size": 32}, seed=0)
    check_structure(bundle, "image", (28, 28, 1))
    x, y = bundle.arrays("test", limit=50)
    assert x.shape == (50, 28, 28, 1)
    check_image_range(x)
    # A resized image is the 8x8 one enlarged: shrinking it back gives much the same picture.
    small = load_data({"name": "digits"}, seed=0).arrays("test", limit=50)[0]
    back = tf.image.resize(x, (8, 8), antialias=True).numpy()
    assert np.corrcoef(back.ravel(), small.ravel())[0, 1] > 0.9


def test_pipeline_switches_give_the_same_data():
    plain = load_data({"name": "digits", "cache": False, "prefetch": False}, seed=3)
    full = load_data({"name": "digits"}, seed=3)
    np.testing.assert_array_equal(first_batch(plain)[1], first_batch(full)[1])
    assert batch_sizes(plain.train) == [64] * 22


def test_unit_range_helpers():
    x = np.array([-1.0, 0.0, 1.0], np.float32)
    np.testing.assert_allclose(to_unit_range(x), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(from_unit_range(to_unit_range(x)), x)
    np.testing.assert_allclose(to_unit_range(tf.constant(x)).numpy(), [0.0, 0.5, 1.0])


# ---------------------------------------------------------------------------------------------
# config errors


def test_unknown_key_names_it_and_suggests_the_closest():
    with pytest.raises(ConfigError, match="'batchsize'.*Did you mean 'batch_size'"):
        load_data({"name": "digits", "batchsize": 32})
    # Keys are per source: image_size is a digits key, not a toy2d one.
    with pytest.raises(ConfigError, match="unknown key 'image_size'"):
        load_data({"name": "toy2d", "image_size": 8})


def test_unknown_source_lists_the_sources():
    with pytest.raises(ConfigError, match="Did you mean 'digits'.*fashion_mnist.*tfds:<name>"):
        load_data({"name": "digit"})
    with pytest.raises(ConfigError, match="needs a dataset name"):
        load_data({"name": "tfds:"})
    with pytest.raises(ConfigError, match="missing required key 'name'"):
        load_data({"batch_size": 8})


@pytest.mark.parametrize("config, match", [
    ({"name": "digits", "batch_size": 0}, "batch_size: must be at least 1"),
    ({"name": "digits", "batch_size": 8.0}, "batch_size: expected an integer"),
    ({"name": "digits", "cache": "yes"}, "cache: expected auto, true or false"),
    ({"name": "digits", "image_size": 4}, "image_size: must be at least 8"),
    ({"name": "toy2d", "dataset": "rings"}, "Did you mean 'ring'"),
    ({"name": "toy2d", "dataset": "grid", "radius": 2.0}, "toy2d dataset 'grid'.*'radius'"),
    ({"name": "toy2d", "std": 0.0}, "std: must be greater than 0"),
])
def test_bad_values_raise_config_error(config, match):
    with pytest.raises(ConfigError, match=match):
        load_data(config)


def test_train_split_smaller_than_a_batch_is_a_data_error():
    with pytest.raises(DataError, match="fewer than one batch of 2000"):
        load_data({"name": "digits", "batch_size": 2000})


def test_register_source_adds_a_loadable_source():
    @register_source("test_constant")
    def load_constant(config, seed):
        return load_data({**config, "name": "toy2d", "num_train": 64, "num_test": 8}, seed)

    try:
        bundle = load_data({"name": "test_constant"}, seed=0)
        assert bundle.num_train == 64
        with pytest.raises(ValueError, match="already registered"):
            register_source("test_constant")(lambda config, seed: None)
    finally:
        del SOURCES["test_constant"]


# ---------------------------------------------------------------------------------------------
# fashion_mnist


@pytest.fixture(scope="module")
def fashion():
    return load_data({"name": "fashion_mnist", "train_limit": 256, "test_limit": 100,
                      "batch_size": 64}, seed=0)


def read_gz(path, header_bytes, count, item_bytes):
    with gzip.open(path, "rb") as stream:
        return np.frombuffer(stream.read(header_bytes + count * item_bytes)[header_bytes:],
                             np.uint8)


@needs_fashion
def test_fashion_reads_the_idx_files(fashion):
    check_structure(fashion, "image", (28, 28, 1))
    assert (fashion.num_train, fashion.num_test) == (256, 100)
    assert fashion.num_classes == 10 and fashion.class_names[9] == "Ankle boot"
    x, y = fashion.arrays("test")
    raw_images = read_gz(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz"), 16, 100, 784)
    raw_labels = read_gz(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz"), 8, 100, 1)
    np.testing.assert_allclose(x.ravel(), raw_images / 255.0 * 2.0 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(y, raw_labels)
    check_image_range(x)
    assert y.min() >= 0 and y.max() <= 9 and len(np.unique(y)) == 10


@needs_fashion
def test_fashion_seed_and_resize(fashion):
    config = {"name": "fashion_mnist", "train_limit": 128, "test_limit": 10, "batch_size": 32}
    x0, _ = first_batch(load_data(config, seed=0))
    np.testing.assert_array_equal(x0, first_batch(load_data(config, seed=0))[0])
    assert not np.array_equal(x0, first_batch(load_data(config, seed=1))[0])
    resized = load_data({**config, "image_size": 32}, seed=0)
    check_structure(resized, "image", (32, 32, 1))
    check_image_range(resized.arrays("train", limit=32)[0])


def test_fashion_not_found_says_how_to_install(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "tfds").mkdir()
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist") as error:
        load_data({"name": "fashion_mnist", "path": str(tmp_path / "files"),
                   "data_dir": str(tmp_path / "tfds")})
    assert str(tmp_path / "files") in str(error.value)
    assert "\n" not in str(error.value)


def test_a_half_prepared_tfds_copy_adds_no_misleading_warning(tmp_path, caplog):
    # An empty version folder made TFDS warn "Variant folder ... has no dataset_info.json"
    # before the clear "Fashion-MNIST not found" message.
    (tmp_path / "tfds" / "fashion_mnist" / "3.0.1").mkdir(parents=True)
    with caplog.at_level("INFO"), pytest.raises(DataError, match="Fashion-MNIST not found"):
        load_data({"name": "fashion_mnist", "path": str(tmp_path / "none"),
                   "data_dir": str(tmp_path / "tfds")})
    assert not [r for r in caplog.records if "Variant folder" in r.getMessage()]


def write_idx(path, magic, dims, data):
    with gzip.open(path, "wb") as stream:
        stream.write(struct.pack(f">{1 + len(dims)}i", magic, *dims) + bytes(data))


def fake_fashion_dir(directory, num_train=70, num_test=20):
    """Writes four small valid IDX files; images hold 0 and 255 pixels, labels cycle 0..9."""
    rng = np.random.default_rng(0)
    for split, count in (("train", num_train), ("t10k", num_test)):
        images = rng.choice(np.array([0, 255], np.uint8), size=(count, 28, 28))
        write_idx(directory / f"{split}-images-idx3-ubyte.gz", 2051, (count, 28, 28),
                  images.tobytes())
        write_idx(directory / f"{split}-labels-idx1-ubyte.gz", 2049, (count,),
                  (np.arange(count) % 10).astype(np.uint8).tobytes())
    return directory


def test_fashion_reads_a_small_idx_copy(tmp_path):
    bundle = load_data({"name": "fashion_mnist", "path": str(fake_fashion_dir(tmp_path)),
                        "batch_size": 16}, seed=0)
    assert (bundle.num_train, bundle.num_test) == (70, 20)
    x, y = bundle.arrays("test")
    assert set(np.unique(x)) == {-1.0, 1.0}
    np.testing.assert_array_equal(y, np.arange(20) % 10)


def test_shrinking_is_antialiased(tmp_path):
    # A one-pixel checkerboard has no detail that survives shrinking 28 -> 12: antialiased it
    # turns uniform grey, while plain bilinear sampling aliases it to black and white.
    directory = fake_fashion_dir(tmp_path)
    board = (np.indices((28, 28)).sum(axis=0) % 2 * 255).astype(np.uint8)
    write_idx(directory / "t10k-images-idx3-ubyte.gz", 2051, (20, 28, 28),
              np.tile(board, (20, 1, 1)).tobytes())
    bundle = load_data({"name": "fashion_mnist", "path": str(directory), "batch_size": 16,
                        "image_size": 12}, seed=0)
    x, _ = bundle.arrays("test", limit=1)
    assert x.shape == (1, 12, 12, 1)
    assert np.abs(x).max() < 0.05


@pytest.mark.parametrize("damage, match", [
    (lambda path: write_idx(path, 2049, (70, 28, 28), bytes(70 * 784)), "magic number 2049"),
    (lambda path: write_idx(path, 2051, (70, 28, 28), bytes(100)), "header promises"),
    (lambda path: path.write_bytes(b"not a gzip file at all"), "cannot be read"),
])
def test_corrupt_idx_file_is_a_data_error_naming_it(tmp_path, damage, match):
    directory = fake_fashion_dir(tmp_path)
    damage(directory / "train-images-idx3-ubyte.gz")
    with pytest.raises(DataError, match=match) as error:
        load_data({"name": "fashion_mnist", "path": str(directory), "batch_size": 16})
    assert "train-images-idx3-ubyte.gz" in str(error.value)


def test_fashion_falls_back_to_a_prepared_tfds_copy(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    builder = tfds.builder("fashion_mnist")  # only for its features and version; no download
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (40, 28, 28, 1), dtype=np.uint8)
    labels = rng.integers(0, 10, 40)
    split = lambda lo, hi: tf.data.Dataset.from_tensor_slices(
        {"image": images[lo:hi], "label": labels[lo:hi]})
    tfds.dataset_builders.store_as_tfds_dataset(
        name="fashion_mnist", version=str(builder.version), features=builder.info.features,
        data_dir=str(tmp_path / "tfds"), split_datasets={"train": split(0, 30),
                                                         "test": split(30, 40)},
        disable_shuffling=True)
    (tmp_path / "empty").mkdir()
    bundle = load_data({"name": "fashion_mnist", "path": str(tmp_path / "empty"),
                        "data_dir": str(tmp_path / "tfds"), "batch_size": 8,
                        "train_limit": 20, "test_limit": 1000}, seed=0)
    assert (bundle.num_train, bundle.num_test) == (20, 10)
    assert bundle.class_names == fashion_module.CLASS_NAMES
    x, y = bundle.arrays("train")
    np.testing.assert_allclose(x, images[:20] / 255.0 * 2.0 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(y, labels[:20])


# ---------------------------------------------------------------------------------------------
# toy2d


def distance_to_modes(points, modes):
    return np.linalg.norm(points[:, None, :] - modes[None, :, :], axis=-1)


def test_ring_points_lie_near_their_mode():
    config = {"name": "toy2d", "dataset": "ring", "batch_size": 100}
    bundle = load_data(config, seed=0)
    check_structure(bundle, "points", (2,))
    assert (bundle.num_train, bundle.num_test, bundle.num_classes) == (10000, 2500, 8)
    modes = toy2d_modes(config)
    assert modes.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(modes, axis=1), 1.0, rtol=1e-6)
    assert toy2d_std(config) == 0.01
    x, y = bundle.arrays("train")
    np.testing.assert_allclose(np.linalg.norm(x, axis=1).mean(), 1.0, atol=0.005)
    offsets = x - modes[y]
    np.testing.assert_allclose(offsets.std(axis=0), 0.01, rtol=0.05)
    np.testing.assert_array_equal(distance_to_modes(x, modes).argmin(axis=1), y)
    assert np.bincount(y, minlength=8).min() > 1000  # modes drawn evenly


def test_grid_has_25_modes_and_nearest_mode_labels():
    config = {"name": "toy2d", "dataset": "grid", "num_train": 5000, "num_test": 500}
    bundle = load_data(config, seed=0)
    modes = toy2d_modes(config)
    assert modes.shape == (25, 2) and bundle.num_classes == 25
    assert sorted(set(modes[:, 0])) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(m) for m in modes}) == 25
    x, y = bundle.arrays("test")
    assert x.shape == (500, 2) and (bundle.num_train, bundle.num_test) == (5000, 500)
    np.testing.assert_array_equal(distance_to_modes(x, modes).argmin(axis=1), y)
    assert np.abs(x - modes[y]).max() < 6 * toy2d_std(config)


def test_swiss_roll_segments():
    config = {"name": "toy2d", "dataset": "swiss_roll", "num_segments": 5, "noise": 0.0}
    bundle = load_data(config, seed=0)
    assert bundle.num_classes == 5
    x, y = bundle.arrays("train")
    assert set(np.unique(y)) == set(range(5))
    # Noiseless points lie on (t cos t, t sin t) / 7.5, and segments go from the inside out.
    radius = np.linalg.norm(x, axis=1) * 7.5
    np.testing.assert_allclose(np.arctan2(x[:, 1], x[:, 0]), np.angle(np.exp(1j * radius)),
                               atol=1e-4)
    assert np.all(np.diff([radius[y == k].mean() for k in range(5)]) > 0)
    modes = toy2d_modes(config)
    assert modes.shape == (5, 2)
    assert toy2d_std({"dataset": "swiss_roll"}) == 0.05


def test_toy2d_seeding():
    config = {"name": "toy2d", "num_train": 256, "num_test": 64, "batch_size": 64}
    a, b, c = (load_data(config, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.arrays("train")[0], b.arrays("train")[0])
    np.testing.assert_array_equal(first_batch(a)[0], first_batch(b)[0])
    assert not np.array_equal(a.arrays("train")[0], c.arrays("train")[0])
    assert not np.array_equal(first_batch(a)[0], first_batch(c)[0])
    # Train and test come from separate streams: equal-sized splits are still different draws.
    same_size = load_data({**config, "num_train": 64}, seed=0)
    assert not np.allclose(same_size.arrays("train")[0], same_size.arrays("test")[0])


# ---------------------------------------------------------------------------------------------
# tfds:<name>


@pytest.fixture(scope="module")
def tiny_tfds(tmp_path_factory):
    """A 3-class 8x8 dataset stored offline with TFDS: (data_dir, train images, train labels)."""
    tfds = pytest.importorskip("tensorflow_datasets")
    data_dir = str(tmp_path_factory.mktemp("tfds"))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 8, 8, 1), dtype=np.uint8)
    images[0], images[1] = 0, 255  # make both ends of the range present
    labels = rng.integers(0, 3, 50)
    split = lambda lo, hi: tf.data.Dataset.from_tensor_slices(
        {"image": images[lo:hi], "label": labels[lo:hi]})
    tfds.dataset_builders.store_as_tfds_dataset(
        name="tiny_shapes", version="1.0.0",
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(8, 8, 1)),
            "label": tfds.features.ClassLabel(num_classes=3)}),
        data_dir=data_dir, split_datasets={"train": split(0, 40), "test": split(40, 50)},
        disable_shuffling=True)
    return data_dir, images, labels


def test_tfds_round_trip(tiny_tfds):
    data_dir, images, labels = tiny_tfds
    config = {"name": "tfds:tiny_shapes", "data_dir": data_dir, "batch_size": 16}
    bundle = load_data(config, seed=0)
    check_structure(bundle, "image", (8, 8, 1))
    assert bundle.name == "tfds:tiny_shapes"
    assert (bundle.num_train, bundle.num_test, bundle.num_classes) == (40, 10, 3)
    assert bundle.class_names == ["0", "1", "2"]
    x, y = bundle.arrays("train")
    np.testing.assert_allclose(x, images[:40] / 255.0 * 2.0 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(y, labels[:40])
    check_image_range(x)
    np.testing.assert_array_equal(bundle.arrays("test")[1], labels[40:])
    x0 = first_batch(load_data(config, seed=0))[0]
    np.testing.assert_array_equal(x0, first_batch(load_data(config, seed=0))[0])
    assert not np.array_equal(x0, first_batch(load_data(config, seed=1))[0])


def test_tfds_resize_split_slices_and_unlabelled(tiny_tfds):
    data_dir, _, _ = tiny_tfds
    bundle = load_data({"name": "tfds:tiny_shapes", "data_dir": data_dir, "batch_size": 8,
                        "image_size": 16, "train_split": "train[:24]", "label_key": None},
                       seed=0)
    check_structure(bundle, "image", (16, 16, 1))
    assert bundle.num_train == 24 and bundle.num_classes is None
    x, y = bundle.arrays("test")
    assert x.shape == (10, 16, 16, 1) and not y.any()


@pytest.mark.parametrize("overrides, match", [
    ({"image_key": "picture"}, "no feature 'picture'.*image, label"),
    ({"test_split": "validation"}, "no split 'validation'"),
    ({"batch_size": 64}, "fewer than one batch"),
])
def test_tfds_bad_settings_are_data_errors(tiny_tfds, overrides, match):
    with pytest.raises(DataError, match=match):
        load_data({"name": "tfds:tiny_shapes", "data_dir": tiny_tfds[0], **overrides})


@pytest.mark.parametrize("name", ["mnist", "no_such_dataset_anywhere"])
def test_tfds_unprepared_fails_fast_without_downloading(tmp_path, name):
    start = time.monotonic()
    with pytest.raises(DataError, match=f"tfds build {name} --data_dir"):
        load_data({"name": f"tfds:{name}", "data_dir": str(tmp_path)})
    assert time.monotonic() - start < 5.0


# ------------------------------------------------------------------------ streamed (indexed)


@pytest.fixture(scope="module")
def streamed_digits(tmp_path_factory):
    from streamed_data import write_digits_records

    return write_digits_records(tmp_path_factory.mktemp("records"))


def _batches(stream, count):
    return [x for x, _ in stream.take(count).as_numpy_iterator()]


def test_streamed_source_is_read_by_index_and_not_cached(streamed_digits):
    bundle = load_data({**streamed_digits, "batch_size": 32}, seed=0)
    assert set(bundle.indexed) == {"train", "test"} and not bundle.cache_train
    assert (bundle.num_train, bundle.num_test, bundle.element_shape) == (1437, 360, (8, 8, 1))
    x, y = bundle.arrays("train")
    assert x.shape == (1437, 8, 8, 1) and x.min() == -1.0 and x.max() == 1.0
    # auto caches what fits the budget; the budget is in decoded float32 bytes.
    auto = load_data({**streamed_digits, "cache": "auto", "batch_size": 32}, seed=0)
    assert auto.cache_train
    assert not base.resolve_cache("auto", 200_000, (64, 64, 3))  # CelebA-sized: 9.8 GB
    assert base.resolve_cache("auto", 40_000, (64, 64, 3))       # 1.97 GB fits


def test_streamed_epoch_is_a_global_permutation_and_resume_reads_no_prefix(streamed_digits):
    bundle = load_data({**streamed_digits, "batch_size": 32}, seed=0)
    per_epoch = 1437 // 32
    full = _batches(train_stream(bundle, 5, prefetch=False), per_epoch + 4)
    x_train, _ = bundle.arrays("train")
    # A data epoch draws from all the examples without repeats (a global shuffle, not in
    # stored order); the next epoch is another permutation.
    epoch_rows = collections.Counter(row.tobytes() for batch in full[:per_epoch] for row in batch)
    train_rows = collections.Counter(row.tobytes() for row in x_train)
    assert sum(epoch_rows.values()) == per_epoch * 32 and not epoch_rows - train_rows
    assert not np.array_equal(full[0], x_train[:32])
    assert not np.array_equal(full[0], full[per_epoch])

    reads_before = bundle.indexed["train"].examples_read
    late = per_epoch - 2
    resumed = _batches(train_stream(bundle, 5, start_step=late, prefetch=False), 6)
    for a, b in zip(full[late:], resumed):
        np.testing.assert_array_equal(a, b)
    # Six batches and the parallel readers' read-ahead, not the epoch's first 42 batches too.
    assert bundle.indexed["train"].examples_read - reads_before <= 6 * 32 + 512 < late * 32


def test_streamed_shards_are_the_rows_of_each_global_batch_and_cache_changes_nothing(
        streamed_digits):
    bundle = load_data({**streamed_digits, "batch_size": 32}, seed=0)
    full = _batches(train_stream(bundle, 1, start_step=40), 20)
    split = bundle.indexed["train"]
    reads = []
    halves = []
    for index in range(2):
        before = split.examples_read
        halves.append(_batches(train_stream(bundle, 1, start_step=40, prefetch=False,
                                            shard=(index, 2)), 20))
        reads.append(split.examples_read - before)
    for h0, h1, whole in zip(*halves, full):
        np.testing.assert_array_equal(np.concatenate([h0, h1]), whole)
    # Its half of 20 global batches and the read-ahead; whole batches would be 640.
    assert all(20 * 16 <= count < 20 * 32 for count in reads), reads
    cached = load_data({**streamed_digits, "batch_size": 32, "cache": True}, seed=0)
    assert cached.cache_train
    for a, b in zip(_batches(train_stream(cached, 1, start_step=40), 20), full):
        np.testing.assert_array_equal(a, b)


def test_in_memory_shards_are_the_rows_of_each_global_batch(digits):
    full = _batches(train_stream(digits, 2, start_step=3), 3)
    halves = [_batches(train_stream(digits, 2, start_step=3, shard=(i, 2)), 3) for i in (0, 1)]
    for h0, h1, whole in zip(*halves, full):
        np.testing.assert_array_equal(np.concatenate([h0, h1]), whole)
    with pytest.raises(ValueError, match="divisible"):
        train_stream(digits, 2, shard=(0, 3))
