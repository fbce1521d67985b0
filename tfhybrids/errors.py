"""Errors that tfhybrids raises for bad input.

Every error a user can cause by what they pass in (a config key, a dataset name, a tensor
shape) derives from `TfhybridsError`, so the CLI can print its one-line message without a
traceback. Each subclass is also a `ValueError` or `TypeError`, so library callers can catch
the standard exceptions.
"""


class TfhybridsError(Exception):
    """Base class of the errors whose message is meant for the user."""


class ConfigError(TfhybridsError, ValueError):
    """A config document has an unknown key, a wrong type or an out-of-range value."""


class DataError(TfhybridsError, ValueError):
    """A dataset is missing, unprepared, empty or has the wrong shape."""


class ShapeError(TfhybridsError, ValueError):
    """A tensor given to a model or signature has the wrong shape or dtype."""


class TrainingError(TfhybridsError, RuntimeError):
    """Training cannot go on (a non-finite loss, a workdir holding another model's run)."""
