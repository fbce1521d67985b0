"""tf.distribute strategies chosen by name in the train section of a config."""

import tensorflow as tf

from tfhybrids.errors import ConfigError


def split_cpu(num_devices):
    """Splits the physical CPU into `num_devices` logical devices (for MirroredStrategy on CPU).

    Must run before TensorFlow initialises its devices; returns False when it is too late.
    """
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)]
        )
        return True
    except RuntimeError:
        return len(tf.config.list_logical_devices("CPU")) >= num_devices


def make_strategy(name, num_devices=None):
    """Returns the tf.distribute strategy for `name`.

    Args:
        name: str. "default" (one device) or "mirrored" (synchronous data parallelism over
            the GPUs of this machine, or over logical CPU devices when there is no GPU).
        num_devices: int or None. For "mirrored": how many devices to use. Defaults to all
            GPUs, or 2 logical CPU devices when there is no GPU.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            devices = [d.name for d in gpus][: num_devices or len(gpus)]
        else:
            wanted = num_devices or 2
            if not split_cpu(wanted):
                raise ConfigError(
                    f"train.strategy mirrored: could not split the CPU into {wanted} devices "
                    "(TensorFlow was already initialised); start a fresh process."
                )
            devices = [d.name for d in tf.config.list_logical_devices("CPU")][:wanted]
        return tf.distribute.MirroredStrategy(devices)
    raise ConfigError(f"train.strategy: '{name}' is not available yet; use default or mirrored.")
