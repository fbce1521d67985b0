"""The config form of optimizers and schedules: one-line errors with the full key path, and
`compile` taking the same forms as a config."""

import os

import keras
import numpy as np
import pytest

from conftest import REPO
from tfhybrids.errors import ConfigError
from tfhybrids.optimizers import learning_rate_spec, optimizer_spec
from tfhybrids.schedules import current_learning_rate
from tfhybrids.training.config import load_config
from tfhybrids.training.runner import build_model

TINY_GAN = os.path.join(REPO, "configs", "tiny", "gan_toy2d_ring.yaml")
WHERE = "optimizers.generator_optimizer.learning_rate"


@pytest.mark.parametrize("schedule, message", [
    ("{name: piecewise, boundaries: [4500], values: [0.001]}",
     f"{WHERE}.values: expected 2 learning rates"),
    ("{name: piecewise, boundaries: [10, 5], values: [0.1, 0.2, 0.3]}",
     f"{WHERE}.boundaries: must increase, got [10, 5]"),
    ("{name: piecewise, boundaries: [1.5], values: [0.1, 0.2]}",
     f"{WHERE}.boundaries[0]: expected an integer"),
    ("{name: piecewse, boundaries: [1], values: [0.1, 0.2]}",
     f"{WHERE}.name: unknown value 'piecewse'. Did you mean 'piecewise'?"),
    ("{name: cosine, initial_learning_rate: 0.001}",
     f"{WHERE}: missing required key 'decay_steps'"),
    ("{name: cosine, initial_learning_rate: 0.001, decay_steps: 10, warmup: 5}",
     f"{WHERE}: unknown key 'warmup'. Did you mean 'warmup_steps'?"),
    ("{name: linear, initial_learning_rate: -1, decay_steps: 10}",
     f"{WHERE}.initial_learning_rate: must be greater than 0.0"),
    ("{boundaries: [1], values: [0.1, 0.2]}", f"{WHERE}: a schedule needs a 'name'"),
    ("cosine", f"{WHERE}: the schedule 'cosine' needs its settings"),
    ("0", f"{WHERE}: must be positive"),
])
def test_a_bad_schedule_gets_a_one_line_error_naming_its_key(schedule, message):
    with pytest.raises(ConfigError) as error:
        load_config(TINY_GAN, [f"optimizers.generator_optimizer.learning_rate={schedule}"])
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value)


def test_a_validated_schedule_has_its_defaults_filled_in():
    spec = optimizer_spec("optimizers.g", {"name": "Adam", "beta_1": 0.5, "learning_rate": {
        "name": "linear", "initial_learning_rate": "2e-4", "decay_steps": 750}})
    assert spec == {"class_name": "Adam", "config": {"beta_1": 0.5, "learning_rate": {
        "name": "linear", "initial_learning_rate": 2e-4, "decay_steps": 750,
        "end_learning_rate": 0.0, "constant_steps": 0, "warmup_steps": 0}}}
    # Validating twice changes nothing (the CLI validates, then compile builds from it).
    assert learning_rate_spec("x", spec["config"]["learning_rate"]) == \
        spec["config"]["learning_rate"]


@pytest.fixture(scope="module")
def tiny_gan():
    config = load_config(TINY_GAN)
    return build_model(config, element_shape=(2,))


def test_compile_takes_the_config_form(tiny_gan):
    tiny_gan.compile(
        discriminator_optimizer={"name": "adam", "learning_rate": 2e-4},
        generator_optimizer={"name": "sgd", "momentum": 0.5, "learning_rate": {
            "name": "piecewise", "boundaries": [2], "values": [0.1, 0.01]}})
    discriminator, generator = tiny_gan.discriminator_optimizer, tiny_gan.generator_optimizer
    assert isinstance(discriminator, keras.optimizers.Adam)
    assert current_learning_rate(discriminator) == pytest.approx(2e-4)
    assert isinstance(generator, keras.optimizers.SGD) and generator.momentum == 0.5
    rates = []
    for step in range(4):
        generator.iterations.assign(step)
        rates.append(current_learning_rate(generator))
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1, 0.01], rtol=1e-6)
    # The other accepted forms still work.
    tiny_gan.compile(discriminator_optimizer="rmsprop",
                     generator_optimizer={"class_name": "Adam", "config": {"learning_rate": 0.5}})
    assert isinstance(tiny_gan.discriminator_optimizer, keras.optimizers.RMSprop)
    assert current_learning_rate(tiny_gan.generator_optimizer) == pytest.approx(0.5)


@pytest.mark.parametrize("spec, error, message", [
    (3, TypeError, "discriminator_optimizer: expected a keras optimizer, its name ('adam'), "
                   "the config form"),
    ({"class": "Adam"}, ValueError, "discriminator_optimizer: unknown key 'class'"),
    ("adamm", ValueError, "discriminator_optimizer: unknown optimizer 'adamm'"),
    ({"name": "adam", "learning_rate": {"name": "cosine", "decay_steps": 5}}, ValueError,
     "discriminator_optimizer.learning_rate: missing required key 'initial_learning_rate'"),
])
def test_compile_refuses_a_wrong_form_clearly(tiny_gan, spec, error, message):
    with pytest.raises(error) as raised:
        tiny_gan.compile(discriminator_optimizer=spec)
    assert str(raised.value).startswith(message), str(raised.value)


def test_every_shipped_configs_optimizers_build():
    import glob

    from tfhybrids.models.base import make_optimizer

    paths = sorted(glob.glob(os.path.join(REPO, "configs", "**", "*.yaml"), recursive=True))
    schedules = 0
    for path in paths:
        for name, spec in load_config(path)["optimizers"].items():
            optimizer = make_optimizer(spec, where=f"{path}: optimizers.{name}")
            schedules += isinstance(optimizer._learning_rate,
                                    keras.optimizers.schedules.LearningRateSchedule)
    # The mode-collapse configs (2-3 players x 6), AVB's (2), CycleGAN's (4) and the main
    # job's (3).
    assert schedules == 2 * 2 + 3 * 2 + 2 * 2 + 2 + 4 + 3
