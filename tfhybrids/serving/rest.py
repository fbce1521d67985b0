"""TF Serving's REST predict API: the request and response bodies, and an HTTP client.

Both of the server's JSON formats are supported:

- columnar, `{"signature_name": s, "inputs": {name: nested list, ...}}`, answered with
  `{"outputs": {name: nested list, ...}}` (or `{"outputs": nested list}` when the signature
  has a single output);
- row, `{"signature_name": s, "instances": [...]}` with one entry per example (the value
  itself for a single-input signature, else an object {name: value}), answered with
  `{"predictions": [...]}` (values for a single output, else objects {name: value}).

A failed request is answered with `{"error": message}` and an HTTP error status.

The server side of the same conversions (`inputs_from_request_body`,
`response_body_from_outputs`) follows TF Serving's rules and stands in for the server
where there is none: `tfhybrids predict --saved-model DIR` and the tests run the client's
requests through them and a loaded SavedModel.

Example:

```python
from tfhybrids.serving.rest import RestClient

client = RestClient("localhost:8501", "aae")
outputs = client.predict({"images": images}, signature="encode")   # images float32 [0, 1]
outputs["code"]                                                      # np.ndarray [batch, 2]
```
"""

import json
import urllib.error
import urllib.request

import numpy as np

from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.serving.errors import ServingError
from tfhybrids.serving.signatures import (
    DEFAULT_SIGNATURE,
    TensorInfo,
    parse_signature_defs,
    prepare_inputs,
    select_signature,
)

FORMATS = ("inputs", "instances")


def _check_format(fmt):
    if fmt not in FORMATS:
        raise ConfigError(f"REST format must be 'inputs' (columnar) or 'instances' (row), "
                          f"got {fmt!r}.")


def _batch_size(arrays, what):
    sizes = {name: a.shape[0] if a.ndim else None for name, a in arrays.items()}
    if None in sizes.values() or len(set(sizes.values())) > 1:
        raise ShapeError(f"the row ('instances') format needs every {what} to have the same "
                         f"batch size, got {sizes}; use the columnar format.")
    return next(iter(sizes.values()))


# ----------------------------------------------------------------------- client side
def request_body(signature_name, inputs, fmt="inputs"):
    """The JSON body (a dict) of a predict request.

    Args:
        signature_name: str. The signature to call.
        inputs: dict {input name: np.ndarray}, already checked (see `prepare_inputs`).
        fmt: str. "inputs" (columnar) or "instances" (row).
    """
    _check_format(fmt)
    body = {"signature_name": signature_name or DEFAULT_SIGNATURE}
    if fmt == "inputs":
        body["inputs"] = {name: np.asarray(value).tolist() for name, value in inputs.items()}
        return body
    arrays = {name: np.asarray(value) for name, value in inputs.items()}
    batch = _batch_size(arrays, "input")
    if len(arrays) == 1:
        body["instances"] = next(iter(arrays.values())).tolist()
    else:
        body["instances"] = [{name: a[i].tolist() for name, a in arrays.items()}
                             for i in range(batch)]
    return body


def _as_array(value, info, what):
    try:
        array = np.asarray(value, dtype=info.numpy_dtype)
    except (ValueError, TypeError) as error:
        raise ShapeError(f"{what} '{info.name}' cannot be read as {info.describe()}: "
                         f"{error}") from None
    if info.shape is not None and array.ndim == 1 and array.size == 0 and len(info.shape) > 1:
        array = array.reshape((0, *[d or 0 for d in info.shape[1:]]))
    return array


def outputs_from_response_body(body, signature):
    """The outputs {name: np.ndarray} of a predict response body (a dict).

    Raises ServingError for an `{"error": ...}` body.
    """
    if not isinstance(body, dict):
        raise ServingError(f"unexpected response from the server: {str(body)[:200]}")
    if "error" in body:
        raise ServingError(f"TF Serving: {one_line(body['error'])}")
    names = list(signature.outputs)
    if "outputs" in body:
        value = body["outputs"]
        if len(names) == 1 and not isinstance(value, dict):
            value = {names[0]: value}
    elif "predictions" in body:
        rows = body["predictions"]
        if len(names) == 1 and not (rows and isinstance(rows[0], dict)):
            value = {names[0]: rows}
        else:
            value = {name: [row[name] for row in rows] for name in names if
                     all(isinstance(row, dict) and name in row for row in rows)}
    else:
        raise ServingError(f"the server's response has neither 'outputs' nor 'predictions': "
                           f"{str(body)[:200]}")
    if not isinstance(value, dict):
        raise ServingError(f"unexpected outputs in the server's response: {str(value)[:200]}")
    unknown = set(value) - set(names)
    missing = [n for n in names if n not in value]
    if unknown or missing:
        raise ServingError(f"the response's outputs {sorted(value)} do not match signature "
                           f"'{signature.name}' outputs {names}.")
    return {name: _as_array(value[name], signature.outputs[name], "output") for name in names}


# ----------------------------------------------------------------------- server side
def inputs_from_request_body(body, signature):
    """What TF Serving feeds a signature for a predict request body: {name: np.ndarray}.

    Follows the server's rules: exactly one of "inputs" and "instances"; for a single-input
    signature the values may be given bare; each value is converted to the signature's dtype.
    Raises ShapeError for a body the server would refuse.
    """
    if not isinstance(body, dict):
        raise ShapeError("the request body must be a JSON object.")
    if ("inputs" in body) == ("instances" in body):
        raise ShapeError("the request body needs exactly one of 'instances' (row format) and "
                         "'inputs' (columnar format).")
    names = list(signature.inputs)
    if "inputs" in body:
        value = body["inputs"]
        if not isinstance(value, dict):
            if len(names) != 1:
                raise ShapeError(f"signature '{signature.name}' has inputs {names}: give "
                                 "'inputs' as an object {name: value}.")
            value = {names[0]: value}
    else:
        rows = body["instances"]
        if not isinstance(rows, list):
            raise ShapeError("'instances' must be a list with one entry per example.")
        if rows and all(isinstance(row, dict) for row in rows):
            for i, row in enumerate(rows):
                if set(row) != set(names):
                    raise ShapeError(f"instance {i} has inputs {sorted(row)}, signature "
                                     f"'{signature.name}' takes {names}.")
            value = {name: [row[name] for row in rows] for name in names}
        elif len(names) == 1:
            value = {names[0]: rows}
        else:
            raise ShapeError(f"signature '{signature.name}' has inputs {names}: each instance "
                             "must be an object {name: value}.")
    unknown = sorted(set(value) - set(names))
    missing = [n for n in names if n not in value]
    if unknown or missing:
        raise ShapeError(f"input size does not match signature '{signature.name}': sent "
                         f"{sorted(value)}, it takes {names}.")
    arrays = {}
    for name in names:
        info = signature.inputs[name]
        if info.numpy_dtype.kind in "iu":
            # The server refuses 1.5 for an integer input instead of truncating it.
            numbers = _as_array(value[name], TensorInfo(name, "DT_DOUBLE", None), "input")
            if not np.all(np.isfinite(numbers) & (numbers == np.round(numbers))):
                raise ShapeError(f"input '{name}' of signature '{signature.name}' is "
                                 f"{info.describe()}: its values must be whole numbers.")
        arrays[name] = _as_array(value[name], info, "input")
    return arrays


def response_body_from_outputs(outputs, fmt="inputs"):
    """The JSON body TF Serving answers with, for signature outputs {name: array}."""
    _check_format(fmt)
    arrays = {name: np.asarray(value) for name, value in outputs.items()}
    if fmt == "inputs":
        if len(arrays) == 1:
            return {"outputs": next(iter(arrays.values())).tolist()}
        return {"outputs": {name: a.tolist() for name, a in arrays.items()}}
    batch = _batch_size(arrays, "output")
    if len(arrays) == 1:
        return {"predictions": next(iter(arrays.values())).tolist()}
    return {"predictions": [{name: a[i].tolist() for name, a in arrays.items()}
                            for i in range(batch)]}


def one_line(message, limit=600):
    """A server's (often multi-line) error message on one line, for a one-line CLI error."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def dumps(body):
    """JSON text of a body. NaN and Infinity are written bare, which TF Serving accepts."""
    return json.dumps(body, separators=(",", ":"))


# ----------------------------------------------------------------------- HTTP client
def base_url(server):
    """'localhost:8501' or 'http://host:8501/' -> 'http://localhost:8501'."""
    if not server:
        raise ConfigError("give the server as HOST:PORT, e.g. localhost:8501.")
    server = server.rstrip("/")
    return server if "://" in server else f"http://{server}"


class RestClient:
    """A client of TF Serving's REST API for one model.

    Args:
        server: str. HOST:PORT of the REST API (TF Serving's --rest_api_port, 8501 by
            default) or a URL.
        model: str. The model name (`--model_name`, or `name` in models.config).
        version: int or None. A model version; defaults to the latest the server has.
        timeout: float. Seconds to wait for an answer. Defaults to 30.
    """

    def __init__(self, server, model, version=None, timeout=30.0):
        if not model:
            raise ConfigError("give the model name as the server knows it (--model), e.g. aae.")
        self.url = base_url(server)
        self.model = model
        self.version = version
        self.timeout = timeout
        self._signatures = None

    def _model_url(self):
        url = f"{self.url}/v1/models/{self.model}"
        return f"{url}/versions/{int(self.version)}" if self.version is not None else url

    def _call(self, url, body=None):
        data = None if body is None else dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            try:
                message = json.loads(text).get("error", text)
            except (ValueError, AttributeError):
                message = text
            raise ServingError(f"TF Serving at {self.url} answered HTTP {error.code} for "
                               f"model '{self.model}': {one_line(message)}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ServingError(f"cannot reach TF Serving's REST API at {self.url} ({reason}); "
                               "is tensorflow_model_server running with --rest_api_port?") \
                from None

    def metadata(self):
        """The model's metadata, as the server returns it (JSON)."""
        return self._call(f"{self._model_url()}/metadata")

    def signatures(self):
        """{name: Signature} of the served model (fetched once)."""
        if self._signatures is None:
            self._signatures = parse_signature_defs(self.metadata())
        return self._signatures

    def predict(self, inputs, signature=DEFAULT_SIGNATURE, fmt="inputs"):
        """Calls a signature and returns its outputs {name: np.ndarray}.

        The inputs are checked against the signature's metadata first (ShapeError names the
        expected input names, dtypes and shapes).
        """
        spec = select_signature(self.signatures(), signature, f"model '{self.model}'")
        body = request_body(spec.name, prepare_inputs(spec, inputs), fmt)
        return outputs_from_response_body(self._call(f"{self._model_url()}:predict", body), spec)
