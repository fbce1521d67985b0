"""Small validators that turn bad input into one-line `ConfigError`s naming the fix.

Used by every part that reads a config section (data sources, priors, networks, models,
training settings), so the messages read the same everywhere.
"""

import difflib
import numbers

from tfhybrids.errors import ConfigError


def closest(name, choices):
    """Returns the choice most similar to `name`, or None when nothing is close."""
    matches = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


def _suggestion(name, choices):
    match = closest(name, choices)
    return f" Did you mean '{match}'?" if match else ""


def check_keys(where, given, allowed, required=()):
    """Raises ConfigError for a key of `given` not in `allowed` or a missing required key.

    Args:
        where: str. Name of the config section, used in the message (e.g. "data").
        given: dict. The section as read.
        allowed: iterable of str. Every key the section may hold.
        required: iterable of str. Keys that must be present.
    """
    if not isinstance(given, dict):
        raise ConfigError(
            f"{where}: expected a mapping of keys to values, got {type(given).__name__} "
            f"({given!r})."
        )
    allowed = sorted(set(allowed))
    for key in given:
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown key '{key}'.{_suggestion(key, allowed)} "
                f"Allowed keys: {', '.join(allowed)}."
            )
    for key in required:
        if key not in given:
            raise ConfigError(f"{where}: missing required key '{key}'.")


def check_choice(where, key, value, choices):
    """Raises ConfigError unless `value` is one of `choices`."""
    choices = list(choices)
    if value not in choices:
        raise ConfigError(
            f"{where}.{key}: unknown value {value!r}.{_suggestion(value, choices)} "
            f"Choose one of: {', '.join(str(c) for c in choices)}."
        )
    return value


def check_int(where, key, value, minimum=None, maximum=None):
    """Returns `value` as int, raising ConfigError for non-integers or out-of-range values."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(
            f"{where}.{key}: expected an integer, got {type(value).__name__} ({value!r})."
        )
    value = int(value)
    _check_bounds(where, key, value, minimum, maximum)
    return value


def check_float(where, key, value, minimum=None, maximum=None, exclusive_minimum=False):
    """Returns `value` as float, raising ConfigError for non-numbers or out-of-range values.

    Strings that spell a number are accepted: PyYAML (YAML 1.1) reads `1e-4` without a dot
    as a string, a common surprise in configs.
    """
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(
            f"{where}.{key}: expected a number, got {type(value).__name__} ({value!r})."
        )
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(f"{where}.{key}: expected a finite number, got {value!r}.")
    if exclusive_minimum and minimum is not None and value <= minimum:
        raise ConfigError(f"{where}.{key}: must be greater than {minimum}, got {value!r}.")
    _check_bounds(where, key, value, minimum, maximum)
    return value


def check_bool(where, key, value):
    """Returns `value`, raising ConfigError unless it is a bool."""
    if not isinstance(value, bool):
        raise ConfigError(
            f"{where}.{key}: expected true or false, got {type(value).__name__} ({value!r})."
        )
    return value


def check_str(where, key, value):
    """Returns `value`, raising ConfigError unless it is a string."""
    if not isinstance(value, str):
        raise ConfigError(
            f"{where}.{key}: expected a string, got {type(value).__name__} ({value!r})."
        )
    return value


def check_int_list(where, key, value, minimum=1, allow_empty=False):
    """Returns `value` as a list of ints, each at least `minimum`."""
    if not isinstance(value, (list, tuple)):
        raise ConfigError(
            f"{where}.{key}: expected a list of integers, got {type(value).__name__} "
            f"({value!r})."
        )
    if not value and not allow_empty:
        raise ConfigError(f"{where}.{key}: expected a non-empty list of integers.")
    return [check_int(where, f"{key}[{i}]", v, minimum=minimum) for i, v in enumerate(value)]


def _check_bounds(where, key, value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where}.{key}: must be at least {minimum}, got {value!r}.")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{where}.{key}: must be at most {maximum}, got {value!r}.")
