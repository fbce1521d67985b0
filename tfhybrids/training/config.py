"""Run configs: YAML documents with the sections model, prior, data, optimizers, train.

A config names the model class and gives its constructor arguments (`model:`), the prior
(`prior:`), the data source (`data:`), one optimizer per player (`optimizers:`, each with a
learning rate or a schedule: see tfhybrids.optimizers) and the
training settings (`train:`). `load_config` reads a file, applies `--set key=value`
overrides, fills in defaults and validates every section, so that a bad document fails with
one line naming the key and what is allowed, before anything is built.
"""

import copy
import inspect
import os

import yaml

from tfhybrids.errors import ConfigError
from tfhybrids.optimizers import optimizer_spec
from tfhybrids.prior_specs import check_prior
from tfhybrids.validation import (
    check_bool,
    check_choice,
    check_int,
    check_keys,
    check_str,
)

SECTIONS = ("model", "prior", "data", "optimizers", "train")
STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")
TRAIN_DEFAULTS = {
    "epochs": 10,
    "steps_per_epoch": None,
    "seed": 0,
    "strategy": "default",
    "num_devices": None,
    "jit_compile": False,
    "steps_per_execution": 1,
    "image_every": 1,
    "keep_checkpoints": 2,
    "export": True,
    "export_name": None,
    "verbose": 1,
    "mixed_precision": None,
    "deterministic": False,
    "on_nonfinite": "stop",
}


def read_yaml(path):
    """Reads a YAML mapping from `path`, with a one-line error for a missing or broken file."""
    if not os.path.exists(path):
        raise ConfigError(f"config file not found: {path}")
    try:
        with open(path) as f:
            document = yaml.safe_load(f)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: "
                          f"{getattr(error, 'problem', None) or error}") from None
    if document is None:
        raise ConfigError(f"{path}: the config is empty; it needs at least model and data.")
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: a config is a mapping of sections ({', '.join(SECTIONS)}).")
    return document


def parse_override(text):
    """Parses 'a.b.c=value' into (['a', 'b', 'c'], value) with the value read as YAML."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected key=value, e.g. train.epochs=5.")
    key, raw = text.split("=", 1)
    path = [part for part in key.strip().split(".") if part]
    if not path:
        raise ConfigError(f"--set {text!r}: empty key.")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return path, value


def apply_overrides(document, overrides):
    """Returns a copy of `document` with each 'key.path=value' override applied."""
    document = copy.deepcopy(document)
    for text in overrides or ():
        path, value = parse_override(text)
        if path[0] not in SECTIONS:
            check_keys("config", {path[0]: None}, SECTIONS)
        node = document
        for part in path[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"--set {text!r}: '{part}' is not a section.")
            node = child
        node[path[-1]] = value
    return document


def validate_train(section):
    """Fills in the train section's defaults and validates it."""
    section = {} if section is None else section
    check_keys("train", section, TRAIN_DEFAULTS)
    train = {**TRAIN_DEFAULTS, **section}
    train["epochs"] = check_int("train", "epochs", train["epochs"], minimum=1)
    if train["steps_per_epoch"] is not None:
        check_int("train", "steps_per_epoch", train["steps_per_epoch"], minimum=1)
    check_int("train", "seed", train["seed"], minimum=0)
    check_choice("train", "strategy", train["strategy"], STRATEGIES)
    if train["num_devices"] is not None:
        check_int("train", "num_devices", train["num_devices"], minimum=1)
    check_bool("train", "jit_compile", train["jit_compile"])
    check_int("train", "steps_per_execution", train["steps_per_execution"], minimum=1)
    check_int("train", "image_every", train["image_every"], minimum=0)
    check_int("train", "keep_checkpoints", train["keep_checkpoints"], minimum=1)
    check_bool("train", "export", train["export"])
    if train["export_name"] is not None:
        check_str("train", "export_name", train["export_name"])
    check_int("train", "verbose", train["verbose"], minimum=0, maximum=2)
    if train["mixed_precision"] is not None:
        check_choice("train", "mixed_precision", train["mixed_precision"],
                     ("mixed_float16", "mixed_bfloat16", "float32", "auto"))
    check_bool("train", "deterministic", train["deterministic"])
    check_choice("train", "on_nonfinite", train["on_nonfinite"], ("stop", "skip_batch"))
    return train


def model_class(section):
    """Returns the model class named by `model.class`."""
    from tfhybrids.models import MODELS

    if not isinstance(section, dict):
        raise ConfigError("model: expected a mapping with at least 'class', e.g. {class: VAE}.")
    if "class" not in section:
        raise ConfigError(f"model: missing 'class'; one of: {', '.join(sorted(MODELS))}.")
    name = check_choice("model", "class", section["class"], sorted(MODELS))
    return MODELS[name]


def constructor_arguments(cls):
    """Names the constructor of `cls` accepts from a config (not the prior or **kwargs)."""
    parameters = inspect.signature(cls.__init__).parameters
    return [
        name for name, p in parameters.items()
        if name not in ("self", "prior") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]


def _catalog_entry(section):
    """The catalog facts (training.catalog) of the class named by `model.class`."""
    from tfhybrids.training.catalog import model_catalog

    catalog = model_catalog()
    if not isinstance(section, dict):
        raise ConfigError("model: expected a mapping with at least 'class', e.g. {class: VAE}.")
    if "class" not in section:
        raise ConfigError(f"model: missing 'class'; one of: {', '.join(sorted(catalog))}.")
    return catalog[check_choice("model", "class", section["class"], sorted(catalog))]


def validate(document):
    """Validates a whole config document and returns it with defaults filled in.

    Runs without importing TensorFlow (the model classes are known from `training.catalog`),
    so a typo is reported at once; so are the network specs, the prior's and the data
    source's keys and values (`networks.specs`, `prior_specs`, `data.specs`). What only the
    built objects can check (a model's own constraints, shapes, the data's files) is checked
    when the run is built, still before its workdir is touched.
    """
    from tfhybrids.data.registry import SOURCES
    from tfhybrids.data.specs import check_data
    from tfhybrids.networks.specs import normalize_spec

    check_keys("config", document, SECTIONS, required=("model", "data"))
    config = copy.deepcopy(document)
    info = _catalog_entry(config["model"])
    check_keys(f"model ({info.name})", config["model"], ["class", *info.arguments])
    for key in ("latent_dim", "seed"):
        if config["model"].get(key) is not None:
            check_int("model", key, config["model"][key], minimum=1 if key == "latent_dim" else 0)
    if info.generic_networks:
        for name in info.network_names:
            if config["model"].get(name) is not None:
                normalize_spec(config["model"][name], where=f"model.{name}")
    # Checked again (the same spec) when the data loads. The section is kept as written, as
    # the prior is: its defaults depend on the source, which a caller may still change.
    check_data(config["data"], sources=SOURCES)
    if config.get("prior") is not None and not isinstance(config["prior"], dict):
        raise ConfigError("prior: expected a mapping such as {name: gaussian}.")
    if config.get("prior") is not None and config["model"].get("latent_dim") is not None:
        # Checked again when the prior is built; here so a typo costs no TensorFlow import.
        check_prior(config["prior"], config["model"]["latent_dim"])
    optimizers = config.get("optimizers") or {}
    if not isinstance(optimizers, dict):
        raise ConfigError(f"optimizers: expected a mapping with keys {list(info.optimizer_names)}.")
    check_keys(f"optimizers ({info.name})", optimizers, info.optimizer_names)
    config["optimizers"] = {p: optimizer_spec(f"optimizers.{p}", s) for p, s in optimizers.items()}
    config["train"] = validate_train(config.get("train"))
    return config


def load_config(path, overrides=()):
    """Reads, overrides and validates the config at `path`."""
    return validate(apply_overrides(read_yaml(path), overrides))
