"""Shared test set-up: quiet TensorFlow, and the CPU split into 2 logical devices so that
MirroredStrategy can be tested without a GPU (this must happen before TF initialises)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # already initialised by an earlier import; the mirrored tests skip
    pass

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def two_cpu_strategy():
    # One strategy for the whole session: separate MirroredStrategy objects over the same
    # devices can collide in their collective-op keys.
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(devices) < 2:
        pytest.skip("the CPU could not be split into 2 logical devices")
    return tf.distribute.MirroredStrategy(devices[:2])


HEAVY_CHECKS = ("test_two_replicas_match_one_device",
                "test_keras_save_and_reload_give_the_same_model")


def pytest_generate_tests(metafunc):
    """Runs each ModelContract test once per case of the test class, and each ShippedConfigs
    test once per config it lists."""
    if "config_name" in metafunc.fixturenames and metafunc.cls is not None:
        metafunc.parametrize("config_name", list(metafunc.cls.CONFIGS))
    if "case_name" in metafunc.fixturenames and metafunc.cls is not None:
        # The two heaviest checks (1 vs 2 replicas, .keras reload) run by default for one case
        # of a model (DEFAULT_HEAVY_CASE), and for its further cases with `pytest -m slow`.
        slow = set()
        if metafunc.function.__name__ in HEAVY_CHECKS:
            keep = getattr(metafunc.cls, "DEFAULT_HEAVY_CASE", None)
            if keep is not None:
                slow = set(metafunc.cls.CASES) - {keep}
            if metafunc.function.__name__ in getattr(metafunc.cls, "SLOW_HEAVY_CHECKS", ()):
                slow = set(metafunc.cls.CASES)
        metafunc.parametrize("case_name", [
            pytest.param(name, marks=pytest.mark.slow) if name in slow else name
            for name in sorted(metafunc.cls.CASES)])
