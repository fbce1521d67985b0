"""The shared harness every model runs through (see test_models.py).

A *case* is a small config (model section, prior, data shape) for one model; the harness
builds it the way `tfhybrids train` does and checks the contract of STYLE.md.
"""

import keras
import numpy as np
import tensorflow as tf

from tfhybrids.priors import make_prior
from tfhybrids.training.config import model_class, validate


def make_model(case, seed=0, strategy=None):
    """Builds and compiles the model of `case` (under `strategy` when given)."""
    config = validate({
        "model": case["model"],
        "data": {"name": "synthetic"},
        "prior": case.get("prior"),
        "optimizers": case.get("optimizers", {}),
    })
    cls = model_class(config["model"])
    latent_dim = config["model"].get("latent_dim")
    prior = None
    if latent_dim is not None:
        prior = make_prior(config["prior"] or {"name": "gaussian"}, latent_dim=latent_dim)
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        model = cls.from_settings(config["model"], prior, case["shape"],
                                  num_classes=case.get("num_classes", 10), seed=seed)
        model.compile(**config["optimizers"])
    return model


def make_batch(case, batch_size=8, seed=0):
    """A deterministic batch (x, y) of the case's data shape, x in [-1, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(batch_size, *case["shape"])).astype("float32")
    if len(case["shape"]) == 3:
        # Smooth images are closer to real data than white noise and give stable losses.
        x = np.tanh(2.0 * x.cumsum(axis=1) / np.sqrt(case["shape"][0])).astype("float32")
    y = rng.integers(0, case.get("num_classes", 10), size=(batch_size,)).astype("int32")
    return x, y


def make_dataset(case, batch_size=8, num_batches=2, seed=0):
    x, y = make_batch(case, batch_size * num_batches, seed)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size, drop_remainder=True)


def snapshot(variables):
    return [np.array(v.numpy(), copy=True) for v in variables]


def changed(before, variables):
    return [not np.allclose(b, v.numpy()) for b, v in zip(before, variables)]
