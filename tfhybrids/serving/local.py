"""A SavedModel export that answers requests the way TF Serving would, without a server.

`LocalServable` loads an export with `tf.saved_model.load` and answers REST bodies and gRPC
protos with the server's conversions (see `rest.py`), so a client's requests can be tried
end to end where no `tensorflow_model_server` can run: `tfhybrids predict --saved-model
DIR ...` and the tests use it. It is a stand-in for development, not a server: no batching,
no version polling, no model config.
"""

import os

from tfhybrids.errors import ConfigError, TfhybridsError
from tfhybrids.export.layout import existing_versions
from tfhybrids.serving.rest import inputs_from_request_body, response_body_from_outputs
from tfhybrids.serving.signatures import (
    parse_signature_defs,
    read_saved_model_signature_defs,
    select_signature,
    signature_defs_json,
)


def resolve_export(path):
    """(version directory, model name, version) for a version directory or a model directory
    `<base>/<name>` (whose latest version is taken, as TF Serving does)."""
    path = os.path.abspath(path)
    magic = sorted(set("[]*?") & set(path))
    if magic:
        # TensorFlow reads the variables' path as a glob pattern: with these characters in it
        # the load fails deep inside TensorFlow with "Failed to find any matching files".
        raise ConfigError(f"{path}: TensorFlow cannot load a SavedModel from a path holding "
                          f"{' or '.join(repr(c) for c in magic)} (it reads the path as a "
                          "glob pattern); copy or rename the export to a path without them.")
    if not os.path.exists(os.path.join(path, "saved_model.pb")):
        versions = existing_versions(path)
        if not versions:
            raise ConfigError(f"{path} holds no SavedModel: give an export directory such as "
                              "runs/aae_digits/export/aae/1 (or export/aae for its latest "
                              "version).")
        path = os.path.join(path, str(versions[-1]))
    version_dir, version = os.path.split(path)
    name = os.path.basename(version_dir)
    return path, name, int(version) if version.isdigit() else None


class LocalServable:
    """One exported model version, answering predict and metadata requests in process.

    Args:
        export_dir: str. A version directory (`<base>/<name>/<version>`) or a model
            directory (`<base>/<name>`, latest version).
        model_name: str or None. The name to report; defaults to the model directory's name.
    """

    def __init__(self, export_dir, model_name=None):
        self.path, name, self.version = resolve_export(export_dir)
        self.model_name = model_name or name
        self.signature_defs = read_saved_model_signature_defs(self.path)
        self.signatures = parse_signature_defs(signature_defs_json(self.signature_defs))
        self._loaded = None

    @property
    def loaded(self):
        if self._loaded is None:
            import tensorflow as tf

            self._loaded = tf.saved_model.load(self.path)
        return self._loaded

    def metadata(self):
        """The REST metadata response TF Serving gives for this model."""
        return {
            "model_spec": {"name": self.model_name, "signature_name": "",
                           "version": str(self.version or "")},
            "metadata": {"signature_def": {
                "signature_def": signature_defs_json(self.signature_defs)}},
        }

    def run(self, signature_name, inputs):
        """Runs a signature on arrays {name: np.ndarray} and returns its outputs as arrays."""
        import tensorflow as tf

        signature = select_signature(self.signatures, signature_name,
                                     f"model '{self.model_name}'")
        function = self.loaded.signatures[signature.name]
        outputs = function(**{name: tf.constant(value) for name, value in inputs.items()})
        return {name: value.numpy() for name, value in sorted(outputs.items())}

    def handle_rest(self, body):
        """(HTTP status, response body) for a REST predict request body (a dict)."""
        import tensorflow as tf

        try:
            name = body.get("signature_name") if isinstance(body, dict) else None
            signature = select_signature(self.signatures, name, f"model '{self.model_name}'")
            inputs = inputs_from_request_body(body, signature)
            outputs = self.run(signature.name, inputs)
            fmt = "instances" if "instances" in body else "inputs"
            return 200, response_body_from_outputs(outputs, fmt)
        except TfhybridsError as error:
            return 400, {"error": str(error)}
        except tf.errors.OpError as error:
            return 400, {"error": error.message}

    def handle_grpc_predict(self, request):
        """A PredictResponse for a PredictRequest; raises ValueError for a bad request."""
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2

        signature = select_signature(self.signatures, request.model_spec.signature_name,
                                     f"model '{self.model_name}'")
        if set(request.inputs) != set(signature.inputs):
            raise ConfigError(f"input size does not match signature '{signature.name}': sent "
                              f"{sorted(request.inputs)}, it takes {sorted(signature.inputs)}.")
        inputs = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
        response = predict_pb2.PredictResponse()
        response.model_spec.name = self.model_name
        response.model_spec.signature_name = signature.name
        if self.version is not None:
            response.model_spec.version.value = self.version
        for name, value in self.run(signature.name, inputs).items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
        return response

    def handle_grpc_metadata(self, request):
        """A GetModelMetadataResponse with the signature_def map."""
        from tensorflow_serving.apis import get_model_metadata_pb2

        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = self.model_name
        if self.version is not None:
            response.model_spec.version.value = self.version
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for name, definition in self.signature_defs.items():
            signature_map.signature_def[name].CopyFrom(definition)
        response.metadata["signature_def"].Pack(signature_map)
        return response
