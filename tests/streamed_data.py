"""A small streamed data set for the streaming, resume and multi-worker tests: scikit-learn's
digits (the `digits` source's split) written as a TFDS ArrayRecord dataset, so that
`tfds:digits_records` is read by index with `data.cache: false`."""

import numpy as np
import tensorflow as tf

NAME = "digits_records"


def write_digits_records(data_dir):
    """Writes `digits_records` (8x8x1 uint8, 10 classes) to `data_dir`; returns the config of
    the streamed source (its `data:` section without batch_size)."""
    import tensorflow_datasets as tfds

    from tfhybrids.data.digits import MAX_INTENSITY, digits_split

    x_train, y_train, x_test, y_test = digits_split()

    def split(x, y):
        images = np.round(x.astype(np.float32) * (255 / MAX_INTENSITY)).astype(np.uint8)
        return tf.data.Dataset.from_tensor_slices({"image": images, "label": y.astype(np.int64)})

    tfds.dataset_builders.store_as_tfds_dataset(
        name=NAME, version="1.0.0",
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(8, 8, 1)),
            "label": tfds.features.ClassLabel(num_classes=10)}),
        data_dir=str(data_dir), split_datasets={"train": split(x_train, y_train),
                                                "test": split(x_test, y_test)},
        file_format="array_record", disable_shuffling=True)
    return {"name": f"tfds:{NAME}", "data_dir": str(data_dir), "cache": False}
