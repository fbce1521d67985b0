"""The `data:` section of a config, validated without TensorFlow.

`check_data(config)` resolves the source named by `data.name`, checks every key and value of
the section against that source's entry in `SOURCE_KEYS` (plus the `COMMON_KEYS` every
source shares) and returns the section with the defaults filled in. It is the only place the
data keys are listed: config validation calls it before TensorFlow is imported, so a typo in
`data:` costs no import, and the loaders of `tfhybrids.data` receive its result (see
`registry.register_source`) and check nothing again. What each key means is documented in
the module of its source (`tfhybrids.data.digits`, ...) and, for the common keys, in
`tfhybrids.data.base`.

`check_data_available(config)` looks on the file system for data that is certainly missing
(the Fashion-MNIST files, a TFDS dataset never prepared, a folder that does not exist), also
without TensorFlow, so the command line can say so before it imports it. It only reports what
it is sure of; everything else is found when the source loads.
"""

import os
import sys

from tfhybrids.errors import ConfigError, DataError
from tfhybrids.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_keys,
    check_str,
)

_WHERE = "data"
FASHION_MNIST_PATH = "/usr/share/datasets/fashion-mnist"
# The IDX file stems of Fashion-MNIST (MNIST's format), by part.
FASHION_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# fashion_mnist_style cuts Fashion-MNIST's train split in two halves: X from the first, Y
# from the second.
STYLE_HALF = 30000
TOY2D_DATASETS = ("ring", "grid", "swiss_roll")


# Each key is (default, check); a check takes (key, value) and returns the value, normalised,
# or raises ConfigError naming data.<key>.
def _integer(minimum=None, maximum=None, optional=False):
    def check(key, value):
        if optional and value is None:
            return None
        return check_int(_WHERE, key, value, minimum=minimum, maximum=maximum)

    return check


def _number(minimum, exclusive_minimum=False, maximum=None):
    def check(key, value):
        return check_float(_WHERE, key, value, minimum=minimum, maximum=maximum,
                           exclusive_minimum=exclusive_minimum)

    return check


def _text(optional=False):
    def check(key, value):
        return None if optional and value is None else check_str(_WHERE, key, value)

    return check


def _one_of(*choices):
    def check(key, value):
        return check_choice(_WHERE, key, value, choices)

    return check


def _flag(key, value):
    return check_bool(_WHERE, key, value)


def _cache(key, value):
    if value == "auto" or isinstance(value, bool):
        return value
    raise ConfigError(f"{_WHERE}.{key}: expected auto, true or false, got "
                      f"{type(value).__name__} ({value!r}).")


class Required:
    """The default of a key that has none: the source needs it, and the message says what."""

    def __init__(self, meaning):
        self.meaning = meaning


COMMON_KEYS = {
    "batch_size": (64, _integer(1)),
    "shuffle_buffer": (10000, _integer(1)),
    "cache": ("auto", _cache),
    "prefetch": (True, _flag),
    "labels_per_class": (None, _integer(1, optional=True)),
    "labels_seed": (0, _integer(0)),
    "labeled_batch_size": (None, _integer(1, optional=True)),
}


def _counts(num_train, num_test):
    return {"num_train": (num_train, _integer(1)), "num_test": (num_test, _integer(1))}


def _domain_folders():
    folders = {f"domain_{d}": (Required(f"the folder of domain {d.upper()}'s images"), _text())
               for d in ("x", "y")}
    tests = {f"domain_{d}_test": (None, _text(optional=True)) for d in ("x", "y")}
    return {**folders, **tests}


# Source name (a family ends in ":" or "/", see tfhybrids.data.registry) -> its own keys.
SOURCE_KEYS = {
    "digits": {"image_size": (8, _integer(8, 64))},
    "dsprites": _counts(20000, 2000),
    "shapes64": _counts(20000, 2000),
    "four_points": _counts(10000, 1000),
    "fashion_mnist": {
        "path": (FASHION_MNIST_PATH, _text()),
        "data_dir": (None, _text(optional=True)),
        "image_size": (28, _integer(8, 128)),
        "train_limit": (None, _integer(1, optional=True)),
        "test_limit": (None, _integer(1, optional=True)),
    },
    "fashion_mnist_style": {
        "path": (FASHION_MNIST_PATH, _text()),
        "train_limit": (STYLE_HALF, _integer(1, STYLE_HALF)),
        "test_limit": (None, _integer(1, optional=True)),
        "image_size": (28, _integer(8, 128)),
    },
    "image_folders": {
        **_domain_folders(),
        "test_fraction": (0.1, _number(0.0, exclusive_minimum=True, maximum=0.5)),
        "image_size": (64, _integer(8, 512)),
        "channels": (3, _one_of(1, 3)),
    },
    "tfds:": {
        "data_dir": (None, _text(optional=True)),
        "train_split": ("train", _text()),
        "test_split": ("test", _text()),
        "image_key": ("image", _text()),
        "label_key": ("label", _text(optional=True)),
        "image_size": (None, _integer(4, 1024, optional=True)),
    },
    "tfds:cycle_gan/": {
        "data_dir": (None, _text(optional=True)),
        "image_size": (64, _integer(8, 512)),
    },
    # toy2d's keys depend on data.dataset: these plus TOY2D_DATASET_KEYS[dataset].
    "toy2d": {"dataset": ("ring", _one_of(*TOY2D_DATASETS)), **_counts(10000, 2500)},
}
TOY2D_DATASET_KEYS = {
    "ring": {
        "radius": (1.0, _number(0.0, exclusive_minimum=True)),
        "std": (0.01, _number(0.0, exclusive_minimum=True)),
        "num_modes": (8, _integer(1)),
    },
    "grid": {
        "std": (0.05, _number(0.0, exclusive_minimum=True)),
        "grid_size": (5, _integer(1)),
        "spacing": (2.0, _number(0.0, exclusive_minimum=True)),
    },
    "swiss_roll": {
        "noise": (0.05, _number(0.0)),
        "num_segments": (10, _integer(1)),
    },
}


def is_family(name):
    """Whether a registered source name serves a family of names (`tfds:`, `tfds:cycle_gan/`)."""
    return name.endswith((":", "/"))


def _display_names(sources):
    return sorted(f"{name}<name>" if is_family(name) else name for name in sources)


def check_name(config, sources=SOURCE_KEYS):
    """Returns `data.name`, raising ConfigError unless `config` is a mapping that has one."""
    if not isinstance(config, dict):
        raise ConfigError(f"{_WHERE}: expected a mapping of keys to values, got "
                          f"{type(config).__name__} ({config!r}).")
    if "name" not in config:
        raise ConfigError(f"{_WHERE}: missing required key 'name'; set data.name to one of: "
                          f"{', '.join(_display_names(sources))}.")
    return check_str(_WHERE, "name", config["name"])


def resolve_source(name, sources):
    """The entry of `sources` (registered names) that serves `data.name` = `name`.

    The name itself, or the longest family it starts with (see tfhybrids.data.registry).

    Raises:
        ConfigError: for an unknown name (listing the sources) or a family name with
            nothing after it.
    """
    families = [f for f in sources if is_family(f) and name.startswith(f)]
    if not families:
        return check_choice(_WHERE, "name", name, _display_names(sources))
    family = max(families, key=len)
    if name == family:
        raise ConfigError(f"{_WHERE}.name: '{name}' needs a dataset name after the colon, "
                          f"e.g. '{family}mnist'.")
    return family


def check_source(source, config):
    """Checks `config` against the keys of the registered source `source`.

    Returns:
        dict. `name` and every key of the source (the common ones included), defaults
        filled in. A source without an entry in `SOURCE_KEYS` (one registered from outside
        tfhybrids) checks its own keys: its section is returned as it is.
    """
    if source not in SOURCE_KEYS:
        return dict(config)
    keys, where = {**COMMON_KEYS, **SOURCE_KEYS[source]}, _WHERE
    if source == "toy2d":
        dataset = check_choice(_WHERE, "dataset", config.get("dataset", "ring"), TOY2D_DATASETS)
        keys.update(TOY2D_DATASET_KEYS[dataset])
        # Name the chosen set in the message: 'radius' is fine for a ring, unknown for a grid.
        where = f"{_WHERE} (toy2d dataset '{dataset}')"
    check_keys(where, config, ["name", *keys], required=("name",))
    section = {"name": config["name"]}
    for key, (default, check) in keys.items():
        value = config.get(key, default)
        if isinstance(value, Required):
            raise ConfigError(f"{_WHERE}: {source} needs data.{key}, {value.meaning}.")
        section[key] = check(key, value)
    if section["labeled_batch_size"] is not None and section["labels_per_class"] is None:
        raise ConfigError(
            f"{_WHERE}.labeled_batch_size: a separate labelled batch needs a labelled subset; "
            f"set {_WHERE}.labels_per_class too (e.g. 10 for 100 labels), or drop "
            "labeled_batch_size.")
    return section


def check_data(config, sources=()):
    """Validates a `data:` section and fills in its defaults, without importing TensorFlow.

    Args:
        config: dict. The section, e.g. `{"name": "digits", "batch_size": 32}`.
        sources: iterable of str. Source names registered beyond the built-in ones
            (`tfhybrids.data.SOURCES`), which are accepted as names.

    Returns:
        dict. The section with every key of its source (see `check_source`).

    Raises:
        ConfigError: for a missing or unknown name, an unknown key (listing the allowed
            ones) or a bad value, naming the key as `data.<key>`.
    """
    names = {*SOURCE_KEYS, *sources}
    name = check_name(config, names)
    return check_source(resolve_source(name, names), config)


# ----------------------------------------------------------------- data present on disk
def fashion_mnist_files(path):
    """part -> the IDX file of Fashion-MNIST in `path` (gzipped if present), or None."""
    found = {}
    for part, stem in FASHION_MNIST_FILES.items():
        candidates = (os.path.join(path, name) for name in (f"{stem}.gz", stem))
        found[part] = next((full for full in candidates if os.path.isfile(full)), None)
    return found


def fashion_mnist_missing_error(path, files, data_dir, tfds_fallback=True):
    """The DataError for Fashion-MNIST files missing from `path` (`files` as found there)."""
    missing = [FASHION_MNIST_FILES[part] + ".gz" for part, found in files.items() if not found]
    detail = "" if len(missing) == len(files) else f" (missing {', '.join(missing)})"
    where = f"{path}{detail}"
    if tfds_fallback:
        where += f" or a prepared TFDS copy in {tfds_data_dir_text(data_dir)}"
    return DataError(f"Fashion-MNIST not found in {where}; install it with `apt-get install "
                     "dataset-fashion-mnist` (or set data.path).")


def tfds_data_dir_text(data_dir):
    """The data dir TFDS will look in, for messages."""
    if data_dir is not None:
        return data_dir
    return f"the default TFDS data dir ({_default_tfds_data_dir()})"


def tfds_not_prepared_error(dataset_name, data_dir):
    """The DataError for a TFDS dataset that is not prepared, with the command preparing it."""
    build = f"tfds build {dataset_name}" + (f" --data_dir {data_dir}" if data_dir else "")
    return DataError(
        f"TFDS dataset '{dataset_name}' is not prepared in {tfds_data_dir_text(data_dir)}, and "
        f"tfhybrids never downloads; prepare it once with `{build}`.")


def _default_tfds_data_dir():
    # TFDS's own rule (tensorflow_datasets.core.constants), read without importing it.
    return os.environ.get("TFDS_DATA_DIR",
                          os.path.join(os.path.expanduser("~"), "tensorflow_datasets"))


def tfds_certainly_unprepared(dataset_name, data_dir):
    """Whether the file system alone shows that TFDS has no copy of `dataset_name`.

    TFDS keeps a prepared dataset under `<data_dir>/<builder name>/`; with no such folder
    there is nothing to read. Only local data dirs are looked at, and only the default one
    when `data_dir` is null and TFDS is not imported yet (it may have registered more). A
    namespaced or versioned name (with a ':') is left to TFDS. False means "look with TFDS".
    """
    if ":" in dataset_name:
        return False
    if data_dir is None:
        if "tensorflow_datasets" in sys.modules:
            return False
        data_dir = _default_tfds_data_dir()
    if "://" in data_dir:
        return False
    builder_name = dataset_name.split("/", 1)[0]
    return not os.path.isdir(os.path.join(os.path.expanduser(data_dir), builder_name))


def missing_folder_error(folder, key):
    """The DataError for `data.<key>` naming a folder that does not exist."""
    return DataError(f"data.{key}: folder {folder!r} does not exist; set data.{key} to a "
                     "folder of images of that domain.")


def check_data_available(config, sources=()):
    """Raises DataError for data that a `data:` section names but that is certainly not on
    disk, judged from the file system alone (no TensorFlow, no TFDS).

    Finds: Fashion-MNIST files missing with no TFDS copy, a `tfds:` dataset never prepared
    in its data dir, an image folder that does not exist. The loaders find the rest.

    Args:
        config: dict. The section, as `check_data` takes it (and checks it first).
        sources: iterable of str. As for `check_data`.
    """
    section = check_data(config, sources)
    name = section["name"]
    if name in ("fashion_mnist", "fashion_mnist_style"):
        files = fashion_mnist_files(section["path"])
        if all(files.values()):
            return
        if name == "fashion_mnist_style":
            raise fashion_mnist_missing_error(section["path"], files, None, tfds_fallback=False)
        if tfds_certainly_unprepared("fashion_mnist", section["data_dir"]):
            raise fashion_mnist_missing_error(section["path"], files, section["data_dir"])
    elif name.startswith("tfds:") and "data_dir" in section:
        dataset_name = name.partition(":")[2]
        if tfds_certainly_unprepared(dataset_name, section["data_dir"]):
            raise tfds_not_prepared_error(dataset_name, section["data_dir"])
    elif name == "image_folders":
        for key in ("domain_x", "domain_y", "domain_x_test", "domain_y_test"):
            if section[key] is not None and not os.path.isdir(section[key]):
                raise missing_folder_error(section[key], key)
