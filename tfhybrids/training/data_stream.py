"""The training stream: a pure function of (seed, step), so a resumed run sees the same data.

`fit` is given an endless stream of batches. Data epoch e is the train split shuffled with the
seed (seed, e) and batched with drop_remainder, and the stream is data epochs 0, 1, 2, ...
concatenated. A run resumed at step s starts the stream at step s, so it sees exactly the
batches the uninterrupted run would have seen, whatever `steps_per_epoch` is.

When the bundle has a labelled subset and a `labeled_batch_size` (data.labels_per_class and
data.labeled_batch_size), each element is `((x, y), (x_labeled, y_labeled))`: the second part
comes from an endless stream of the labelled examples alone, its pass p shuffled with the seed
(seed, p) and then batched across pass boundaries, so it too is a pure function of
(seed, step).
"""

import contextlib

import tensorflow as tf
from tensorflow.python.eager import context as tf_context

from tfhybrids.data.base import without_autotune_model


_EPOCH_SEED_STRIDE = 1_000_003


def batches_per_data_epoch(bundle):
    return bundle.num_train // bundle.batch_size


def train_stream(bundle, seed, start_step=0, shuffle_buffer=10000, prefetch=True):
    """Endless dataset of training batches starting at global step `start_step`.

    Args:
        bundle: tfhybrids.data.DataBundle.
        seed: int. The run's seed.
        start_step: int. Number of batches already trained on.
        shuffle_buffer: int. Shuffle buffer size (the whole split when at least num_train).
        prefetch: bool. Prefetch with AUTOTUNE.
    """
    per_epoch = batches_per_data_epoch(bundle)
    first_epoch, offset = divmod(int(start_step), per_epoch)
    examples = bundle.examples["train"].cache()
    batch_size = bundle.batch_size

    def data_epoch(epoch):
        epoch_seed = tf.cast(seed, tf.int64) * _EPOCH_SEED_STRIDE + epoch
        return (examples.shuffle(shuffle_buffer, seed=epoch_seed, reshuffle_each_iteration=False)
                .batch(batch_size, drop_remainder=True))

    with _without_global_seed():
        stream = (tf.data.Dataset.range(first_epoch, 2**62)
                  .flat_map(data_epoch)
                  .skip(offset))
        if bundle.labeled_batch_size and "labeled" in bundle.examples:
            stream = tf.data.Dataset.zip(
                (stream, _labeled_stream(bundle, seed, start_step, shuffle_buffer)))
    if prefetch:
        stream = stream.prefetch(tf.data.AUTOTUNE)
    # `fit` deletes its iterator over the stream when it returns: see without_autotune_model.
    return without_autotune_model(stream)


_LABELED_SALT = 7_919


def _labeled_stream(bundle, seed, start_step, shuffle_buffer):
    """Endless labelled batches from global step `start_step` on (see the module docstring)."""
    labeled = bundle.examples["labeled"].cache()

    def labeled_pass(index):
        pass_seed = (tf.cast(seed, tf.int64) * _EPOCH_SEED_STRIDE + _LABELED_SALT) * 7 + index
        return labeled.shuffle(shuffle_buffer, seed=pass_seed, reshuffle_each_iteration=False)

    return (tf.data.Dataset.range(0, 2**62)
            .flat_map(labeled_pass)
            .batch(bundle.labeled_batch_size, drop_remainder=True)
            .skip(int(start_step)))


@contextlib.contextmanager
def _without_global_seed():
    """Traces the epoch function with no global seed set.

    With a global seed of 0 (e.g. keras.utils.set_random_seed(0)), TensorFlow's seed helper
    compares a tensor op-seed to 0 in Python and fails; the per-epoch seeds given to shuffle
    here are explicit, so the global seed has no part in them anyway.
    """
    previous = tf_context.global_seed()
    tf.random.set_seed(None)
    try:
        yield
    finally:
        if previous is not None:
            tf.random.set_seed(previous)
