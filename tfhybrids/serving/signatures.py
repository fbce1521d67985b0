"""Signature metadata, as TF Serving reports it, and request validation against it.

TF Serving describes a model's signatures in its metadata (REST
`GET /v1/models/<name>/metadata`, gRPC `GetModelMetadata`): for each signature, its inputs
and outputs with their dtype (`DT_FLOAT`, ...) and shape (-1 for a free dimension). The
client reads that description (or the same one from a local SavedModel) and checks a request
against it before sending, so a wrong input name, dtype or shape is a one-line error that
names what the signature expects instead of a server error from inside the graph.

This module needs only numpy; reading a SavedModel from disk (`read_saved_model_signatures`)
imports TensorFlow for its protobuf definitions.
"""

import dataclasses
import difflib
import os

import numpy as np

from tfhybrids.errors import ConfigError, ShapeError

# TF DataType names -> numpy dtypes, for the dtypes a serving request can carry.
NUMPY_DTYPES = {
    "DT_FLOAT": np.float32, "DT_DOUBLE": np.float64, "DT_HALF": np.float16,
    "DT_INT8": np.int8, "DT_INT16": np.int16, "DT_INT32": np.int32, "DT_INT64": np.int64,
    "DT_UINT8": np.uint8, "DT_UINT16": np.uint16, "DT_UINT32": np.uint32,
    "DT_UINT64": np.uint64, "DT_BOOL": np.bool_, "DT_STRING": np.object_,
}

DEFAULT_SIGNATURE = "serving_default"


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One input or output of a signature.

    Attributes:
        name: str. The alias clients use (e.g. "images").
        dtype: str. TF DataType name, e.g. "DT_FLOAT".
        shape: tuple or None. Dimensions, None for a free one; None for an unknown rank.
    """

    name: str
    dtype: str
    shape: tuple = None

    @property
    def numpy_dtype(self):
        if self.dtype not in NUMPY_DTYPES:
            raise ShapeError(f"'{self.name}' has dtype {self.dtype}, which this client cannot "
                             "send or read.")
        return np.dtype(NUMPY_DTYPES[self.dtype])

    def describe(self):
        """e.g. "float32 (batch, 8, 8, 1)"."""
        dtype = str(np.dtype(NUMPY_DTYPES[self.dtype])) if self.dtype in NUMPY_DTYPES \
            else self.dtype
        return f"{dtype} {format_shape(self.shape)}"


@dataclasses.dataclass(frozen=True)
class Signature:
    """A signature: its name, inputs and outputs ({alias: TensorInfo}) and method."""

    name: str
    inputs: dict
    outputs: dict
    method_name: str = "tensorflow/serving/predict"

    def describe(self):
        ins = ", ".join(f"{k} {v.describe()}" for k, v in self.inputs.items())
        outs = ", ".join(f"{k} {v.describe()}" for k, v in self.outputs.items())
        return f"{self.name}({ins}) -> {outs}"


def format_shape(shape):
    if shape is None:
        return "(any shape)"
    dims = ["batch" if i == 0 and d is None else ("?" if d is None else str(d))
            for i, d in enumerate(shape)]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _get(mapping, snake, camel, default=None):
    # TF Serving's REST metadata keeps the proto field names; other JSON printers of the
    # same protos use camelCase.
    if snake in mapping:
        return mapping[snake]
    return mapping.get(camel, default)


def _tensor_info(alias, info):
    shape_json = _get(info, "tensor_shape", "tensorShape")
    if shape_json is None or _get(shape_json, "unknown_rank", "unknownRank", False):
        shape = None
    else:
        # int64 fields print as strings in proto JSON; a size of 0 may be left out.
        sizes = [int(d.get("size", 0)) for d in shape_json.get("dim", [])]
        shape = tuple(None if s < 0 else s for s in sizes)
    dtype = info.get("dtype", "DT_INVALID")
    if isinstance(dtype, int):
        dtype = {1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 7: "DT_STRING",
                 9: "DT_INT64", 10: "DT_BOOL", 19: "DT_HALF"}.get(dtype, f"DT_{dtype}")
    return TensorInfo(alias, dtype, shape)


def parse_signature_defs(metadata):
    """{name: Signature} from TF Serving's model metadata in JSON form.

    Accepts the whole REST metadata response ({"model_spec", "metadata": {"signature_def":
    {"signature_def": {...}}}}), a SignatureDefMap ({"signature_def": {...}}), or the map of
    signature names to SignatureDefs itself.
    """
    if not isinstance(metadata, dict):
        raise ConfigError(f"expected model metadata as a JSON object, got {type(metadata)}.")
    defs = metadata
    if "metadata" in defs:
        defs = defs["metadata"]
    if "signature_def" in defs and isinstance(defs["signature_def"], dict):
        defs = defs["signature_def"]
        if "signature_def" in defs and isinstance(defs["signature_def"], dict):
            defs = defs["signature_def"]
    signatures = {}
    for name, definition in defs.items():
        if name.startswith(("@", "__")) or not isinstance(definition, dict):
            # The "@type" of a JSON-printed Any, and TF2's internal __saved_model_init_op
            # (listed in the metadata, but not callable with predict).
            continue
        signatures[name] = Signature(
            name,
            {k: _tensor_info(k, v) for k, v in sorted(definition.get("inputs", {}).items())},
            {k: _tensor_info(k, v) for k, v in sorted(definition.get("outputs", {}).items())},
            _get(definition, "method_name", "methodName", ""),
        )
    return signatures


def signature_defs_json(signature_def_map):
    """The JSON form of a proto map {name: SignatureDef}, as TF Serving's REST API prints it."""
    from google.protobuf import json_format

    return {
        name: json_format.MessageToDict(definition, preserving_proto_field_name=True,
                                        always_print_fields_with_no_presence=True)
        for name, definition in sorted(signature_def_map.items())
    }


def read_saved_model_signature_defs(export_dir, tags=("serve",)):
    """The SignatureDef protos {name: SignatureDef} of the MetaGraph tagged `tags`."""
    from tensorflow.core.protobuf import saved_model_pb2

    path = os.path.join(export_dir, "saved_model.pb")
    if not os.path.exists(path):
        raise ConfigError(f"{export_dir} is not a SavedModel directory (no saved_model.pb); "
                          "pass an export version directory such as export/aae/1.")
    saved_model = saved_model_pb2.SavedModel()
    with open(path, "rb") as f:
        saved_model.ParseFromString(f.read())
    for meta_graph in saved_model.meta_graphs:
        if set(tags) <= set(meta_graph.meta_info_def.tags):
            return dict(meta_graph.signature_def)
    raise ConfigError(f"{export_dir} has no MetaGraph tagged {list(tags)}.")


def read_saved_model_signatures(export_dir):
    """{name: Signature} of a SavedModel on disk: what TF Serving would report for it."""
    return parse_signature_defs(signature_defs_json(read_saved_model_signature_defs(export_dir)))


def select_signature(signatures, name, model="the model"):
    """signatures[name], or a ConfigError that lists the signatures there are."""
    name = name or DEFAULT_SIGNATURE
    if name not in signatures:
        close = difflib.get_close_matches(name, list(signatures), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"{model} has no signature '{name}'.{hint} Its signatures: "
                          f"{', '.join(sorted(signatures))}.")
    return signatures[name]


def _example(array):
    return f" (e.g. {array.ravel()[0].tolist()!r})" if array.size and array.dtype.kind in "USO" \
        else ""


def _check_dtype(signature, info, array):
    """Returns `array` cast to the input's dtype, or raises ShapeError saying why it can't."""
    target = info.numpy_dtype
    where = f"signature '{signature.name}' input '{info.name}'"
    kind = array.dtype.kind
    if target.kind == "f":
        if kind == "u" and array.dtype.itemsize == 1:
            raise ShapeError(f"{where} takes {target} values, got uint8; send uint8 pixels "
                             "as float32 in [0, 1] (pixels / 255).")
        if kind not in "fiu":
            raise ShapeError(f"{where} takes {target} values, got {_dtype_words(array.dtype)}"
                             f"{_example(array)}; send numbers.")
    elif target.kind in "iu":
        if kind not in "iu":
            raise ShapeError(f"{where} takes {target} values, got {_dtype_words(array.dtype)}"
                             f"{_example(array)}; send whole numbers (e.g. .astype('{target}')).")
        limits = np.iinfo(target)
        if array.size and (array.min() < limits.min or array.max() > limits.max):
            raise ShapeError(f"{where} takes {target} values, got values outside "
                             f"[{limits.min}, {limits.max}].")
    elif target.kind == "b" and kind != "b":
        raise ShapeError(f"{where} takes bool values, got {_dtype_words(array.dtype)}.")
    elif target.kind == "O" and kind not in "OSU":
        raise ShapeError(f"{where} takes strings, got {array.dtype}.")
    return array.astype(target, copy=False)


def _check_finite(signature, name, array):
    """Refuses NaN and Inf, which the signatures refuse too (they would otherwise come out
    as finite-looking images or codes)."""
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        kinds = " and ".join(k for k, present in (("NaN", np.isnan(array).any()),
                                                 ("Inf", np.isinf(array).any())) if present)
        raise ShapeError(f"signature '{signature.name}' input '{name}' holds {kinds} "
                         f"({int(bad.sum())} value(s), the first at {list(first)}); send "
                         "finite numbers.")


def _dtype_words(dtype):
    """How a numpy dtype is named in a message: `<U1` means nothing to most people."""
    words = {"U": "strings", "S": "bytes", "O": "Python objects", "b": "booleans",
             "c": "complex numbers", "M": "dates", "m": "time deltas"}
    return words.get(dtype.kind, str(dtype))


def _check_shape(signature, info, array):
    if info.shape is None:
        return
    expected = info.shape
    if array.ndim != len(expected) or any(
            e is not None and e != s for e, s in zip(expected, array.shape)):
        hint = ""
        if array.ndim == len(expected) - 1 and tuple(array.shape) == tuple(
                d for d in expected[1:]):
            hint = " (a single example? add the batch dimension: x[None])"
        raise ShapeError(f"signature '{signature.name}' input '{info.name}' expects shape "
                         f"{format_shape(expected)}, got {tuple(array.shape)}{hint}.")


def prepare_inputs(signature, inputs):
    """Checks `inputs` against `signature` and returns them as arrays of its dtypes.

    Args:
        signature: Signature.
        inputs: dict {input name: array-like}.

    Returns:
        dict {input name: np.ndarray}, in the signature's input order.

    Raises:
        ShapeError: an unknown or missing input name, a dtype that does not convert safely,
            a shape that does not match, inputs that disagree on the batch size, or images
            outside [0, 1] (the tfhybrids convention for inputs named "images").
    """
    if not isinstance(inputs, dict):
        raise ShapeError(f"inputs must be a dict {{name: array}}, got {type(inputs).__name__}.")
    expected = ", ".join(f"{k} {v.describe()}" for k, v in signature.inputs.items())
    for name in inputs:
        if name not in signature.inputs:
            close = difflib.get_close_matches(str(name), list(signature.inputs), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ShapeError(f"signature '{signature.name}' has no input '{name}'.{hint} "
                             f"Its inputs: {expected}.")
    missing = [name for name in signature.inputs if name not in inputs]
    if missing:
        raise ShapeError(f"signature '{signature.name}' needs input(s) {', '.join(missing)}; "
                         f"its inputs: {expected}.")
    prepared = {}
    for name, info in signature.inputs.items():
        try:
            array = np.asarray(inputs[name])
        except ValueError as error:  # ragged nested lists
            raise ShapeError(f"signature '{signature.name}' input '{name}' is not a "
                             f"rectangular array: {error}") from None
        array = _check_dtype(signature, info, array)
        _check_shape(signature, info, array)
        if array.dtype.kind == "f":
            _check_finite(signature, name, array)
        if name == "images" and array.dtype.kind == "f" and array.size:
            low, high = float(array.min()), float(array.max())
            if low < 0.0 or high > 1.0:
                raise ShapeError(f"signature '{signature.name}' input 'images' takes pixels "
                                 f"in [0, 1], got values in [{low:.3g}, {high:.3g}]; rescale "
                                 "(uint8: x / 255; [-1, 1]: (x + 1) / 2).")
        prepared[name] = array
    batched = {name: a.shape[0] for name, a in prepared.items()
               if a.ndim and signature.inputs[name].shape and
               signature.inputs[name].shape[0] is None}
    if len(set(batched.values())) > 1:
        sizes = ", ".join(f"{k} has {v}" for k, v in batched.items())
        raise ShapeError(f"inputs of signature '{signature.name}' disagree on the batch size: "
                         f"{sizes}.")
    return prepared
