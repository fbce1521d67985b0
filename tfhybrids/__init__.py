"""tfhybrids: VAE-GAN hybrid generative models for TensorFlow 2 / Keras 3.

Each model (VAE, AAE and its family, GAN, DCGAN, VAEGAN, AVAE, BiGAN, AlphaGAN, VEEGAN, AVB,
CycleGAN) is a `keras.Model` subclass in `tfhybrids.models`, faithful to its paper, trained
with `model.fit` and exported as a SavedModel for TensorFlow Serving. From Python, with a
config file of the repository (or your own):

    import tfhybrids, tensorflow as tf
    run = tfhybrids.build("configs/aae_digits.yaml")          # model, data and config
    mine = tf.data.Dataset.from_tensor_slices(my_images).batch(64)   # [-1, 1], run.data.element_shape
    run.model.fit(mine, epochs=5)                             # or run.data.train
    run.model.save("aae.keras"); tfhybrids.export.export_model(run.model, "models", "aae")

`tfhybrids.build` takes a path or a config dict (and `--set`-style overrides) and returns a
`BuiltRun` (model, data, config); `tfhybrids.models` holds the classes (`help(
tfhybrids.models.AAE)`), `tfhybrids.data.load_data` the data sources, `tfhybrids.priors.
make_prior` the priors, `tfhybrids.export.export_model` the export and `tfhybrids.training.
runner.train` the whole resumable run of the `tfhybrids train` command. Importing this package
does not import TensorFlow; each of those does on first use.
"""

import collections
import os

__all__ = ["BuiltRun", "build", "data", "evaluation", "export", "losses", "models",
           "networks", "priors", "serving", "training"]

BuiltRun = collections.namedtuple("BuiltRun", ["model", "data", "config"])
BuiltRun.__doc__ = """What `build` returns.

Attributes:
    model: the compiled tfhybrids model (optimizers from the config's `optimizers:`).
    data: tfhybrids.data.DataBundle. The config's data: `train` and `test` tf.data datasets
        of (images in [-1, 1], labels) batches, `element_shape`, `arrays(split)`.
    config: dict. The validated config, defaults filled in.
"""


def build(config, overrides=()):
    """Builds the model and the data a config describes, ready for `model.fit`.

    Args:
        config: str, os.PathLike or dict. A YAML config file (e.g. "configs/aae_digits.yaml")
            or the same document as a dict.
        overrides: iterable of str. "key.path=value" overrides, as `tfhybrids train --set`
            takes (e.g. ["model.latent_dim=8"]).

    Returns:
        BuiltRun(model, data, config).

    Raises:
        ConfigError: for a bad config, with the key path and the fix (before TensorFlow is
            imported, for everything that can be checked without it).
        DataError: when the data is missing.

    Example:
        >>> run = build("configs/tiny/aae_digits.yaml")
        >>> run.model.fit(run.data.train, epochs=1, verbose=0)   # doctest: +SKIP
    """
    from tfhybrids.training.config import apply_overrides, load_config, validate

    if isinstance(config, (str, os.PathLike)):
        config = load_config(os.fspath(config), overrides)
    else:
        config = validate(apply_overrides(config, overrides))
    from tfhybrids.training.runner import build_run

    bundle, model, _ = build_run(config)
    return BuiltRun(model=model, data=bundle, config=config)


def __getattr__(name):
    # Subpackages on first use: `tfhybrids.export.export_model(...)` after `import tfhybrids`.
    if name in __all__:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'tfhybrids' has no attribute {name!r}")
