"""Learning-rate schedules from configs: the rates of each schedule, built from YAML, saved
in .keras, logged to TensorBoard per optimizer and resumed at the uninterrupted run's rate."""

import glob
import json
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import REPO
from tfhybrids import cli
from tfhybrids.schedules import LinearDecay, WarmUp, current_learning_rate, make_learning_rate
from tfhybrids.training.checkpoints import CheckpointStore
from tfhybrids.training.config import load_config
from tfhybrids.training.runner import build_model

TINY_GAN = os.path.join(REPO, "configs", "tiny", "gan_toy2d_ring.yaml")
COSINE_1 = [1.0, 0.5 * (1 + math.cos(math.pi / 4)), 0.5, 0.5 * (1 + math.cos(3 * math.pi / 4))]


@pytest.mark.parametrize("spec, expected", [
    # values[i] up to and including step boundaries[i] (Keras' PiecewiseConstantDecay).
    ({"name": "piecewise", "boundaries": [2, 4], "values": [1.0, 0.5, 0.25]},
     [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25]),
    # CycleGAN's: constant, then a straight line to zero.
    ({"name": "linear", "initial_learning_rate": 1.0, "decay_steps": 4, "constant_steps": 2},
     [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]),
    ({"name": "linear", "initial_learning_rate": 1.0, "decay_steps": 2,
      "end_learning_rate": 0.1}, [1.0, 0.55, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]),
    ({"name": "cosine", "initial_learning_rate": 1.0, "decay_steps": 4},
     COSINE_1 + [0.0] * 4),
    ({"name": "cosine", "initial_learning_rate": 1.0, "decay_steps": 4, "warmup_steps": 2},
     [0.0, 0.5] + COSINE_1 + [0.0] * 2),
    ({"name": "exponential", "initial_learning_rate": 1.0, "decay_steps": 2,
      "decay_rate": 0.5}, [0.5 ** (s / 2) for s in range(8)]),
    ({"name": "exponential", "initial_learning_rate": 1.0, "decay_steps": 2,
      "decay_rate": 0.5, "staircase": True}, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]),
    ({"name": "constant", "value": 0.5, "warmup_steps": 4},
     [0.0, 0.125, 0.25, 0.375, 0.5, 0.5, 0.5, 0.5]),
])
def test_each_schedule_gives_its_rates(spec, expected):
    schedule = make_learning_rate(spec)
    rates = [float(schedule(tf.constant(step, tf.int64))) for step in range(8)]
    np.testing.assert_allclose(rates, expected, atol=1e-6)
    # The config of every schedule rebuilds the same schedule.
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    np.testing.assert_allclose([float(again(step)) for step in range(8)], expected, atol=1e-6)


def test_constant_without_warmup_is_a_plain_rate():
    assert make_learning_rate({"name": "constant", "value": 3e-4}) == pytest.approx(3e-4)


LINEAR = {"name": "linear", "initial_learning_rate": 0.1, "decay_steps": 10,
          "constant_steps": 2}
WARM_COSINE = {"name": "cosine", "initial_learning_rate": 0.01, "decay_steps": 12,
               "warmup_steps": 3}
# JSON is YAML's flow style: what a user writes after --set.
SCHEDULED = ["--set", "optimizers.generator_optimizer="
             + json.dumps({"name": "sgd", "learning_rate": LINEAR}),
             "--set", "optimizers.discriminator_optimizer="
             + json.dumps({"name": "adam", "beta_1": 0.5, "learning_rate": WARM_COSINE})]


def _rates_at(optimizer, steps):
    rates = []
    for step in steps:
        optimizer.iterations.assign(step)
        rates.append(current_learning_rate(optimizer))
    return rates


def _logged_rates(workdir):
    """{tag: {step: value}} of the learning-rate scalars in the run's TensorBoard logs."""
    rates = {}
    for path in glob.glob(os.path.join(workdir, "logs", "train", "events.out.tfevents.*")):
        events = EventAccumulator(path, size_guidance={"tensors": 0})
        events.Reload()
        for tag in events.Tags()["tensors"]:
            if "learning_rate" in tag:
                for event in events.Tensors(tag):
                    rates.setdefault(tag, {})[event.step] = float(
                        tf.make_ndarray(event.tensor_proto))
    return rates


def test_yaml_schedules_train_log_resume_and_save(tmp_path):
    """3 epochs of 3 steps: each optimizer's TensorBoard series holds its schedule's rate
    after 3, 6 and 9 of its steps, a model restored from the checkpoint continues at the
    rate of step 9, and model.keras keeps the schedules. (A run killed mid-schedule:
    test_resume.py, with -m slow.)"""
    overrides = ["--set", "train.image_every=0", "--set", "train.export=false",
                 "--set", "train.epochs=3", *SCHEDULED]
    assert cli.main(["train", TINY_GAN, "--workdir", str(tmp_path), *overrides]) == 0
    linear, cosine = make_learning_rate(LINEAR), make_learning_rate(WARM_COSINE)
    logged = _logged_rates(tmp_path)
    assert sorted(logged) == ["learning_rate/discriminator_optimizer",
                              "learning_rate/generator_optimizer"]
    for tag, schedule in (("learning_rate/generator_optimizer", linear),
                          ("learning_rate/discriminator_optimizer", cosine)):
        assert sorted(logged[tag]) == [0, 1, 2]
        np.testing.assert_allclose([logged[tag][epoch] for epoch in range(3)],
                                   [float(schedule(3 * (epoch + 1))) for epoch in range(3)],
                                   rtol=1e-5, err_msg=tag)
    # Every logged rate differs from the others: the series follow the steps.
    assert len({v for series in logged.values() for v in series.values()}) == 6

    config = load_config(TINY_GAN, overrides[1::2])
    restored = build_model(config, element_shape=(2,))
    assert CheckpointStore(str(tmp_path / "checkpoints")).restore(restored) == 3
    for name, schedule in (("generator_optimizer", linear),
                           ("discriminator_optimizer", cosine)):
        optimizer = getattr(restored, name)
        assert int(optimizer.iterations) == 9
        assert current_learning_rate(optimizer) == pytest.approx(float(schedule(9)), abs=1e-9)

    loaded = keras.saving.load_model(str(tmp_path / "model.keras"))
    assert isinstance(loaded.generator_optimizer, keras.optimizers.SGD)
    assert isinstance(loaded.generator_optimizer._learning_rate, LinearDecay)
    assert isinstance(loaded.discriminator_optimizer._learning_rate, WarmUp)
    assert int(loaded.discriminator_optimizer.iterations) == 9
    steps = list(range(12))
    for name, schedule in (("generator_optimizer", linear),
                           ("discriminator_optimizer", cosine)):
        np.testing.assert_allclose(_rates_at(getattr(loaded, name), steps),
                                   [float(schedule(step)) for step in steps], rtol=1e-6,
                                   atol=1e-9, err_msg=name)
