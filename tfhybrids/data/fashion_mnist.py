"""`fashion_mnist`: Zalando's Fashion-MNIST (60000 train / 10000 test 28x28 grey images,
10 classes).

Read from local files only, never downloaded:
1. the four gzip IDX files (MNIST's format) in `path`, as installed by the Debian package
   `dataset-fashion-mnist` in /usr/share/datasets/fashion-mnist; or, if they are absent,
2. a copy already prepared with tensorflow-datasets (`fashion_mnist`) in `data_dir`.

Config keys (besides the common ones in `tfhybrids.data.base`):
    path         str, default "/usr/share/datasets/fashion-mnist". Dir of the IDX files
                 (gzipped or not).
    data_dir     str or null, default null (TFDS's default data dir). Where to look for a
                 prepared TFDS copy.
    image_size   int in [8, 128], default 28. Resize (bilinear, antialiased) to this size.
    train_limit  int >= 1 or null. Use only the first N train examples (quick runs and tests).
    test_limit   int >= 1 or null. Use only the first N test examples.

Pixels 0..255 are mapped to [-1, 1]. Shape (S, S, 1).
"""

import dataclasses
import gzip
import math
import struct
import zlib

import numpy as np

from tfhybrids.data import specs, tfds_source
from tfhybrids.data.base import labelled_image_bundle, pipeline_options
from tfhybrids.data.registry import register_source
from tfhybrids.errors import DataError

DEFAULT_PATH = specs.FASHION_MNIST_PATH
FILES = specs.FASHION_MNIST_FILES
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
# IDX magic numbers: two zero bytes, type 0x08 (unsigned byte), then the number of dimensions.
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def _corrupt(path, problem):
    return DataError(f"Fashion-MNIST file {path} is corrupt: {problem}; reinstall it with "
                     f"`apt-get install --reinstall dataset-fashion-mnist` or point data.path at "
                     f"a good copy.")


def read_idx(path, magic):
    """Reads an IDX file of unsigned bytes (gzipped if the name ends in .gz) as a numpy array.

    Args:
        path: str. The file.
        magic: int. The expected magic number, `IMAGES_MAGIC` (3-D) or `LABELS_MAGIC` (1-D).

    Raises:
        DataError: naming the file, if it cannot be read, has another magic number, or holds
            more or fewer bytes than its header promises.
    """
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                raw = stream.read()
        else:
            with open(path, "rb") as stream:
                raw = stream.read()
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise _corrupt(path, f"cannot be read ({error})") from None
    num_dims = magic & 0xFF
    header_size = 4 * (1 + num_dims)
    if len(raw) < header_size:
        raise _corrupt(path, f"{len(raw)} bytes is too short for an IDX header")
    found, *dims = struct.unpack(f">{1 + num_dims}i", raw[:header_size])  # big-endian int32s
    if found != magic:
        raise _corrupt(path, f"magic number {found}, expected {magic}")
    expected = math.prod(dims)
    if min(dims) < 0 or len(raw) - header_size != expected:
        raise _corrupt(path, f"{len(raw) - header_size} data bytes, but its header promises "
                             f"{' x '.join(map(str, dims))} = {expected}")
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(dims)


def _read_split(images_path, labels_path, limit):
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise _corrupt(labels_path, f"{len(labels)} labels for the {len(images)} images of "
                                    f"{images_path}")
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise _corrupt(labels_path, f"label {labels.max()} is outside 0..{len(CLASS_NAMES) - 1}")
    # Copy the slice so the full decompressed buffer can be freed.
    return (np.ascontiguousarray(images[:limit, :, :, np.newaxis]),
            labels[:limit].astype(np.int32))


def _from_idx(paths, options, seed, image_size, train_limit, test_limit):
    x_train, y_train = _read_split(paths["train_images"], paths["train_labels"], train_limit)
    x_test, y_test = _read_split(paths["test_images"], paths["test_labels"], test_limit)
    return labelled_image_bundle("fashion_mnist", (x_train, y_train, x_test, y_test), 255,
                                 image_size, options, seed, CLASS_NAMES)


def _limited(builder, split, limit):
    """A TFDS split string holding at most `limit` examples of `split`."""
    if limit is None:
        return split
    # TFDS rejects a slice longer than the split; the IDX path silently takes all, so match it.
    return f"{split}[:{min(limit, builder.info.splits[split].num_examples)}]"


@register_source("fashion_mnist")
def load_fashion_mnist(config, seed):
    """Loads the `fashion_mnist` source (see the module docstring) as a `DataBundle`."""
    options = pipeline_options(config)
    path, data_dir, image_size = config["path"], config["data_dir"], config["image_size"]
    limits = {key: config[key] for key in ("train_limit", "test_limit")}
    paths = specs.fashion_mnist_files(path)
    if all(paths.values()):
        return _from_idx(paths, options, seed, image_size, **limits)

    builder = _prepared_tfds_copy(data_dir)
    if builder is not None:
        bundle = tfds_source.bundle_from_builder(
            builder, name="fashion_mnist", options=options, seed=seed,
            train_split=_limited(builder, "train", limits["train_limit"]),
            test_split=_limited(builder, "test", limits["test_limit"]),
            image_size=image_size)
        return dataclasses.replace(bundle, class_names=list(CLASS_NAMES))

    raise specs.fashion_mnist_missing_error(path, paths, data_dir)


def _prepared_tfds_copy(data_dir):
    """The prepared TFDS `fashion_mnist` builder, or None (also when TFDS is not installed)."""
    try:
        return tfds_source.prepared_builder("fashion_mnist", data_dir)
    except DataError:
        return None
