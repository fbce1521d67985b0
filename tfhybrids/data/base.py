"""What every data source shares: `DataBundle`, the common config keys and the tf.data pipeline.

Value ranges:
    Images (kind "image") are float32 NHWC scaled to **[-1, 1]**: an empty pixel is -1 and full
    intensity is +1, matching generators that end in tanh. `to_unit_range` and `from_unit_range`
    convert to and from [0, 1] (for display, Bernoulli likelihoods or metrics).
    Points (kind "points", the 2-D toy sets) stay in their own units.
Labels are int32 class indices.

A source turns its raw data into two *example* datasets (unbatched, in a fixed order, elements
`(x float32, y int32)`) and hands them to `build_bundle`, which applies the options every source
shares (the `COMMON_KEYS` of the config's `data:` section, checked in `tfhybrids.data.specs`):

    batch_size      int >= 1, default 64. The global batch size.
    shuffle_buffer  int >= 1, default 10000.
    cache           "auto" (default), true or false. Keep the decoded train and test examples in
                    memory, so the decoding and resizing run once rather than every epoch. "auto"
                    caches a split only when its decoded float32 size fits `CACHE_BUDGET_BYTES`
                    (2 GiB) and streams it otherwise (read and decoded on the fly, in parallel,
                    prefetched), so memory does not grow with the data set; true forces the
                    cache, false always streams.
    prefetch        bool, default True. Prefetch with tf.data.AUTOTUNE.
    labels_per_class  int >= 1 or null, default null (every train label kept). Keep the labels
                    of only this many train examples of each class (a balanced labelled subset,
                    e.g. 10 per class = the "100 labels" setting of semi-supervised papers);
                    every other train example gets the label -1 ("unlabelled"). The test split
                    keeps all its labels. Which examples keep their label is drawn by
                    `labels_seed` alone: the same subset whatever the training seed.
    labels_seed     int >= 0, default 0. Seed of that choice.
    labeled_batch_size  int >= 1 or null, default null. With `labels_per_class`: the training
                    stream (tfhybrids.training.data_stream) then yields pairs
                    `((x, y), (x_labeled, y_labeled))`, the second a batch of this size from the
                    labelled subset, repeated and reshuffled for ever, so that a model with a
                    supervised phase (SemiSupervisedAAE) sees labelled examples every step even
                    when they are 100 out of 60000.
"""

import dataclasses
import threading

import numpy as np
import tensorflow as tf

from tfhybrids.errors import DataError
from tfhybrids.validation import check_choice, check_int

UNLABELED = -1
SPLITS = ("train", "test")
# `cache: auto` keeps a split's decoded examples in memory only up to this many bytes.
CACHE_BUDGET_BYTES = 2 * 1024**3


def to_unit_range(x):
    """Maps values from [-1, 1] (the bundles' image range) to [0, 1]; arrays or tensors."""
    return (x + 1.0) / 2.0


def from_unit_range(x):
    """Maps values from [0, 1] to [-1, 1] (the bundles' image range); arrays or tensors."""
    return x * 2.0 - 1.0


@dataclasses.dataclass(frozen=True)
class PipelineOptions:
    """The config keys every source shares (see the module docstring)."""

    batch_size: int
    shuffle_buffer: int
    cache: bool | str
    prefetch: bool
    labels_per_class: int | None
    labels_seed: int
    labeled_batch_size: int | None


def pipeline_options(section):
    """The common options of a checked `data:` section (see `tfhybrids.data.specs`)."""
    return PipelineOptions(**{field.name: section[field.name]
                              for field in dataclasses.fields(PipelineOptions)})


def decoded_bytes(num_examples, element_shape):
    """Bytes that `num_examples` decoded float32 examples of `element_shape` take in memory."""
    return int(num_examples) * int(np.prod(element_shape)) * 4


def resolve_cache(cache, num_examples, element_shape):
    """Whether a split is cached: `cache` when a bool, else whether it fits the budget."""
    if cache == "auto":
        return decoded_bytes(num_examples, element_shape) <= CACHE_BUDGET_BYTES
    return bool(cache)


class IndexedSplit:
    """Random access to a split's examples by index, for streaming without an in-memory copy.

    A source with random-access storage (ArrayRecord files of TFDS, a folder of image files)
    gives one per split. The training stream (tfhybrids.training.data_stream) draws each data
    epoch's order as a seeded permutation of all indices (a global shuffle), starts a resumed
    run at any step without reading the examples before it, and lets each worker of a
    multi-worker run read only its rows of each global batch.

    Args:
        size: int. Number of examples; valid indices are 0..size-1.
        read: callable. Takes a tf.data.Dataset of int64 scalar indices and returns the dataset
            of the `(x float32, y int32)` examples at them, in the same order.

    Attributes:
        examples_read: int. How many examples have been asked of the storage so far (summed
            over every dataset made by `examples`); the multi-worker and resume tests count it.
    """

    def __init__(self, size, read):
        self.size = int(size)
        self._read = read
        self._lock = threading.Lock()
        self.examples_read = 0

    def _count(self, indices):
        with self._lock:
            self.examples_read += int(indices.shape[0])
        return indices

    def examples(self, indices):
        """The examples at a dataset of int64 indices, in order (the reads are counted)."""
        # Blocks small enough that the count runs little ahead of the reads.
        counted = (indices.batch(32)
                   .map(lambda block: tf.numpy_function(self._count, [block], tf.int64,
                                                        stateful=True))
                   .unbatch())
        return self._read(counted)

    def all_examples(self):
        """Every example in index order."""
        return self.examples(tf.data.Dataset.range(self.size))

    def in_memory(self):
        """An `IndexedSplit` over a decoded copy of every example held in memory (data.cache).

        It reads the same values in the same order, so caching never changes a result."""
        xs, ys = [], []
        for x, y in self.all_examples().batch(1024).as_numpy_iterator():
            xs.append(x)
            ys.append(y)
        x_all, y_all = np.concatenate(xs), np.concatenate(ys)

        def read(indices):
            def gather(block):
                return x_all[block], y_all[block]

            def fetch(block):
                x, y = tf.numpy_function(gather, [block], (tf.float32, tf.int32),
                                         stateful=False)
                return (tf.ensure_shape(x, (None,) + x_all.shape[1:]),
                        tf.ensure_shape(y, (None,)))

            return indices.batch(64).map(fetch).unbatch()

        return IndexedSplit(self.size, read)


@dataclasses.dataclass
class DataBundle:
    """A data source ready for training: batched train and test datasets plus what models need.

    Attributes:
        name: str. Source name, e.g. "digits" or "tfds:mnist".
        kind: str. "image" (x is HWC in [-1, 1]) or "points" (x is a 2-D point).
        train: tf.data.Dataset of `(x, y)` batches: x float32 `[batch, *element_shape]`, y int32
            `[batch]`. Reshuffled every epoch by a seeded shuffle, batched with
            `drop_remainder=True` (so every batch splits evenly across replicas), prefetched.
        test: tf.data.Dataset with the same elements, in a fixed order, `drop_remainder=False`.
        element_shape: tuple of int. Shape of one x, e.g. (28, 28, 1) or (2,).
        num_classes: int or None. Number of label values, None when unknown.
        num_train: int. Examples in the train split (the train dataset yields
            `num_train // batch_size` full batches an epoch).
        num_test: int. Examples in the test split.
        batch_size: int. Global batch size of `train` and `test`.
        class_names: list of str or None. Name of each label value.
        examples: dict. "train"/"test" -> the unbatched, unshuffled `(x, y)` dataset behind each
            split; `arrays` reads it. With `labels_per_class`, also "labeled": the labelled
            train examples only (their true labels), in train order.
        num_labeled: int or None. Train examples that keep their label (None: all do).
        labeled_batch_size: int or None. Size of the labelled batch the training stream pairs
            with each batch (see the module docstring), or None for plain `(x, y)` batches.
        indexed: dict. "train"/"test" -> an `IndexedSplit` when the source has random access
            to its examples (the training stream then reads by index), else empty.
        cache_train: bool. Whether the training stream keeps the decoded train examples in
            memory (data.cache, with "auto" resolved against the split's decoded size).
    """

    name: str
    kind: str
    train: tf.data.Dataset
    test: tf.data.Dataset
    element_shape: tuple
    num_classes: int | None
    num_train: int
    num_test: int
    batch_size: int
    class_names: list[str] | None
    examples: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)
    num_labeled: int | None = None
    labeled_batch_size: int | None = None
    indexed: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)
    cache_train: bool = True

    def arrays(self, split, limit=None):
        """Returns `(x, y)` of a split as numpy arrays, in dataset order (never shuffled).

        Args:
            split: str. "train" or "test".
            limit: int or None. Return only the first `limit` examples. Defaults to all of them.

        Returns:
            x float32 `[n, *element_shape]` and y int32 `[n]`.
        """
        check_choice("arrays", "split", split, SPLITS)
        dataset = self.examples[split]
        if limit is not None:
            dataset = dataset.take(check_int("arrays", "limit", limit, minimum=0))
        xs, ys = [], []
        for x, y in dataset.batch(1024).as_numpy_iterator():
            xs.append(x)
            ys.append(y)
        if not xs:
            return (np.zeros((0,) + tuple(self.element_shape), np.float32),
                    np.zeros((0,), np.int32))
        return np.concatenate(xs), np.concatenate(ys)


def without_autotune_model(dataset):
    """`dataset` with tf.data's autotuning model (its optimisation thread) turned off.

    Deleting an iterator of an autotuned dataset waits for that thread, which sleeps between
    optimisations for a period that doubles up to 60 s. Deletion wakes it, but it can wake
    before its cancellation flag is set (TensorFlow 2.21's CancellationManager runs the wake-up
    callback first and sets the flag after), see the flag unset and sleep out the rest of the
    period: `fit` then returned 20-58 s after its last step with the CPU idle, in about half
    of the runs. Without the model the iterator goes at once. Nothing here needs it: AUTOTUNE
    prefetch buffers keep their own tuner, and AUTOTUNE parallel maps run on every core.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def decode_images(images, max_value, image_size=None):
    """Turns integer intensities in [0, max_value] into float32 in [-1, 1], optionally resized.

    Args:
        images: integer tensor, HWC or NHWC.
        max_value: number. The intensity that maps to +1 (255 for uint8, 16 for sklearn digits).
        image_size: int or None. Resize to image_size x image_size with bilinear interpolation,
            antialiased when shrinking. None keeps the native size.
    """
    x = tf.cast(images, tf.float32) / float(max_value)
    native = tuple(x.shape[-3:-1])
    if image_size is not None and native != (image_size, image_size):
        # Antialiasing only changes the result when shrinking (upscaled outputs agree to 1e-5),
        # and it makes upscaling 3-10x slower, so ask for it only when it matters.
        shrinking = None in native or min(native) > image_size
        x = tf.image.resize(x, (image_size, image_size), method="bilinear", antialias=shrinking)
        # Keep the documented range exact whatever the interpolation kernel does at edges.
        x = tf.clip_by_value(x, 0.0, 1.0)
    return from_unit_range(x)


def array_examples(x, y, decode=None):
    """Returns an example dataset over in-memory arrays, with `decode` applied to the images.

    The dataset holds the raw (e.g. uint8) arrays and decodes in `map`, so the float copy lives
    only in the cache. `decode` runs on blocks of examples rather than one at a time: it is
    vectorised, and a first Fashion-MNIST epoch takes 1 s rather than 5 s this way.
    """
    dataset = tf.data.Dataset.from_tensor_slices((x, np.asarray(y, np.int32)))
    if decode is None:
        return dataset
    return (dataset.batch(1024)
            .map(lambda images, labels: (decode(images), labels),
                 num_parallel_calls=tf.data.AUTOTUNE)
            .unbatch())


def labelled_image_bundle(name, splits, max_value, image_size, options, seed, class_names):
    """The `DataBundle` of a labelled image source held in memory as integer intensities.

    Args:
        splits: (x_train, y_train, x_test, y_test) arrays, images NHWC in [0, max_value].
        max_value, image_size: as in `decode_images`.
        class_names: the names of the labels 0, 1, ...
    """
    x_train, y_train, x_test, y_test = splits

    def decode(image):
        return decode_images(image, max_value, image_size)

    return build_bundle(
        name=name,
        kind="image",
        train=array_examples(x_train, y_train, decode),
        test=array_examples(x_test, y_test, decode),
        num_train=len(x_train),
        num_test=len(x_test),
        options=options,
        seed=seed,
        num_classes=len(class_names),
        class_names=class_names,
    )


def build_bundle(*, name, kind, train=None, test=None, num_train, num_test, options, seed,
                 num_classes=None, class_names=None, indexed=None):
    """Batches a source's example datasets into a `DataBundle`.

    Args:
        name: str. Source name for the bundle.
        kind: str. "image" or "points".
        train, test: tf.data.Dataset of unbatched `(x float32, y int32)` in a fixed order.
            Leave them out when `indexed` is given: they are then read from it in index order.
        num_train, num_test: int. Number of examples in each.
        options: PipelineOptions.
        seed: int. Seed of the train shuffle.
        num_classes: int or None.
        class_names: list of str or None.
        indexed: dict or None. "train"/"test" -> `IndexedSplit`, for sources with random
            access to their examples (see `IndexedSplit`).

    Raises:
        DataError: if a split is empty or the train split is smaller than one batch.
    """
    for split, count in (("train", num_train), ("test", num_test)):
        if count <= 0:
            raise DataError(f"data source '{name}': the {split} split holds no examples; "
                            f"check the dataset files or the split settings.")
    if num_train < options.batch_size:
        raise DataError(
            f"data source '{name}': the train split has {num_train} examples, fewer than one "
            f"batch of {options.batch_size}, so a drop_remainder epoch would be empty; lower "
            f"data.batch_size or use more training examples.")
    indexed = dict(indexed or {})
    if indexed:
        train, test = indexed["train"].all_examples(), indexed["test"].all_examples()
    x_spec, y_spec = train.element_spec
    if x_spec.dtype != tf.float32 or y_spec.dtype != tf.int32:
        # A source bug, not a user error: every consumer relies on these dtypes.
        raise TypeError(f"data source '{name}' yields ({x_spec.dtype}, {y_spec.dtype}); "
                        f"it must yield (float32, int32).")
    if not x_spec.shape.is_fully_defined():
        raise DataError(f"data source '{name}': examples have no fixed shape ({x_spec.shape}); "
                        f"set data.image_size to resize them to one size.")

    labeled, num_labeled = None, None
    if options.labels_per_class is not None:
        # The labels kept are applied to the sequential examples; the indexed readers would
        # hand out every label, so such a bundle streams sequentially.
        indexed = {}
        if num_classes is None:
            raise DataError(f"data source '{name}' has no class labels, so labels_per_class "
                            "cannot pick a labelled subset; drop data.labels_per_class.")
        train, labeled, num_labeled = keep_labels(
            train, num_train, num_classes, options.labels_per_class, options.labels_seed, name)
        if options.labeled_batch_size is not None and options.labeled_batch_size > num_labeled:
            raise DataError(
                f"data source '{name}': labeled_batch_size {options.labeled_batch_size} is "
                f"more than the {num_labeled} labelled examples; lower data.labeled_batch_size.")

    def finish(dataset):
        return without_autotune_model(
            dataset.prefetch(tf.data.AUTOTUNE) if options.prefetch else dataset)

    # Sources that decode in blocks (batch-map-unbatch) lose tf.data's cardinality; state it,
    # so Keras knows how long an epoch is instead of running each iterator dry.
    train = train.apply(tf.data.experimental.assert_cardinality(int(num_train)))
    test = test.apply(tf.data.experimental.assert_cardinality(int(num_test)))
    element_shape = tuple(int(d) for d in x_spec.shape)
    cache_train = resolve_cache(options.cache, num_train, element_shape)
    train_batches, test_batches = train, test
    if cache_train:
        train_batches = train.cache()
    if resolve_cache(options.cache, num_test, element_shape):
        test_batches = test.cache()
    train_batches = train_batches.shuffle(options.shuffle_buffer, seed=seed,
                                          reshuffle_each_iteration=True)
    train_batches = finish(train_batches.batch(options.batch_size, drop_remainder=True))
    test_batches = finish(test_batches.batch(options.batch_size, drop_remainder=False))
    return DataBundle(
        name=name,
        kind=kind,
        train=train_batches,
        test=test_batches,
        element_shape=element_shape,
        num_classes=num_classes,
        num_train=int(num_train),
        num_test=int(num_test),
        batch_size=options.batch_size,
        class_names=list(class_names) if class_names is not None else None,
        # The uncached datasets: reading only the first `limit` of a cached one would leave
        # its cache partial (and tf.data warns about discarding it).
        examples={"train": train, "test": test,
                  **({"labeled": labeled} if labeled is not None else {})},
        num_labeled=num_labeled,
        labeled_batch_size=options.labeled_batch_size if labeled is not None else None,
        indexed=indexed,
        cache_train=cache_train,
    )


def labeled_subset(labels, num_classes, labels_per_class, seed):
    """Indices of the examples that keep their label: `labels_per_class` of each class.

    Each class's examples are put in an order drawn from `seed` (numpy's PCG64) and the first
    `labels_per_class` are kept, so the choice is balanced, reproducible, and a larger
    `labels_per_class` with the same seed keeps a superset of a smaller one.

    Args:
        labels: int array [n]. The train labels.
        num_classes: int. Classes 0..num_classes-1.
        labels_per_class: int >= 1.
        seed: int >= 0.

    Returns:
        int64 array of the kept indices, sorted (train order).

    Raises:
        DataError: if a class has fewer than `labels_per_class` examples.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    kept = []
    for label in range(num_classes):
        members = np.flatnonzero(labels == label)
        if len(members) < labels_per_class:
            raise DataError(
                f"labels_per_class={labels_per_class}, but class {label} has only "
                f"{len(members)} train examples; lower data.labels_per_class.")
        kept.append(members[rng.permutation(len(members))[:labels_per_class]])
    return np.sort(np.concatenate(kept)).astype(np.int64)


def keep_labels(train, num_train, num_classes, labels_per_class, seed, name="data"):
    """Marks all but a balanced labelled subset of `train` as unlabelled (label -1).

    Returns:
        (train examples with y = -1 outside the subset, the labelled examples alone,
        number of labelled examples).
    """
    labels = np.concatenate(list(train.map(lambda x, y: y).batch(8192).as_numpy_iterator()))
    if len(labels) != num_train:
        raise DataError(f"data source '{name}': read {len(labels)} train labels, expected "
                        f"{num_train}.")
    keep = np.zeros(num_train, bool)
    keep[labeled_subset(labels, num_classes, labels_per_class, seed)] = True
    keep = tf.constant(keep)

    def mark(index, example):
        x, y = example
        return x, tf.where(keep[index], y, tf.constant(UNLABELED, y.dtype))

    indexed = train.enumerate()
    marked = indexed.map(mark)
    labeled = indexed.filter(lambda index, example: keep[index]).map(
        lambda index, example: example)
    num_labeled = int(keep.numpy().sum())
    labeled = labeled.apply(tf.data.experimental.assert_cardinality(num_labeled))
    return marked, labeled, num_labeled
