"""`tfds:<name>`: any image dataset already prepared with tensorflow-datasets.

tfhybrids never downloads: it reads a dataset only if `tfds.builder(...).is_prepared()` says it
is on disk, and otherwise tells the user to prepare it once with `tfds build <name> --data_dir D`
(an attempted download without internet retries for minutes before failing).

Config keys (besides the common ones in `tfhybrids.data.base`):
    data_dir     str or null, default null (TFDS's default data dir, ~/tensorflow_datasets or
                 $TFDS_DATA_DIR).
    train_split  str, default "train". Any TFDS split string, e.g. "train[:90%]".
    test_split   str, default "test".
    image_key    str, default "image". The feature holding the images (integer HWC).
    label_key    str or null, default "label". The feature holding integer class labels; null
                 for unlabelled data (every y is then 0 and num_classes is None).
    image_size   int in [4, 1024] or null, default null (keep the native size). Resize to
                 image_size x image_size; needed when the images vary in size.

Images are mapped from [0, dtype max] (255 for uint8) to [-1, 1]. num_classes and class_names
come from the label feature when it is a ClassLabel.

Storage format. A dataset prepared as ArrayRecord (`tfds build <name> --file_format
array_record`, or `file_format="array_record"` when writing one) is read by index: the
training stream shuffles all of it every epoch, resumes at any step without re-reading, and
each worker of a multi-worker run reads only its share (see tfhybrids.training.data_stream).
A TFRecord dataset (TFDS's default) is read in order, shuffled through `data.shuffle_buffer`.
Either way the split is decoded on the fly unless it fits the `data.cache` budget.
"""

import logging

import numpy as np
import tensorflow as tf

from tfhybrids.data import specs
from tfhybrids.data.base import IndexedSplit, build_bundle, decode_images, pipeline_options
from tfhybrids.data.registry import register_source
from tfhybrids.errors import DataError


def import_tfds():
    """Imports tensorflow_datasets on first use (it adds seconds to start-up otherwise)."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise DataError(f"tfds data sources need tensorflow-datasets ({error}); install it with "
                        f"`pip install tensorflow-datasets importlib_resources`.") from None
    return tfds


def prepared_builder(name, data_dir=None):
    """Returns the TFDS builder of `name` if the dataset is prepared in `data_dir`, else None.

    Never downloads or prepares anything.

    Raises:
        DataError: if `name` is malformed (e.g. an unknown builder config).
    """
    tfds = import_tfds()
    # TFDS logs warnings such as "Variant folder ... has no dataset_info.json" while it looks
    # for a copy; an unprepared copy is reported by the caller, with the fix.
    absl_logger = logging.getLogger("absl")
    previous = absl_logger.level
    absl_logger.setLevel(logging.ERROR)
    try:
        builder = tfds.builder(name, data_dir=data_dir)
        return builder if builder.is_prepared() else None
    except tfds.core.DatasetNotFoundError:
        # Neither a registered dataset nor one stored in data_dir.
        return None
    except ValueError as error:
        first_line = str(error).strip().splitlines()[0]
        raise DataError(f"TFDS dataset '{name}' cannot be opened ({first_line.rstrip(': ')}); "
                        f"check data.name.") from None
    finally:
        absl_logger.setLevel(previous)


def _num_examples(builder, split, key):
    splits = builder.info.splits
    try:
        return splits[split].num_examples
    except (KeyError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise DataError(f"TFDS dataset '{builder.name}' has no split {split!r} "
                        f"({first_line.rstrip('.')}); set data.{key} to one of "
                        f"{', '.join(sorted(splits.keys()))}, or a slice such as "
                        f"'train[:90%]'.") from None


def bundle_from_builder(builder, *, name, options, seed, train_split="train",
                        test_split="test", image_key="image", label_key="label",
                        image_size=None):
    """Builds a `DataBundle` from a prepared TFDS builder (see the module docstring for the args).

    Raises:
        DataError: for a missing split or feature, non-integer images, or non-integer labels.
    """
    tfds = import_tfds()
    features = builder.info.features
    if image_key not in features:
        raise DataError(f"TFDS dataset '{builder.name}' has no feature {image_key!r}; set "
                        f"data.image_key to one of: {', '.join(sorted(features.keys()))}.")
    image_feature = features[image_key]
    image_dtype = image_feature.tf_dtype
    if not image_dtype.is_integer or len(image_feature.shape) != 3:
        raise DataError(f"TFDS dataset '{builder.name}': feature {image_key!r} is "
                        f"{image_dtype.name} {image_feature.shape}; tfhybrids needs integer "
                        f"HWC images, set data.image_key to an image feature.")
    if image_feature.shape[-1] is None:
        raise DataError(f"TFDS dataset '{builder.name}': images in {image_key!r} have no fixed "
                        f"channel count; tfhybrids needs one.")

    num_classes = class_names = None
    if label_key is not None:
        if label_key not in features:
            raise DataError(f"TFDS dataset '{builder.name}' has no feature {label_key!r}; set "
                            f"data.label_key to one of: {', '.join(sorted(features.keys()))} "
                            f"(or null for unlabelled data).")
        label_feature = features[label_key]
        if not label_feature.tf_dtype.is_integer or tuple(label_feature.shape) != ():
            raise DataError(f"TFDS dataset '{builder.name}': feature {label_key!r} is not a "
                            f"scalar integer label; set data.label_key to one (or null).")
        if isinstance(label_feature, tfds.features.ClassLabel):
            num_classes = label_feature.num_classes
            class_names = list(label_feature.names)

    def to_pair(example):
        x = decode_images(example[image_key], image_dtype.max, image_size)
        if label_key is None:
            y = tf.zeros((), tf.int32)
        else:
            y = tf.cast(example[label_key], tf.int32)
        return x, y

    def examples(split):
        # try_autocache off: build_bundle caches the decoded examples itself (when asked), and
        # TFDS's own cache would hold a second, undecoded copy.
        dataset = builder.as_dataset(split=split, shuffle_files=False,
                                     read_config=tfds.ReadConfig(try_autocache=False))
        return dataset.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)

    def indexed(split):
        records = builder.as_data_source(split=split).data_source

        def fetch(block):
            return np.array(records.__getitems__(block.tolist()), dtype=object)

        def read(indices):
            serialized = (indices.batch(64)
                          .map(lambda block: tf.numpy_function(fetch, [block], tf.string,
                                                               stateful=False),
                               num_parallel_calls=tf.data.AUTOTUNE)
                          .unbatch())
            return serialized.map(lambda record: to_pair(features.deserialize_example(record)),
                                  num_parallel_calls=tf.data.AUTOTUNE)

        return IndexedSplit(len(records), read)

    # Look the splits up before as_dataset, which raises a bare ValueError for a bad one.
    num_train = _num_examples(builder, train_split, "train_split")
    num_test = _num_examples(builder, test_split, "test_split")
    if builder.info.file_format == tfds.core.FileFormat.ARRAY_RECORD:
        # TFDS cannot `as_dataset` ArrayRecord files; they are read by index.
        splits = {"indexed": {"train": indexed(train_split), "test": indexed(test_split)}}
    else:
        splits = {"train": examples(train_split), "test": examples(test_split)}
    return build_bundle(
        name=name,
        kind="image",
        **splits,
        num_train=num_train,
        num_test=num_test,
        options=options,
        seed=seed,
        num_classes=num_classes,
        class_names=class_names,
    )


@register_source("tfds:")
def load_tfds(config, seed):
    """Loads a `tfds:<name>` source (see the module docstring) as a `DataBundle`."""
    dataset_name = config["name"].partition(":")[2]
    builder = prepared_builder(dataset_name, config["data_dir"])
    if builder is None:
        raise specs.tfds_not_prepared_error(dataset_name, config["data_dir"])
    settings = {key: config[key] for key in ("train_split", "test_split", "image_key",
                                             "label_key", "image_size")}
    return bundle_from_builder(builder, name=config["name"], options=pipeline_options(config),
                               seed=seed, **settings)
