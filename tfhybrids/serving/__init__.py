"""Clients of TensorFlow Serving for tfhybrids exports, and its model config.

- `signatures`: the signature metadata the server reports, and checking a request
  against it (input names, dtypes, shapes) before it is sent;
- `rest`: the REST predict API's JSON bodies (columnar `inputs`, row `instances`) and
  `RestClient` (standard library HTTP, no TensorFlow needed);
- `grpc_client`: PredictRequest/GetModelMetadata and `GrpcClient` (needs
  tensorflow-serving-api);
- `local`: `LocalServable`, an export answering requests in process as the server would;
- `config`: `models.config` for serving several exports from one server;
- `commands`: the `tfhybrids predict` and `tfhybrids serving-config` subcommands.

See serving/README.md for running TensorFlow Serving on the exports.
"""

from tfhybrids.serving.errors import ServingError
from tfhybrids.serving.rest import RestClient
from tfhybrids.serving.signatures import Signature, TensorInfo, prepare_inputs

__all__ = ["RestClient", "ServingError", "Signature", "TensorInfo", "prepare_inputs"]
