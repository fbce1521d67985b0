"""The table of data sources and `load_data`, which picks one by the config's `name`.

A source is a function `loader(config: dict, seed: int) -> DataBundle` that receives the whole
`data:` section (including `name` and the common keys; see `tfhybrids.data.base`). Register it
with one line in its own module under `tfhybrids/data/`, which the package imports on start:

    @register_source("dsprites")
    def load_dsprites(config, seed): ...

A name ending in ":" registers a family: `register_source("tfds:")` serves every
`name: tfds:<dataset>`; its loader reads the part after the colon from `config["name"]`. A
family may be narrowed by a longer prefix ending in "/" (`register_source("tfds:cycle_gan/")`);
the longest registered family that a name starts with serves it.
"""

from tfhybrids.errors import ConfigError
from tfhybrids.validation import check_choice, check_int, check_str

SOURCES = {}


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
        SOURCES[name] = loader
        return loader

    return add


def _qualified(function):
    return f"{function.__module__}.{function.__qualname__}"


def _is_family(name):
    return name.endswith((":", "/"))


def _display_names():
    return sorted(f"{name}<name>" if _is_family(name) else name for name in SOURCES)


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
    if not isinstance(config, dict):
        raise ConfigError(f"data: expected a mapping of keys to values, got "
                          f"{type(config).__name__} ({config!r}).")
    if "name" not in config:
        raise ConfigError("data: missing required key 'name'; set data.name to one of: "
                          f"{', '.join(_display_names())}.")
    name = check_str("data", "name", config["name"])
    check_int("load_data", "seed", seed, minimum=0)
    families = [f for f in SOURCES if _is_family(f) and name.startswith(f)]
    family = max(families, key=len) if families else None
    rest = name[len(family):] if family else ""
    if family is None:
        check_choice("data", "name", name, _display_names())  # raises, listing the sources
        return SOURCES[name](config, seed)
    if not rest:
        raise ConfigError(f"data.name: '{name}' needs a dataset name after the colon, "
                          f"e.g. '{family}mnist'.")
    return SOURCES[family](config, seed)
