"""TF Serving's gRPC API (PredictionService): requests, responses and a client.

Needs `tensorflow-serving-api` (`pip install "tfhybrids[serving]"`), which brings the
PredictRequest/GetModelMetadata protos and the PredictionService stub.

Example:

```python
from tfhybrids.serving.grpc_client import GrpcClient

client = GrpcClient("localhost:8500", "aae")
outputs = client.predict({"seeds": np.arange(8)}, signature="generate")
outputs["images"]                                   # float32 [8, H, W, C] in [0, 1]
```
"""

from tfhybrids.errors import ConfigError
from tfhybrids.serving.errors import ServingError
from tfhybrids.serving.rest import one_line
from tfhybrids.serving.signatures import (
    DEFAULT_SIGNATURE,
    parse_signature_defs,
    prepare_inputs,
    select_signature,
    signature_defs_json,
)

# Generated images can exceed gRPC's default 4 MB message limit.
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


def apis():
    """The tensorflow_serving.apis modules, or a ServingError saying how to install them."""
    try:
        import grpc
        from tensorflow_serving.apis import (
            get_model_metadata_pb2,
            predict_pb2,
            prediction_service_pb2_grpc,
        )
    except ImportError as error:
        raise ServingError(f"the gRPC client needs tensorflow-serving-api ({error}); install "
                           "it with: pip install 'tfhybrids[serving]'") from None
    return grpc, predict_pb2, get_model_metadata_pb2, prediction_service_pb2_grpc


def predict_request(model, signature, inputs, version=None):
    """A PredictRequest for checked inputs {name: np.ndarray} (see `prepare_inputs`)."""
    import tensorflow as tf

    _, predict_pb2, _, _ = apis()
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature or DEFAULT_SIGNATURE
    if version is not None:
        request.model_spec.version.value = int(version)
    for name, array in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(array))
    return request


def outputs_from_response(response):
    """The outputs {name: np.ndarray} of a PredictResponse."""
    import tensorflow as tf

    return {name: tf.make_ndarray(proto) for name, proto in sorted(response.outputs.items())}


def metadata_request(model, version=None):
    _, _, get_model_metadata_pb2, _ = apis()
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = model
    if version is not None:
        request.model_spec.version.value = int(version)
    request.metadata_field.append("signature_def")
    return request


def signatures_from_metadata_response(response):
    """{name: Signature} of a GetModelMetadataResponse."""
    _, _, get_model_metadata_pb2, _ = apis()
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    if "signature_def" not in response.metadata or not response.metadata[
            "signature_def"].Unpack(signature_map):
        raise ServingError("the server's metadata has no signature_def map.")
    return parse_signature_defs(signature_defs_json(signature_map.signature_def))


class GrpcClient:
    """A client of TF Serving's gRPC PredictionService for one model.

    Args:
        server: str. HOST:PORT of the gRPC API (TF Serving's --port, 8500 by default).
        model: str. The model name.
        version: int or None. A model version; defaults to the latest the server has.
        timeout: float. Seconds to wait for an answer. Defaults to 30.
        channel: grpc.Channel or None. A channel to use instead of an insecure one to
            `server` (e.g. `grpc.secure_channel(...)`).
    """

    def __init__(self, server, model, version=None, timeout=30.0, channel=None):
        if not model:
            raise ConfigError("give the model name as the server knows it (--model), e.g. aae.")
        grpc, _, _, prediction_service_pb2_grpc = apis()
        self._grpc = grpc
        self.server = server
        self.model = model
        self.version = version
        self.timeout = timeout
        self.channel = channel or grpc.insecure_channel(server, options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ])
        self.stub = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)
        self._signatures = None

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout)
        except self._grpc.RpcError as error:
            code = error.code()
            if code == self._grpc.StatusCode.UNAVAILABLE:
                raise ServingError(f"cannot reach TF Serving's gRPC API at {self.server} "
                                   f"({error.details()}); is tensorflow_model_server running "
                                   "with --port?") from None
            raise ServingError(f"TF Serving at {self.server} answered {code.name} for model "
                               f"'{self.model}': {one_line(error.details())}") from None

    def signatures(self):
        """{name: Signature} of the served model (fetched once)."""
        if self._signatures is None:
            response = self._call(self.stub.GetModelMetadata,
                                  metadata_request(self.model, self.version))
            self._signatures = signatures_from_metadata_response(response)
        return self._signatures

    def predict(self, inputs, signature=DEFAULT_SIGNATURE):
        """Calls a signature and returns its outputs {name: np.ndarray}, checking the inputs
        against the signature's metadata first."""
        spec = select_signature(self.signatures(), signature, f"model '{self.model}'")
        request = predict_request(self.model, spec.name, prepare_inputs(spec, inputs),
                                  self.version)
        return outputs_from_response(self._call(self.stub.Predict, request))

    def close(self):
        self.channel.close()
