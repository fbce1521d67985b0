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
        name: str. "default" (one device), "mirrored" (synchronous data parallelism over
            the GPUs of this machine, or over logical CPU devices when there is no GPU),
            "multi_worker" (MultiWorkerMirroredStrategy from TF_CONFIG) or "tpu".
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
    if name == "multi_worker":
        # Synchronous data parallelism over the workers named in TF_CONFIG (each with its
        # local GPUs, or its CPU). Must be created before TensorFlow runs any op.
        try:
            return tf.distribute.MultiWorkerMirroredStrategy()
        except (RuntimeError, ValueError) as error:
            raise ConfigError(f"train.strategy multi_worker: {error}; set TF_CONFIG for "
                              "every worker and start a fresh process.") from None
    if name == "tpu":
        # Not testable here (no TPU); this follows TensorFlow's documented set-up.
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.NotFoundError) as error:
            raise ConfigError(f"train.strategy tpu: no TPU found ({error}).") from None
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(f"train.strategy: unknown strategy '{name}'.")


def needs_custom_loop(strategy):
    """True where Keras `fit` cannot drive the strategy (multi-worker in TF 2.21)."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy):
    """Whether this process writes checkpoints, logs and exports (one process does)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief
