"""Feature networks for Fréchet distances: which network embeds the images decides the score's name.

Two kinds, both taking images float32 NHWC in [-1, 1] (the bundles' range) and returning
float64 features [n, d]:

- `DomainClassifierFeatures`: the penultimate layer ("features", 128 units) of a small conv
  classifier that `train_domain_classifier` trains on the dataset itself (digits or
  Fashion-MNIST; `scripts/train_domain_classifier.py`, and `tfhybrids evaluate` on first use
  for digits). Its scores are called `FD-<dataset>-classifier`, never "FID": they are only
  comparable with other scores from the same trained classifier file.
- `InceptionFeatures`: the 2048-d average-pool features of keras.applications.InceptionV3 with
  ImageNet weights read from a local file (tfhybrids never downloads): the standard FID, named
  "FID". Keras' ImageNet InceptionV3 is not bit-identical to the 2015 TF graph of the reference
  FID code (TTUR, pytorch-fid), so compare our FIDs with each other, not with published ones.

Where the classifier files live (`default_feature_dir`): `$TFHYBRIDS_FEATURE_DIR` if set, else
`~/.cache/tfhybrids/feature_networks/`. Each classifier is `<dataset>_classifier.keras` plus
`<dataset>_classifier.json` (its test accuracy, seed, epochs, input size).

    net = load_feature_network("classifier", dataset="fashion_mnist")
    net.score_name                      # "FD-fashion_mnist-classifier"
    features = net.features(images)     # float64 [n, 128]
"""

import json
import os

import numpy as np

from tfhybrids.errors import ConfigError, DataError

FEATURE_DIR_ENV = "TFHYBRIDS_FEATURE_DIR"
FEATURE_LAYER = "features"
# Datasets the training script knows, and the image size each classifier is trained at.
CLASSIFIER_DATASETS = {"digits": 28, "fashion_mnist": 28}
TRAIN_SCRIPT = "scripts/train_domain_classifier.py"
DEFAULT_EPOCHS = {"fashion_mnist": 6, "digits": 40}
# Classifiers `tfhybrids evaluate` trains itself when they are missing: digits' takes seconds on
# 2 CPU cores (1,437 images); Fashion-MNIST's takes minutes and is left to TRAIN_SCRIPT (or to
# `tfhybrids bench`, which trains any missing one: minutes against its tens of minutes).
FIRST_USE_DATASETS = ("digits",)
INCEPTION_SIZE = 299
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"


def default_feature_dir():
    """Where domain classifiers are saved and looked for (see the module docstring)."""
    return os.environ.get(FEATURE_DIR_ENV) or os.path.join(
        os.path.expanduser("~"), ".cache", "tfhybrids", "feature_networks")


def classifier_paths(dataset, feature_dir=None):
    """Returns (model path, metadata path) of the domain classifier of `dataset`."""
    directory = feature_dir or default_feature_dir()
    stem = os.path.join(directory, f"{dataset}_classifier")
    return f"{stem}.keras", f"{stem}.json"


def build_domain_classifier(input_shape, num_classes, filters=(32, 64, 128), feature_units=128):
    """The small conv classifier behind `FD-<dataset>-classifier`.

    Three stride-2 3x3 convolutions (ReLU), flattened, a dense layer named "features" (the
    embedding used for Fréchet distances), dropout and a logits layer. About 360k weights for
    28x28 inputs: a few minutes on 2 CPU cores for Fashion-MNIST.

    Args:
        input_shape: tuple. (height, width, channels) of images in [-1, 1].
        num_classes: int. Number of labels.
        filters: tuple of int. Filters of each conv layer. Defaults to (32, 64, 128).
        feature_units: int. Size of the feature layer. Defaults to 128.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = inputs
    for f in filters:
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    features = layers.Dense(feature_units, activation="relu", name=FEATURE_LAYER)(x)
    x = layers.Dropout(0.3)(features)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="domain_classifier")


def train_domain_classifier(dataset, feature_dir=None, epochs=None, seed=0, batch_size=128,
                            train_limit=None, deterministic=True, verbose=2, log=print):
    """Trains the domain classifier of `dataset` and saves it with its metadata.

    Writes `classifier_paths(dataset, feature_dir)`: the `.keras` model (atomically) and a
    `.json` with its test accuracy, seed, epochs and training time.

    Args:
        dataset: str. One of `CLASSIFIER_DATASETS`.
        feature_dir: str or None. Defaults to `default_feature_dir()`.
        epochs: int or None. Defaults to `DEFAULT_EPOCHS[dataset]`.
        seed: int. Fixes the initial weights and the batch order. Defaults to 0.
        batch_size: int. Defaults to 128.
        train_limit: int or None. Use only the first N training images.
        deterministic: bool. Turn on TensorFlow's op determinism (for the whole process,
            which is why the in-process first use leaves it off). Defaults to True.
        verbose: int. Keras fit verbosity. Defaults to 2.
        log: callable for the closing line.

    Returns:
        dict: the metadata written.
    """
    import time

    import keras
    import tensorflow as tf

    from tfhybrids.data import load_data
    from tfhybrids.training.checkpoints import write_json_atomic

    if dataset not in CLASSIFIER_DATASETS:
        raise ConfigError(f"domain classifier: dataset must be one of "
                          f"{', '.join(sorted(CLASSIFIER_DATASETS))}, got {dataset!r}.")
    epochs = epochs or DEFAULT_EPOCHS[dataset]
    data_config = {"name": dataset, "image_size": CLASSIFIER_DATASETS[dataset]}
    if train_limit:
        data_config["train_limit"] = train_limit
    bundle = load_data(data_config, seed=seed)
    x_train, y_train = bundle.arrays("train")
    x_test, y_test = bundle.arrays("test")

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    model = build_domain_classifier(bundle.element_shape, bundle.num_classes)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.time()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, shuffle=True,
              verbose=verbose)
    seconds = time.time() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)

    model_path, meta_path = classifier_paths(dataset, feature_dir)
    os.makedirs(os.path.dirname(model_path), exist_ok=True)
    tmp = f"{model_path}.tmp-{os.getpid()}.keras"
    model.save(tmp)
    os.replace(tmp, model_path)
    meta = {
        "dataset": dataset,
        "test_accuracy": round(float(accuracy), 4),
        "num_train": int(len(x_train)),
        "num_test": int(len(x_test)),
        "input_shape": list(bundle.element_shape),
        "epochs": epochs,
        "seed": seed,
        "batch_size": batch_size,
        "train_seconds": round(seconds, 1),
        "parameters": int(model.count_params()),
        "feature_layer": FEATURE_LAYER,
        "op_determinism": deterministic,
        "trained_by": "tfhybrids.evaluation.feature_networks.train_domain_classifier",
    }
    write_json_atomic(meta_path, meta)
    log(f"{dataset} domain classifier: test accuracy {accuracy:.4f} after {epochs} epochs "
        f"({seconds:.0f} s); saved {model_path}")
    return meta


def _resize_batch(images, size, channels):
    """Resizes [n, h, w, c] images in [-1, 1] to size x size with `channels` channels."""
    import tensorflow as tf

    x = tf.convert_to_tensor(images, tf.float32)
    if tuple(x.shape[1:3]) != (size, size):
        x = tf.clip_by_value(tf.image.resize(x, (size, size), method="bilinear"), -1.0, 1.0)
    if x.shape[-1] != channels:
        if x.shape[-1] == 1:
            x = tf.repeat(x, channels, axis=-1)
        elif channels == 1:
            x = tf.reduce_mean(x, axis=-1, keepdims=True)
        else:
            raise DataError(f"cannot feed {x.shape[-1]}-channel images to a feature network "
                            f"that takes {channels} channels.")
    return x


class FeatureNetwork:
    """Base class: `features(images)` gives float64 [n, d]; `score_name` names the score.

    Attributes:
        name: str. The network, e.g. "fashion_mnist-classifier" or "inception_v3".
        score_name: str. What a Fréchet distance in this feature space is called.
        info: dict. What to record next to a score (network, file, accuracy, ...).
    """

    name = "features"
    score_name = "FD"
    info = {}

    def _embed(self, batch):
        raise NotImplementedError

    def features(self, images, batch_size=250):
        """Embeds images float32 [n, h, w, c] in [-1, 1]; returns float64 [n, d]."""
        images = np.asarray(images, np.float32)
        if images.ndim != 4:
            raise DataError(f"{self.name}: features need images [n, height, width, channels], "
                            f"got shape {images.shape}.")
        chunks = [np.asarray(self._embed(images[start:start + batch_size]), np.float64)
                  for start in range(0, len(images), batch_size)]
        if not chunks:
            raise DataError(f"{self.name}: no images to embed.")
        return np.concatenate(chunks)


class DomainClassifierFeatures(FeatureNetwork):
    """The "features" layer of a domain classifier trained by scripts/train_domain_classifier.py.

    Args:
        dataset: str. "digits" or "fashion_mnist".
        feature_dir: str or None. Where the classifier was saved. Defaults to
            `default_feature_dir()`.

    Raises:
        DataError: when the classifier file is missing, naming the script that makes it.
    """

    def __init__(self, dataset, feature_dir=None):
        import keras

        model_path, meta_path = classifier_paths(dataset, feature_dir)
        if not os.path.exists(model_path):
            known = ", ".join(sorted(CLASSIFIER_DATASETS))
            how = (f"train it once with `python {TRAIN_SCRIPT} --dataset {dataset}`"
                   if dataset in CLASSIFIER_DATASETS else
                   f"the training script knows only {known}; use the InceptionV3 features")
            raise DataError(
                f"no domain classifier for '{dataset}' at {model_path} (the feature network of "
                f"FD-{dataset}-classifier); {how} (set ${FEATURE_DIR_ENV} or --feature-dir to "
                f"look elsewhere).")
        classifier = keras.saving.load_model(model_path, compile=False)
        self.model = keras.Model(classifier.inputs, classifier.get_layer(FEATURE_LAYER).output)
        self.input_size = int(classifier.input_shape[1])
        self.channels = int(classifier.input_shape[-1])
        self.dataset = dataset
        self.name = f"{dataset}-classifier"
        self.score_name = f"FD-{dataset}-classifier"
        meta = {}
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                meta = json.load(f)
        self.info = {"network": self.name, "path": model_path,
                     "test_accuracy": meta.get("test_accuracy")}

    def _embed(self, batch):
        return self.model(_resize_batch(batch, self.input_size, self.channels), training=False)


class InceptionFeatures(FeatureNetwork):
    """InceptionV3 average-pool features (2048-d) from a local ImageNet weights file: FID.

    Grey images are repeated to 3 channels and resized (bilinear) to 299x299; [-1, 1] is
    already the range keras' InceptionV3 preprocessing produces.

    Args:
        weights_path: str. The no-top ImageNet weights,
            inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5 (keras.applications'
            file), or a full-model weights file.

    Raises:
        DataError: when no weights file is given or it does not exist (never downloads).
    """

    name = "inception_v3"
    score_name = "FID"

    def __init__(self, weights_path):
        if not weights_path or not os.path.exists(weights_path):
            raise DataError(
                f"FID needs InceptionV3 ImageNet weights in a local file, and "
                f"{'none was given' if not weights_path else weights_path + ' does not exist'}; "
                f"tfhybrids never downloads: copy {INCEPTION_WEIGHTS_FILE} onto this machine "
                f"and pass --inception-weights PATH (or use the domain classifier features).")
        import keras

        self.model = keras.applications.InceptionV3(
            include_top=False, weights=weights_path, pooling="avg",
            input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))
        self.info = {"network": self.name, "path": weights_path}

    def _embed(self, batch):
        return self.model(_resize_batch(batch, INCEPTION_SIZE, 3), training=False)


FEATURE_KINDS = ("classifier", "inception")


def load_feature_network(kind="classifier", dataset=None, feature_dir=None,
                         inception_weights=None):
    """Builds the feature network of a Fréchet score.

    Args:
        kind: str. "classifier" (the dataset's domain classifier) or "inception" (FID).
        dataset: str or None. The data source name, for "classifier".
        feature_dir: str or None. Directory of the domain classifiers.
        inception_weights: str or None. Local InceptionV3 weights file, for "inception".

    Raises:
        ConfigError: for an unknown kind. DataError: when the network's file is missing.
    """
    if kind == "classifier":
        if not dataset:
            raise ConfigError("a classifier feature network needs the dataset name.")
        return DomainClassifierFeatures(dataset, feature_dir)
    if kind == "inception":
        return InceptionFeatures(inception_weights)
    raise ConfigError(f"feature network: unknown kind {kind!r}; choose one of "
                      f"{', '.join(FEATURE_KINDS)}.")
