"""The config form of an optimizer and of its learning-rate schedule, validated.

An optimizer is written as in a config's `optimizers:` section, or passed to `model.compile`
in the same form:

    generator_optimizer:
      name: adam
      beta_1: 0.5
      learning_rate: 0.001                  # a number, or a schedule:
      learning_rate: {name: piecewise, boundaries: [4500], values: [0.001, 0.0001]}

Schedules (see tfhybrids.schedules for the formulas); each also takes `warmup_steps`
(default 0): the rate rises linearly from 0 to the schedule's first value over that many
steps, and the schedule runs after the warm-up.

    constant:     value
    piecewise:    boundaries, values       (Keras' PiecewiseConstantDecay: values[i] up to
                                            and including step boundaries[i])
    linear:       initial_learning_rate, decay_steps, end_learning_rate (0),
                  constant_steps (0)       (constant, then a straight line to the end rate:
                                            CycleGAN's decay)
    cosine:       initial_learning_rate, decay_steps, alpha (0)      (Keras' CosineDecay)
    exponential:  initial_learning_rate, decay_steps, decay_rate, staircase (false)
                                                                     (Keras' ExponentialDecay)

A schedule counts the updates of its own optimizer (`optimizer.iterations`), which is also
what a checkpoint restores, so a resumed run continues at the rate it was killed at. A model
that updates a player k times per train step (e.g. `discriminator_steps: 2`) moves that
player's schedule k steps per train step.

This module only checks and normalises the forms; it does not import TensorFlow, so a bad
config is reported at once. tfhybrids.models.base.make_optimizer builds the optimizer.
"""

from tfhybrids.errors import ConfigError
from tfhybrids.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_keys,
)

OPTIMIZER_CLASSES = {
    "adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adamax": "Adamax",
    "nadam": "Nadam", "lion": "Lion", "adagrad": "Adagrad",
}
OPTIMIZER_KEYS = {
    "name", "learning_rate", "beta_1", "beta_2", "epsilon", "momentum", "nesterov", "rho",
    "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "amsgrad",
}
# schedule name -> (required keys, {optional key: default})
SCHEDULES = {
    "constant": (("value",), {}),
    "piecewise": (("boundaries", "values"), {}),
    "linear": (("initial_learning_rate", "decay_steps"),
               {"end_learning_rate": 0.0, "constant_steps": 0}),
    "cosine": (("initial_learning_rate", "decay_steps"), {"alpha": 0.0}),
    "exponential": (("initial_learning_rate", "decay_steps", "decay_rate"),
                    {"staircase": False}),
}
SCHEDULE_DEFAULTS = {"warmup_steps": 0}
_RATE_KEYS = ("value", "initial_learning_rate")
_STEP_KEYS = ("decay_steps",)


def optimizer_spec(where, spec):
    """Checks an optimizer's config form and returns Keras' {"class_name", "config"} form.

    Args:
        where: str. The key path of the optimizer, for messages
            (e.g. "optimizers.generator_optimizer").
        spec: str (a name such as "adam") or dict {name, learning_rate, beta_1, ...}.

    Returns:
        {"class_name": "Adam", "config": {...}}, where config["learning_rate"], when given,
        is a float or a normalised schedule mapping (see `learning_rate_spec`).
    """
    if isinstance(spec, str):
        spec = {"name": spec}
    check_keys(where, spec, OPTIMIZER_KEYS)
    name = check_choice(where, "name", str(spec.get("name", "adam")).lower(), OPTIMIZER_CLASSES)
    options = {k: v for k, v in spec.items() if k != "name"}
    for key, value in options.items():
        if key == "learning_rate":
            options[key] = learning_rate_spec(f"{where}.learning_rate", value)
        elif key in ("nesterov", "amsgrad"):
            options[key] = check_bool(where, key, value)
        else:
            options[key] = check_float(where, key, value, minimum=0.0)
    return {"class_name": OPTIMIZER_CLASSES[name], "config": options}


def learning_rate_spec(where, value):
    """Checks a learning rate: a positive number, or a schedule mapping.

    Returns the number as a float, or the schedule as a mapping with its defaults filled in
    (a constant schedule without warm-up becomes its number).
    """
    if not isinstance(value, dict):
        if isinstance(value, str) and value.strip().lower() in SCHEDULES:
            raise ConfigError(
                f"{where}: the schedule '{value}' needs its settings, e.g. "
                f"{{name: {value.strip().lower()}, "
                f"{', '.join(f'{k}: ...' for k in SCHEDULES[value.strip().lower()][0])}}}.")
        where_parent, _, key = where.rpartition(".")
        rate = check_float(where_parent, key, value)
        if rate <= 0:
            raise ConfigError(f"{where}: must be positive, got {rate}.")
        return rate
    if "name" not in value:
        raise ConfigError(
            f"{where}: a schedule needs a 'name', one of: {', '.join(SCHEDULES)} "
            "(e.g. {name: piecewise, boundaries: [4500], values: [0.001, 0.0001]}).")
    name = check_choice(where, "name", str(value["name"]).lower(), SCHEDULES)
    required, optional = SCHEDULES[name]
    check_keys(where, value, ("name", *required, *optional, *SCHEDULE_DEFAULTS),
               required=required)
    schedule = {"name": name, **optional, **SCHEDULE_DEFAULTS,
                **{k: v for k, v in value.items() if k != "name"}}
    for key in _RATE_KEYS:
        if key in schedule:
            schedule[key] = check_float(where, key, schedule[key], minimum=0.0,
                                        exclusive_minimum=True)
    for key in _STEP_KEYS:
        if key in schedule:
            schedule[key] = check_int(where, key, schedule[key], minimum=1)
    for key in ("warmup_steps", "constant_steps"):
        if key in schedule:
            schedule[key] = check_int(where, key, schedule[key], minimum=0)
    if name == "piecewise":
        _check_piecewise(where, schedule)
    if name == "linear":
        schedule["end_learning_rate"] = check_float(where, "end_learning_rate",
                                                    schedule["end_learning_rate"], minimum=0.0)
    if name == "cosine":
        schedule["alpha"] = check_float(where, "alpha", schedule["alpha"], minimum=0.0,
                                        maximum=1.0)
    if name == "exponential":
        schedule["decay_rate"] = check_float(where, "decay_rate", schedule["decay_rate"],
                                             minimum=0.0, exclusive_minimum=True)
        schedule["staircase"] = check_bool(where, "staircase", schedule["staircase"])
    if name == "constant" and not schedule["warmup_steps"]:
        return schedule["value"]
    return schedule


def _check_piecewise(where, schedule):
    boundaries, values = schedule["boundaries"], schedule["values"]
    if not isinstance(boundaries, (list, tuple)) or not boundaries:
        raise ConfigError(f"{where}.boundaries: expected a non-empty list of step counts, got "
                          f"{boundaries!r}.")
    boundaries = [check_int(where, f"boundaries[{i}]", b, minimum=0)
                  for i, b in enumerate(boundaries)]
    for i in range(1, len(boundaries)):
        if boundaries[i] <= boundaries[i - 1]:
            raise ConfigError(f"{where}.boundaries: must increase, got {boundaries}.")
    if not isinstance(values, (list, tuple)) or len(values) != len(boundaries) + 1:
        raise ConfigError(
            f"{where}.values: expected {len(boundaries) + 1} learning rates (one more than "
            f"boundaries: one before each boundary and one after the last), got {values!r}.")
    schedule["boundaries"] = boundaries
    schedule["values"] = [check_float(where, f"values[{i}]", v, minimum=0.0,
                                      exclusive_minimum=True) for i, v in enumerate(values)]
