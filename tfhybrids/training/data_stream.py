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

Streamed sources with random access (a bundle's `indexed` splits: TFDS ArrayRecord data, image
folders) are read by index instead: data epoch e is the seeded permutation (seed, e) of all
train indices (a global shuffle, not a buffer's), cut into full batches. A run resumed at step
s computes that epoch's permutation and starts reading at its batch, so nothing before it is
read again; a worker of a multi-worker run (`shard`) reads only its rows of each global batch.
With data.cache on, the decoded examples are read once into memory and then taken by the same
permutation, so caching changes speed and memory, never the batches.

Sources without random access (TFRecord TFDS data) are shuffled with a buffer as above, and a
resumed run skips the epoch's first batches by reading them.
"""

import contextlib

import tensorflow as tf
from tensorflow.python.eager import context as tf_context

from tfhybrids.data.base import without_autotune_model


_EPOCH_SEED_STRIDE = 1_000_003


def batches_per_data_epoch(bundle):
    return bundle.num_train // bundle.batch_size


def train_stream(bundle, seed, start_step=0, shuffle_buffer=10000, prefetch=True, shard=None):
    """Endless dataset of training batches starting at global step `start_step`.

    Args:
        bundle: tfhybrids.data.DataBundle.
        seed: int. The run's seed.
        start_step: int. Number of batches already trained on.
        shuffle_buffer: int. Shuffle buffer size (the whole split when at least num_train);
            unused by indexed sources, which shuffle globally.
        prefetch: bool. Prefetch with AUTOTUNE.
        shard: (index, count) or None. Yield only rows [index*b, (index+1)*b) of every global
            batch, b = batch_size / count: input pipeline `index` of `count` (a worker of a
            multi-worker run). Indexed sources then read only those rows.
    """
    per_epoch = batches_per_data_epoch(bundle)
    first_epoch, offset = divmod(int(start_step), per_epoch)
    batch_size = bundle.batch_size
    if shard is not None:
        shard = _check_shard(shard, batch_size)
    if "train" in bundle.indexed:
        split = bundle.indexed["train"]
        if bundle.cache_train:
            split = split.in_memory()
        with _without_global_seed():
            stream = _indexed_stream(split, seed, first_epoch, offset, per_epoch, batch_size,
                                     shard)
        stream = stream.prefetch(tf.data.AUTOTUNE) if prefetch else stream
        # `fit` deletes its iterator over the stream when it returns: see
        # without_autotune_model.
        return without_autotune_model(stream)
    examples = bundle.examples["train"]
    if bundle.cache_train:
        examples = examples.cache()

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
    if shard is not None:
        stream = keep_rows(stream, *shard)
    # `fit` deletes its iterator over the stream when it returns: see without_autotune_model.
    return without_autotune_model(stream)


def _check_shard(shard, batch_size):
    index, count = (int(v) for v in shard)
    if count < 1 or not 0 <= index < count or batch_size % count:
        raise ValueError(f"shard {shard!r}: need 0 <= index < count and a batch size "
                         f"({batch_size}) divisible by count; set data.batch_size to a "
                         f"multiple of the number of workers.")
    return index, count


def keep_rows(dataset, index, count):
    """Keeps rows [index*b, (index+1)*b) of every batch of `dataset` (b = rows / count)."""

    def take_rows(*batch):
        def one(t):
            local = tf.shape(t)[0] // count
            return t[index * local:(index + 1) * local]

        return tf.nest.map_structure(one, batch if len(batch) > 1 else batch[0])

    return dataset.map(take_rows)


def _indexed_stream(split, seed, first_epoch, offset, per_epoch, batch_size, shard):
    """The batches of an `IndexedSplit` from data epoch `first_epoch`, batch `offset` on."""
    index, count = shard or (0, 1)
    local = batch_size // count
    rows = per_epoch * batch_size

    def epoch_indices(epoch):
        epoch_seed = tf.stack([tf.constant(seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(
            tf.range(split.size, dtype=tf.int64), seed=epoch_seed)
        batches = tf.reshape(order[:rows], [per_epoch, batch_size])
        # Only the first epoch of a resumed run starts part-way; nothing before is read.
        start = tf.where(epoch == first_epoch, tf.constant(offset, tf.int64), 0)
        mine = batches[start:, index * local:(index + 1) * local]
        return tf.data.Dataset.from_tensor_slices(tf.reshape(mine, [-1]))

    indices = tf.data.Dataset.range(first_epoch, 2**62).flat_map(epoch_indices)
    return split.examples(indices).batch(local, drop_remainder=True)


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
