"""Learning-rate schedules built from their config form (see tfhybrids.optimizers).

`piecewise`, `cosine` and `exponential` are Keras' own schedules; `linear` (constant, then a
straight line: CycleGAN's decay, Zhu et al. 2017 §4) and the warm-up are defined here. All
are `keras.optimizers.schedules.LearningRateSchedule`s of the optimizer's step count, saved
with the model (`.keras`) and registered for loading.
"""

import keras
from keras import ops

from tfhybrids.optimizers import learning_rate_spec

Schedule = keras.optimizers.schedules.LearningRateSchedule


@keras.saving.register_keras_serializable(package="tfhybrids")
class ConstantRate(Schedule):
    """The same rate at every step (what `warmup_steps` warms up to for `constant`)."""

    def __init__(self, value, name="ConstantRate"):
        super().__init__()
        self.value = float(value)
        self.name = name

    def __call__(self, step):
        return ops.full_like(ops.cast(step, "float32"), self.value)

    def get_config(self):
        return {"value": self.value, "name": self.name}


@keras.saving.register_keras_serializable(package="tfhybrids")
class LinearDecay(Schedule):
    """`initial_learning_rate` for `constant_steps` steps, then a straight line to
    `end_learning_rate` over `decay_steps` steps, then `end_learning_rate`.

    CycleGAN (Zhu et al. 2017, arXiv 1703.10593, §4): "we keep the same learning rate for
    the first 100 epochs and linearly decay the rate to zero over the next 100 epochs", i.e.
    constant_steps = decay_steps = half the steps and end_learning_rate = 0.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0,
                 constant_steps=0, name="LinearDecay"):
        super().__init__()
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = int(decay_steps)
        self.end_learning_rate = float(end_learning_rate)
        self.constant_steps = int(constant_steps)
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        progress = ops.clip((step - self.constant_steps) / self.decay_steps, 0.0, 1.0)
        return (self.initial_learning_rate
                + (self.end_learning_rate - self.initial_learning_rate) * progress)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "constant_steps": self.constant_steps, "name": self.name}


@keras.saving.register_keras_serializable(package="tfhybrids")
class WarmUp(Schedule):
    """A linear rise from 0 to `schedule(0)` over `warmup_steps` steps, then `schedule`,
    started after the warm-up: rate(step) = schedule(step - warmup_steps)."""

    def __init__(self, schedule, warmup_steps, name="WarmUp"):
        super().__init__()
        if isinstance(schedule, dict):
            schedule = keras.saving.deserialize_keras_object(schedule)
        self.schedule = schedule
        self.warmup_steps = int(warmup_steps)
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        target = ops.cast(self.schedule(ops.zeros_like(step)), "float32")
        after = ops.cast(self.schedule(ops.maximum(step - self.warmup_steps, 0.0)), "float32")
        return ops.where(step < self.warmup_steps, target * step / self.warmup_steps, after)

    def get_config(self):
        return {"schedule": keras.saving.serialize_keras_object(self.schedule),
                "warmup_steps": self.warmup_steps, "name": self.name}


def make_learning_rate(spec, where="learning_rate"):
    """A float or a schedule from the config form of a learning rate (checked first)."""
    spec = learning_rate_spec(where, spec)
    if not isinstance(spec, dict):
        return spec
    options = {k: v for k, v in spec.items() if k not in ("name", "warmup_steps")}
    builders = {
        "constant": ConstantRate,
        "piecewise": keras.optimizers.schedules.PiecewiseConstantDecay,
        "linear": LinearDecay,
        "cosine": keras.optimizers.schedules.CosineDecay,
        "exponential": keras.optimizers.schedules.ExponentialDecay,
    }
    schedule = builders[spec["name"]](**options)
    if spec["warmup_steps"]:
        schedule = WarmUp(schedule, spec["warmup_steps"])
    return schedule


def current_learning_rate(optimizer):
    """The rate `optimizer` applies at its next update, as a float."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return float(ops.convert_to_numpy(inner.learning_rate))
