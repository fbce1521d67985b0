"""Reading back a run directory written by `tfhybrids train`."""

import os

import keras
import yaml

from tfhybrids.errors import ConfigError


def load_run_config(run_dir):
    """Returns the resolved config saved in `run_dir`."""
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.exists(path):
        raise ConfigError(f"{run_dir} is not a tfhybrids run directory (no config.yaml); "
                          "pass the --workdir of a `tfhybrids train` run.")
    with open(path) as f:
        return yaml.safe_load(f)


def load_trained_model(run_dir):
    """Loads `run_dir/model.keras` and returns (model, config)."""
    import tfhybrids.models  # noqa: F401 - registers the model classes with Keras

    config = load_run_config(run_dir)
    path = os.path.join(run_dir, "model.keras")
    if not os.path.exists(path):
        raise ConfigError(f"{run_dir} has no model.keras yet: the run has not finished; "
                          "re-run `tfhybrids train` with this --workdir to complete it.")
    return keras.saving.load_model(path), config
