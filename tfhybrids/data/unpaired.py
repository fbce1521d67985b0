"""Unpaired two-domain image sources, for image-to-image translation (CycleGAN).

Every example is an unpaired couple stacked into one tensor: x float32 [2, H, W, C] in [-1, 1],
x[0] an image of domain X and x[1] an image of domain Y, and y int32, the class label of
x[0] when the source has labels (0 otherwise). Stacking keeps the `(x float32, y int32)`
examples that every DataBundle consumer relies on (shuffling, the resumable train stream,
`arrays`, distribution); `CycleGAN.split_pairs` takes the halves apart. The bundle's kind is
"image_pairs" and its element_shape (2, H, W, C).

Pairing. In the train split the two halves of an example are unrelated images: example i
holds X image i mod n_x and Y image i mod n_y (the domain with fewer images is cycled), and
the split has max(n_x, n_y) examples; the train stream reshuffles whole examples each epoch.
No loss of CycleGAN couples the two halves of an example; they only share a batch.

Sources:

`image_folders`: a user's own two folders of images (png, jpg, jpeg, bmp, gif).
    domain_x, domain_y      str, required. The folders of domain X and domain Y (not searched
                            recursively). Files are read by index (see
                            tfhybrids.data.base.IndexedSplit): folders larger than memory
                            stream, shuffled globally, and resume without re-reading.
    domain_x_test, domain_y_test  str or null, default null. Test folders; without them the
                            last `test_fraction` of each folder's files (sorted by name) is
                            held out.
    test_fraction           float in (0, 0.5], default 0.1. At least one image a domain.
    image_size              int in [8, 512], default 64. Images are resized (bilinear,
                            antialiased) to image_size x image_size.
    channels                1 or 3, default 3. Colour images are converted as needed.
    Labels are all 0 (num_classes None).

`tfds:cycle_gan/<pair>`: a TFDS `cycle_gan` dataset (e.g. horse2zebra, monet2photo) that is
    already prepared; tfhybrids never downloads (prepare it once with
    `tfds build cycle_gan/<pair> --data_dir D`). Splits trainA/trainB/testA/testB: A is X.
    data_dir    str or null, default null (TFDS's default data dir).
    image_size  int in [8, 512], default 64 (the paper trains at 256).
    Labels are all 0 (num_classes None).

`fashion_mnist_style`: an offline pair whose true mapping is known, for tests and benchmarks.
    Domain X is Fashion-MNIST; domain Y is `style_transform` of *other* Fashion-MNIST images:
    X = train images [0, n), Y = style_transform(train images [30000, 30000 + n)), so no
    image of X ever appears, transformed, in Y. The test split holds the real pairs
    (x, style_transform(x)) of the test images, with the labels of x: the translation G(x)
    can be compared with the truth, like the paper's FCN score.
    path        str, default "/usr/share/datasets/fashion-mnist" (the IDX files).
    train_limit int in [1, 30000], default 30000. Images per domain.
    test_limit  int >= 1 or null, default null (all 10000).
    image_size  int in [8, 128], default 28.
    num_classes is 10 (the labels of the X images).

The style transform is a fixed, invertible grey-level curve: a photographic negative with a
gamma of 1/2, t = 1 - sqrt(u) on intensities u in [0, 1]. It is not the identity (background
turns white, mid-greys darken), a convolutional generator can learn it pixel by pixel, and it
is invertible (`inverse_style_transform`), so a Fashion-MNIST classifier can judge G(x) by
classifying inverse_style_transform(G(x)). A geometric change (a flip) was avoided on
purpose: the paper reports CycleGAN failing on geometric changes (§5.3).
"""

import os

import numpy as np
import tensorflow as tf

from tfhybrids.data import fashion_mnist, specs, tfds_source
from tfhybrids.data.base import (
    IndexedSplit,
    array_examples,
    build_bundle,
    decode_images,
    pipeline_options,
)
from tfhybrids.data.registry import register_source
from tfhybrids.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
KIND = "image_pairs"
STYLE_HALF = specs.STYLE_HALF


def style_transform(images):
    """The fixed style of `fashion_mnist_style`'s domain Y: t = 1 - sqrt(u) per pixel.

    Args:
        images: float array or tensor in [-1, 1] (u = (x + 1) / 2 is the intensity).

    Returns:
        float32 tensor of the same shape, in [-1, 1].
    """
    u = (tf.cast(images, tf.float32) + 1.0) / 2.0
    t = 1.0 - tf.sqrt(tf.clip_by_value(u, 0.0, 1.0))
    return 2.0 * t - 1.0


def inverse_style_transform(images):
    """Inverse of `style_transform`: u = (1 - t)^2, for images in [-1, 1]."""
    t = (tf.cast(images, tf.float32) + 1.0) / 2.0
    u = tf.square(1.0 - tf.clip_by_value(t, 0.0, 1.0))
    return 2.0 * u - 1.0


def pair_examples(x_examples, y_examples, num_x, num_y):
    """Unpaired example dataset from two unbatched image datasets: elements ([2, H, W, C], label).

    Example i holds X example i mod num_x and Y image i mod num_y; the dataset has
    max(num_x, num_y) examples.

    Args:
        x_examples: tf.data.Dataset of (image [H, W, C] float32, label int32), domain X.
        y_examples: tf.data.Dataset of images [H, W, C] float32, domain Y.
        num_x, num_y: int. Their sizes.

    Returns:
        (dataset, number of examples).
    """
    count = max(num_x, num_y)
    pairs = tf.data.Dataset.zip((x_examples.repeat().take(count), y_examples.repeat().take(count)))
    return pairs.map(lambda xl, y: (tf.stack([xl[0], y]), xl[1])), count


# --------------------------------------------------------------------- fashion_mnist_style
@register_source("fashion_mnist_style")
def load_fashion_mnist_style(config, seed):
    """Loads `fashion_mnist_style` (see the module docstring) as a `DataBundle`."""
    image_size, train_limit = config["image_size"], config["train_limit"]
    paths = specs.fashion_mnist_files(config["path"])
    if not all(paths.values()):
        raise specs.fashion_mnist_missing_error(config["path"], paths, None, tfds_fallback=False)
    images, labels = fashion_mnist._read_split(paths["train_images"], paths["train_labels"],
                                               None)
    test_images, test_labels = fashion_mnist._read_split(paths["test_images"],
                                                         paths["test_labels"],
                                                         config["test_limit"])

    def decode(batch):
        return decode_images(batch, 255, image_size)

    def stylised(batch):
        return style_transform(decode(batch))

    x_train = array_examples(images[:train_limit], labels[:train_limit], decode)
    y_images = images[STYLE_HALF:STYLE_HALF + train_limit]
    y_train = array_examples(y_images, labels[STYLE_HALF:STYLE_HALF + train_limit], stylised)
    train, num_train = pair_examples(x_train, y_train.map(lambda x, y: x), train_limit,
                                     len(y_images))
    x_test = array_examples(test_images, test_labels, decode)
    test = x_test.map(lambda x, y: (tf.stack([x, style_transform(x)]), y))
    return build_bundle(name="fashion_mnist_style", kind=KIND, train=train, test=test,
                        num_train=num_train, num_test=len(test_images),
                        options=pipeline_options(config), seed=seed,
                        num_classes=len(fashion_mnist.CLASS_NAMES),
                        class_names=fashion_mnist.CLASS_NAMES)


# --------------------------------------------------------------------- image_folders
def list_images(folder, key):
    """Sorted image files of `folder`; DataError naming `data.<key>` if missing or empty."""
    if not os.path.isdir(folder):
        raise specs.missing_folder_error(folder, key)
    files = sorted(os.path.join(folder, name) for name in os.listdir(folder)
                   if name.lower().endswith(IMAGE_EXTENSIONS)
                   and os.path.isfile(os.path.join(folder, name)))
    if not files:
        raise DataError(f"data.{key}: folder {folder!r} holds no images "
                        f"({', '.join(IMAGE_EXTENSIONS)}); put that domain's images there.")
    return files


def _split_files(files, fraction, key):
    held_out = max(1, int(round(len(files) * fraction)))
    if held_out >= len(files):
        raise DataError(f"data.{key}: {len(files)} image(s) are too few to hold out a test "
                        f"split; add images or give data.{key}_test.")
    return files[:-held_out], files[-held_out:]


def _load_image(path, image_size, channels):
    image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    image = decode_images(image, 255, image_size)
    return tf.ensure_shape(image, (image_size, image_size, channels))


def indexed_pairs(x_files, y_files, image_size, channels):
    """An `IndexedSplit` of unpaired examples from two lists of image files.

    Example i holds X file i mod n_x and Y file i mod n_y (the `pair_examples` pairing); its
    files are read and decoded only when example i is asked for.
    """
    x_files, y_files = tf.constant(x_files), tf.constant(y_files)
    num_x, num_y = int(x_files.shape[0]), int(y_files.shape[0])

    def load_pair(index):
        x = _load_image(x_files[index % num_x], image_size, channels)
        y = _load_image(y_files[index % num_y], image_size, channels)
        return tf.stack([x, y]), tf.zeros((), tf.int32)

    def read(indices):
        return indices.map(load_pair, num_parallel_calls=tf.data.AUTOTUNE)

    return IndexedSplit(max(num_x, num_y), read)


def _labelled(images):
    return images.map(lambda x: (x, tf.zeros((), tf.int32)))


@register_source("image_folders")
def load_image_folders(config, seed):
    """Loads `image_folders` (see the module docstring) as a `DataBundle`."""
    image_size, channels = config["image_size"], config["channels"]
    files = {key: list_images(config[key], key) for key in ("domain_x", "domain_y")}
    splits = {}
    for domain in ("x", "y"):
        key = f"domain_{domain}"
        if config[f"{key}_test"] is None:
            splits[domain] = _split_files(files[key], config["test_fraction"], key)
        else:
            splits[domain] = (files[key], list_images(config[f"{key}_test"], f"{key}_test"))
    (x_train, x_test), (y_train, y_test) = splits["x"], splits["y"]
    # Folders of a paired data set often share file names; a fixed permutation of Y's files
    # keeps sorted names from pairing up the two halves of the train examples.
    y_train = [y_train[i] for i in np.random.default_rng(0).permutation(len(y_train))]
    train = indexed_pairs(x_train, y_train, image_size, channels)
    test = indexed_pairs(x_test, y_test, image_size, channels)
    return build_bundle(name="image_folders", kind=KIND, indexed={"train": train, "test": test},
                        num_train=train.size, num_test=test.size,
                        options=pipeline_options(config), seed=seed)


# --------------------------------------------------------------------- tfds:cycle_gan/<pair>
@register_source("tfds:cycle_gan/")
def load_tfds_cycle_gan(config, seed):
    """Loads a prepared `tfds:cycle_gan/<pair>` (see the module docstring) as a `DataBundle`."""
    dataset_name = config["name"].partition(":")[2]
    image_size = config["image_size"]
    builder = tfds_source.prepared_builder(dataset_name, config["data_dir"])
    if builder is None:
        raise specs.tfds_not_prepared_error(dataset_name, config["data_dir"])
    tfds = tfds_source.import_tfds()
    splits = builder.info.splits

    def images(split):
        dataset = builder.as_dataset(split=split, shuffle_files=False,
                                     read_config=tfds.ReadConfig(try_autocache=False))
        return dataset.map(lambda e: decode_images(e["image"], 255, image_size),
                           num_parallel_calls=tf.data.AUTOTUNE)

    counts = {split: splits[split].num_examples for split in ("trainA", "trainB", "testA",
                                                             "testB")}
    train, num_train = pair_examples(_labelled(images("trainA")), images("trainB"),
                                     counts["trainA"], counts["trainB"])
    test, num_test = pair_examples(_labelled(images("testA")), images("testB"),
                                   counts["testA"], counts["testB"])
    return build_bundle(name=config["name"], kind=KIND, train=train, test=test,
                        num_train=num_train, num_test=num_test,
                        options=pipeline_options(config), seed=seed)
