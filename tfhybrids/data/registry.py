"""The table of data sources and `load_data`, which picks one by the config's `name`.

A source is a function `loader(config: dict, seed: int) -> DataBundle` that receives the whole
`data:` section (including `name` and the common keys; see `tfhybrids.data.base`). Register it
with one line in its own module under `tfhybrids/data/`, which `load_data` imports on first
use, and list its keys in `tfhybrids.data.specs.SOURCE_KEYS`:

    @register_source("dsprites")
    def load_dsprites(config, seed): ...

A loader with an entry in `SOURCE_KEYS` is handed the section as `specs.check_source` returns
it: checked, with every default filled in, so it reads `config["num_train"]` and checks
nothing itself. A source registered from outside tfhybrids, without an entry, gets the
section as written and checks it itself.

A name ending in ":" registers a family: `register_source("tfds:")` serves every
`name: tfds:<dataset>`; its loader reads the part after the colon from `config["name"]`. A
family may be narrowed by a longer prefix ending in "/" (`register_source("tfds:cycle_gan/")`);
the longest registered family that a name starts with serves it.

This module and `specs` import no TensorFlow; the source modules do, when `load_data` first
imports them.
"""

import functools
import importlib
import pkgutil

from tfhybrids.data import specs
from tfhybrids.validation import check_int

SOURCES = {}
_IMPORTED = []


def register_source(name):
    """Returns a decorator that adds a loader to `SOURCES` under `name`.

    Raises:
        ValueError: if another function is already registered under `name`.
    """

    def add(loader):
        previous = SOURCES.get(name)
        # Re-registering the same function (a module reload) is harmless; a clash is a bug.
        if previous is not None and _qualified(previous) != _qualified(loader):
            raise ValueError(f"data source '{name}' is already registered by "
                             f"{_qualified(previous)}; pick another name.")
        if name in specs.SOURCE_KEYS:
            unchecked = loader

            @functools.wraps(unchecked)
            def loader(config, seed=0):
                return unchecked(specs.check_source(name, config), seed)

        SOURCES[name] = loader
        return loader

    return add


def _qualified(function):
    return f"{function.__module__}.{function.__qualname__}"


def import_sources():
    """Imports every module of `tfhybrids.data` once, which registers the built-in sources
    (a new source module needs no edit elsewhere; the pattern of fairseq's model registry)."""
    if not _IMPORTED:
        package = importlib.import_module("tfhybrids.data")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _IMPORTED.append(True)


def load_data(config, seed=0):
    """Builds the `DataBundle` that a config's `data:` section describes.

    Args:
        config: dict. The `data:` section, e.g. `{"name": "digits", "batch_size": 64}`.
        seed: int >= 0. Seeds the train shuffle and any generated data. Defaults to 0.

    Returns:
        A `tfhybrids.data.DataBundle`.

    Raises:
        ConfigError: for an unknown source name, an unknown key or a bad value.
        DataError: if the data is missing, unprepared or too small for one batch.

    Example:
        >>> bundle = load_data({"name": "digits", "batch_size": 32}, seed=1)
        >>> bundle.element_shape, bundle.num_train
        ((8, 8, 1), 1437)
    """
    import_sources()
    name = specs.check_name(config, SOURCES)
    check_int("load_data", "seed", seed, minimum=0)
    return SOURCES[specs.resolve_source(name, SOURCES)](config, seed)
