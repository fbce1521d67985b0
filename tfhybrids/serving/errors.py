"""The error a serving client raises for a failure on the server's side of the wire."""

from tfhybrids.errors import TfhybridsError


class ServingError(TfhybridsError, RuntimeError):
    """TF Serving cannot be reached, or it answered a request with an error.

    Bad input that the client can see before sending (a wrong input name, dtype or shape)
    is a `tfhybrids.errors.ShapeError` instead, and a wrong model or signature name a
    `ConfigError`.
    """
