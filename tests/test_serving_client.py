"""The serving client: request validation, TF Serving's REST and gRPC formats, the CLI, and
models.config.

No TF Serving server can run here, so the clients talk over real HTTP and gRPC to small
stand-ins that answer the way the server does (metadata from the SavedModel, requests
turned into the signature's inputs by the server's rules, outputs into its response
format) around a real export. The formats themselves are also checked against hand-written
bodies as TF Serving's REST API documentation gives them.
"""

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import warnings
from concurrent import futures

import numpy as np
import pytest
import tensorflow as tf

from model_harness import make_batch, make_model
from tfhybrids import cli
from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.export import export_model
from tfhybrids.serving import rest
from tfhybrids.serving.config import models_config_text, write_models_config
from tfhybrids.serving.errors import ServingError
from tfhybrids.serving.local import LocalServable
from tfhybrids.serving.rest import RestClient
from tfhybrids.serving.signatures import (
    TensorInfo,
    Signature,
    parse_signature_defs,
    prepare_inputs,
    read_saved_model_signatures,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE = {"model": {"class": "VAE", "latent_dim": 2,
                  "encoder": {"type": "mlp", "hidden_units": [8]},
                  "decoder": {"type": "mlp", "hidden_units": [8]}},
        "shape": (8, 8, 1)}

# What TF Serving's REST API answers for GET /v1/models/<name>/metadata (proto field names,
# int64 sizes as strings, the internal __saved_model_init_op listed too).
TF_SERVING_METADATA = {
    "model_spec": {"name": "cvae", "signature_name": "", "version": "3"},
    "metadata": {"signature_def": {"signature_def": {
        "generate": {
            "inputs": {
                "seeds": {"dtype": "DT_INT64", "tensor_shape": {
                    "dim": [{"size": "-1", "name": ""}], "unknown_rank": False},
                    "name": "generate_seeds:0"},
                "labels": {"dtype": "DT_INT32", "tensor_shape": {
                    "dim": [{"size": "-1", "name": ""}], "unknown_rank": False},
                    "name": "generate_labels:0"},
            },
            "outputs": {
                "images": {"dtype": "DT_FLOAT", "tensor_shape": {"dim": [
                    {"size": "-1", "name": ""}, {"size": "2", "name": ""},
                    {"size": "2", "name": ""}, {"size": "1", "name": ""}],
                    "unknown_rank": False}, "name": "StatefulPartitionedCall:0"},
                "codes": {"dtype": "DT_FLOAT", "tensor_shape": {"dim": [
                    {"size": "-1", "name": ""}, {"size": "3", "name": ""}],
                    "unknown_rank": False}, "name": "StatefulPartitionedCall:1"},
            },
            "method_name": "tensorflow/serving/predict"},
        "__saved_model_init_op": {
            "inputs": {}, "outputs": {"__saved_model_init_op": {
                "dtype": "DT_INVALID", "tensor_shape": {"dim": [], "unknown_rank": True},
                "name": "NoOp"}}, "method_name": ""},
    }}},
}


def generate_signature():
    return parse_signature_defs(TF_SERVING_METADATA)["generate"]


# ----------------------------------------------------------------------- stand-in servers
@pytest.fixture(scope="module")
def export(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("models"))
    model = make_model(CASE)
    return {"base": base, "path": export_model(model, base, "vae"), "model": model}


@pytest.fixture(scope="module")
def servable(export):
    return LocalServable(export["path"])


@pytest.fixture(scope="module")
def rest_server(servable):
    """An HTTP server speaking TF Serving's REST API for the model "vae"."""
    seen = []
    route = re.compile(r"^/v1/models/(?P<name>[^/:]+)(/versions/(?P<version>\d+))?"
                       r"(?P<action>/metadata|:predict)$")

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method):
            match = route.match(self.path)
            body = None
            if method == "POST":
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((method, self.path, body))
            if not match or match["name"] != servable.model_name:
                return self._answer(404, {"error": f"Servable not found for request: "
                                                   f"Latest({self.path})"})
            if match["version"] and int(match["version"]) != servable.version:
                return self._answer(404, {"error": "Servable not found for request: "
                                                   f"Specific(vae, {match['version']})"})
            if match["action"] == "/metadata" and method == "GET":
                return self._answer(200, servable.metadata())
            if match["action"] == ":predict" and method == "POST":
                return self._answer(*servable.handle_rest(body))
            return self._answer(405, {"error": "method not allowed"})

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"address": f"127.0.0.1:{server.server_address[1]}", "seen": seen}
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def grpc_server(servable):
    """A gRPC server implementing TF Serving's PredictionService for the model "vae"."""
    grpc = pytest.importorskip("grpc")
    pytest.importorskip("tensorflow_serving.apis.prediction_service_pb2_grpc")
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    seen = []

    class Servicer(prediction_service_pb2_grpc.PredictionServiceServicer):
        def _check(self, request, context):
            seen.append(request)
            if request.model_spec.name != servable.model_name:
                context.abort(grpc.StatusCode.NOT_FOUND,
                              f"Servable not found for request: "
                              f"Latest({request.model_spec.name})")

        def Predict(self, request, context):
            self._check(request, context)
            try:
                return servable.handle_grpc_predict(request)
            except (ValueError, tf.errors.OpError) as error:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              getattr(error, "message", str(error)))

        def GetModelMetadata(self, request, context):
            self._check(request, context)
            return servable.handle_grpc_metadata(request)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield {"address": f"127.0.0.1:{port}", "seen": seen}
    server.stop(None)


def _images(batch=3, seed=0):
    return ((make_batch(CASE, batch_size=batch, seed=seed)[0] + 1.0) / 2.0).astype("float32")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------- metadata
def test_tf_serving_metadata_json_is_parsed():
    signatures = parse_signature_defs(TF_SERVING_METADATA)
    assert set(signatures) == {"generate"}  # the internal init op is not a predict signature
    generate = signatures["generate"]
    assert generate.inputs == {"labels": TensorInfo("labels", "DT_INT32", (None,)),
                               "seeds": TensorInfo("seeds", "DT_INT64", (None,))}
    assert generate.outputs["images"].shape == (None, 2, 2, 1)
    assert generate.describe() == ("generate(labels int32 (batch,), seeds int64 (batch,)) -> "
                                   "codes float32 (batch, 3), images float32 (batch, 2, 2, 1)")
    # The same protos printed with camelCase names (protobuf's default JSON printer).
    camel = json.loads(json.dumps(TF_SERVING_METADATA["metadata"]["signature_def"])
                       .replace("tensor_shape", "tensorShape")
                       .replace("unknown_rank", "unknownRank")
                       .replace("method_name", "methodName"))
    assert parse_signature_defs(camel) == signatures


def test_the_local_servable_reports_what_the_saved_model_holds(servable, export):
    metadata = json.loads(json.dumps(servable.metadata()))
    assert metadata["model_spec"] == {"name": "vae", "signature_name": "", "version": "1"}
    signatures = parse_signature_defs(metadata)
    assert signatures == read_saved_model_signatures(export["path"])
    assert signatures["encode"].inputs["images"] == TensorInfo("images", "DT_FLOAT",
                                                               (None, 8, 8, 1))
    assert set(signatures["encode"].outputs) == {"mean", "log_var", "sample"}
    # A model directory stands for its latest version, as for TF Serving.
    assert LocalServable(os.path.dirname(export["path"])).path == export["path"]


# ----------------------------------------------------------------------- validation
def test_an_export_path_tensorflow_would_read_as_a_glob_is_refused_clearly(tmp_path):
    from tfhybrids.errors import ConfigError
    from tfhybrids.serving.local import resolve_export

    folder = tmp_path / "run_boundaries-[3000]" / "export" / "veegan" / "1"
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"glob pattern.*rename"):
        resolve_export(str(folder))


def test_inputs_are_checked_against_the_signature():
    generate = generate_signature()
    good = prepare_inputs(generate, {"seeds": [1, 2], "labels": [0, 9]})
    assert good["seeds"].dtype == np.int64 and good["labels"].dtype == np.int32
    with pytest.raises(ShapeError, match="has no input 'seed'. Did you mean 'seeds'"):
        prepare_inputs(generate, {"seed": [1], "labels": [0]})
    with pytest.raises(ShapeError, match=r"needs input\(s\) labels; its inputs: labels "
                                         r"int32 \(batch,\), seeds int64 \(batch,\)"):
        prepare_inputs(generate, {"seeds": [1]})
    with pytest.raises(ShapeError, match="takes int64 values, got float64; send whole numbers"):
        prepare_inputs(generate, {"seeds": [1.5], "labels": [0]})
    with pytest.raises(ShapeError, match="takes int32 values, got values outside"):
        prepare_inputs(generate, {"seeds": [1], "labels": [2**40]})
    with pytest.raises(ShapeError, match=r"expects shape \(batch,\), got \(\)"):
        prepare_inputs(generate, {"seeds": 1, "labels": 0})
    with pytest.raises(ShapeError, match="disagree on the batch size: labels has 1, seeds has 2"):
        prepare_inputs(generate, {"seeds": [1, 2], "labels": [0]})


def test_image_inputs_name_the_expected_shape_dtype_and_range(servable):
    encode = servable.signatures["encode"]
    images = _images()
    with pytest.raises(ShapeError, match=r"input 'images' expects shape \(batch, 8, 8, 1\), "
                                         r"got \(3, 28, 28, 1\)"):
        prepare_inputs(encode, {"images": np.zeros([3, 28, 28, 1], np.float32)})
    with pytest.raises(ShapeError, match=r"a single example\? add the batch dimension"):
        prepare_inputs(encode, {"images": images[0]})
    with pytest.raises(ShapeError, match=r"got uint8; send uint8 pixels as float32 in "
                                         r"\[0, 1\] \(pixels / 255\)"):
        prepare_inputs(encode, {"images": (images * 255).astype(np.uint8)})
    with pytest.raises(ShapeError, match=r"takes pixels in \[0, 1\], got values in \[-0.98"):
        prepare_inputs(encode, {"images": images * 2.0 - 1.0})
    prepared = prepare_inputs(encode, {"images": images.astype(np.float64)})
    assert prepared["images"].dtype == np.float32


# ----------------------------------------------------------------------- REST formats
def test_request_bodies_follow_tf_serving_formats():
    seeds, labels = np.array([1, 2], np.int64), np.array([3, 4], np.int32)
    assert rest.request_body("generate", {"seeds": seeds, "labels": labels}) == {
        "signature_name": "generate", "inputs": {"seeds": [1, 2], "labels": [3, 4]}}
    assert rest.request_body("generate", {"seeds": seeds, "labels": labels}, "instances") == {
        "signature_name": "generate",
        "instances": [{"seeds": 1, "labels": 3}, {"seeds": 2, "labels": 4}]}
    # One input: each instance is the value itself.
    codes = np.array([[0.5, -1.0]], np.float32)
    assert rest.request_body("decode", {"codes": codes}, "instances") == {
        "signature_name": "decode", "instances": [[0.5, -1.0]]}
    with pytest.raises(ConfigError, match="'inputs' \\(columnar\\) or 'instances' \\(row\\)"):
        rest.request_body("decode", {"codes": codes}, "rows")


def test_the_server_side_reads_request_bodies_by_tf_serving_rules():
    generate = generate_signature()
    rows = rest.inputs_from_request_body(
        {"instances": [{"seeds": 1, "labels": 3}, {"seeds": 2, "labels": 4}]}, generate)
    np.testing.assert_array_equal(rows["seeds"], [1, 2])
    assert rows["seeds"].dtype == np.int64 and rows["labels"].dtype == np.int32
    columns = rest.inputs_from_request_body({"inputs": {"seeds": [1], "labels": [3]}}, generate)
    assert columns["labels"].tolist() == [3]
    for body, message in [
        ({"inputs": {"seeds": [1]}, "instances": []}, "exactly one of 'instances'"),
        ({"signature_name": "generate"}, "exactly one of 'instances'"),
        ({"instances": [{"seeds": 1}]}, "instance 0 has inputs \\['seeds'\\]"),
        ({"instances": [1, 2]}, "each instance must be an object"),
        ({"inputs": {"seeds": [1.5], "labels": [0]}}, "must be whole numbers"),
        ({"inputs": {"seeds": [1], "labels": [0], "x": [0]}}, "input size does not match"),
        ({"inputs": {"seeds": [[1], [2, 3]], "labels": [0]}}, "cannot be read as"),
    ]:
        with pytest.raises(ShapeError, match=message):
            rest.inputs_from_request_body(body, generate)


def test_response_bodies_are_read_in_both_formats():
    generate = generate_signature()
    images = np.arange(8, dtype=np.float32).reshape(2, 2, 2, 1) / 8.0
    codes = np.ones([2, 3], np.float32)
    rows = {"predictions": [{"images": images[i].tolist(), "codes": codes[i].tolist()}
                            for i in range(2)]}
    columns = {"outputs": {"images": images.tolist(), "codes": codes.tolist()}}
    for body in (rows, columns):
        out = rest.outputs_from_response_body(body, generate)
        np.testing.assert_array_equal(out["images"], images)
        assert out["codes"].dtype == np.float32 and out["codes"].shape == (2, 3)
    assert rest.response_body_from_outputs({"images": images, "codes": codes}, "instances") \
        == rows
    assert rest.response_body_from_outputs({"images": images, "codes": codes}) == columns
    # A single output is answered without its name.
    decode = Signature("decode", {"codes": TensorInfo("codes", "DT_FLOAT", (None, 3))},
                       {"images": TensorInfo("images", "DT_FLOAT", (None, 2, 2, 1))})
    for body in ({"predictions": images.tolist()}, {"outputs": images.tolist()}):
        np.testing.assert_array_equal(rest.outputs_from_response_body(body, decode)["images"],
                                      images)
    assert rest.response_body_from_outputs({"images": images}, "instances") == {
        "predictions": images.tolist()}
    with pytest.raises(ServingError, match="TF Serving: Servable not found"):
        rest.outputs_from_response_body({"error": "Servable not found"}, decode)
    with pytest.raises(ServingError, match="do not match signature 'generate'"):
        rest.outputs_from_response_body({"outputs": {"images": []}}, generate)


# ----------------------------------------------------------------------- REST client
@pytest.mark.parametrize("fmt", ["inputs", "instances"])
def test_rest_client_predicts_through_the_http_api(rest_server, servable, fmt):
    client = RestClient(rest_server["address"], "vae")
    images = _images()
    out = client.predict({"images": images}, signature="encode", fmt=fmt)
    expected = servable.run("encode", {"images": images})
    assert set(out) == {"mean", "log_var", "sample"}
    for name, value in expected.items():
        np.testing.assert_allclose(out[name], value, atol=1e-6)
    method, path, body = rest_server["seen"][-1]
    assert (method, path) == ("POST", "/v1/models/vae:predict")
    assert body["signature_name"] == "encode" and fmt in body
    # A pinned version goes in the URL.
    pinned = RestClient(f"http://{rest_server['address']}/", "vae", version=1)
    decoded = pinned.predict({"codes": np.zeros([2, 2], np.float32)}, signature="decode",
                             fmt=fmt)
    assert decoded["images"].shape == (2, 8, 8, 1)
    assert rest_server["seen"][-1][1] == "/v1/models/vae/versions/1:predict"
    assert ("GET", "/v1/models/vae/versions/1/metadata", None) in rest_server["seen"]


def test_rest_client_refuses_bad_input_before_sending(rest_server):
    client = RestClient(rest_server["address"], "vae")
    client.signatures()
    before = len(rest_server["seen"])
    with pytest.raises(ShapeError, match=r"expects shape \(batch, 8, 8, 1\)"):
        client.predict({"images": np.zeros([1, 28, 28, 1], np.float32)}, signature="encode")
    with pytest.raises(ConfigError, match="has no signature 'encdoe'. Did you mean 'encode'"):
        client.predict({"images": _images()}, signature="encdoe")
    assert len(rest_server["seen"]) == before


def test_server_errors_reach_the_client_as_one_clear_message(rest_server):
    with pytest.raises(ServingError, match="HTTP 404 for model 'nope': Servable not found"):
        RestClient(rest_server["address"], "nope").signatures()
    # A request the client would refuse, sent anyway: the signature itself rejects the
    # shape and names the one it expects.
    client = RestClient(rest_server["address"], "vae")
    body = {"signature_name": "encode", "inputs": {"images": np.zeros([1, 4, 4, 1]).tolist()}}
    with pytest.raises(ServingError, match=r"HTTP 400 .*\[1,4,4,1\] is not compatible with "
                                           r"expected shape \[\?,8,8,1\]") as raised:
        client._call(f"{client._model_url()}:predict", body)
    assert "\n" not in str(raised.value)
    with pytest.raises(ServingError, match="cannot reach TF Serving's REST API"):
        RestClient(f"127.0.0.1:{_free_port()}", "vae", timeout=5).signatures()


# ----------------------------------------------------------------------- gRPC
def test_predict_request_protos():
    pytest.importorskip("tensorflow_serving.apis.predict_pb2")
    from tfhybrids.serving import grpc_client

    inputs = prepare_inputs(generate_signature(), {"seeds": [7, 8], "labels": [1, 2]})
    request = grpc_client.predict_request("cvae", "generate", inputs, version=3)
    assert request.model_spec.name == "cvae"
    assert request.model_spec.signature_name == "generate"
    assert request.model_spec.version.value == 3
    assert request.inputs["seeds"].dtype == tf.int64.as_datatype_enum
    assert request.inputs["labels"].dtype == tf.int32.as_datatype_enum
    assert [d.size for d in request.inputs["seeds"].tensor_shape.dim] == [2]
    np.testing.assert_array_equal(tf.make_ndarray(request.inputs["labels"]), [1, 2])
    metadata = grpc_client.metadata_request("cvae")
    assert list(metadata.metadata_field) == ["signature_def"]


def test_grpc_client_predicts_through_the_prediction_service(grpc_server, servable):
    from tfhybrids.serving.grpc_client import GrpcClient

    client = GrpcClient(grpc_server["address"], "vae")
    assert client.signatures() == servable.signatures
    images = _images()
    out = client.predict({"images": images}, signature="reconstruct")
    np.testing.assert_allclose(out["images"], servable.run("reconstruct", {"images": images})[
        "images"], atol=1e-6)
    generated = client.predict({"seeds": np.array([4, 4], np.int64)}, signature="generate")
    np.testing.assert_array_equal(generated["images"][0], generated["images"][1])
    request = grpc_server["seen"][-1]
    assert request.model_spec.signature_name == "generate"
    before = len(grpc_server["seen"])
    with pytest.raises(ShapeError, match="has no input 'seed'"):
        client.predict({"seed": np.array([4])}, signature="generate")
    assert len(grpc_server["seen"]) == before
    with pytest.raises(ServingError, match="NOT_FOUND for model 'nope'"):
        GrpcClient(grpc_server["address"], "nope").signatures()
    client.close()


def test_grpc_server_errors_and_unreachable_servers_are_clear(grpc_server):
    from tfhybrids.serving import grpc_client

    client = grpc_client.GrpcClient(grpc_server["address"], "vae")
    request = grpc_client.predict_request("vae", "encode",
                                          {"images": np.zeros([1, 4, 4, 1], np.float32)})
    with pytest.raises(ServingError, match=r"INVALID_ARGUMENT.*expected shape \[\?,8,8,1\]"):
        client._call(client.stub.Predict, request)
    # Past the client's checks, the signature itself refuses NaN and Inf.
    for bad in (np.nan, np.inf):
        request = grpc_client.predict_request("vae", "decode",
                                              {"codes": np.array([[bad, 0.0]], np.float32)})
        with pytest.raises(ServingError, match=r"INVALID_ARGUMENT.*input 'codes' holds NaN or "
                                               r"Inf values"):
            client._call(client.stub.Predict, request)
    with pytest.raises(ServingError, match="cannot reach TF Serving's gRPC API"):
        grpc_client.GrpcClient(f"127.0.0.1:{_free_port()}", "vae", timeout=5).signatures()


# ----------------------------------------------------------------------- the CLI
def test_cli_predict_over_rest_and_grpc(rest_server, grpc_server, servable, tmp_path, capsys):
    images = _images()
    np.save(tmp_path / "images.npy", images)
    expected = servable.run("encode", {"images": images})
    for extra in (["--server", rest_server["address"]],
                  ["--server", rest_server["address"], "--format", "instances"],
                  ["--server", grpc_server["address"], "--protocol", "grpc"],
                  ["--saved-model", servable.path]):
        out = tmp_path / "out.npz"
        code = cli.main(["predict", *extra, "--model", "vae", "--signature", "encode",
                         "--input", str(tmp_path / "images.npy"), "--output", str(out)])
        assert code == 0, extra
        with np.load(out) as served:
            for name, value in expected.items():
                np.testing.assert_allclose(served[name], value, atol=1e-6, err_msg=str(extra))
    printed = capsys.readouterr().out
    assert "mean: float32 (3, 2)" in printed and "Wrote " in printed


def test_cli_predict_takes_literal_inputs_and_lists_signatures(rest_server, capsys):
    server = ["--server", rest_server["address"], "--model", "vae"]
    assert cli.main(["predict", *server, "--signature", "generate",
                     "--input", "seeds=[3, 4, 3]"]) == 0
    out = capsys.readouterr().out
    assert "images: float32 (3, 8, 8, 1)" in out and "codes: float32 (3, 2)" in out
    assert cli.main(["predict", *server, "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "decode(codes float32 (batch, 2)) -> images float32 (batch, 8, 8, 1)" in listed
    assert len(listed) == 5 and any(line.startswith("serving_default(images") for line in listed)


@pytest.mark.parametrize("args, message", [
    (["--signature", "encode", "--input", "BIG"], "input 'images' expects shape (batch, 8, 8, 1), "
                                                  "got (2, 28, 28, 1)."),
    (["--signature", "encode", "--input", "imgs=BIG"], "has no input 'imgs'. Did you mean "
                                                       "'images'?"),
    (["--signature", "encdoe", "--input", "BIG"], "has no signature 'encdoe'. Did you mean "
                                                  "'encode'?"),
    (["--signature", "generate", "--input", "seeds=[1.5]"], "takes int64 values, got float64"),
    (["--signature", "generate"], "give the inputs of 'generate' with --input"),
    (["--signature", "generate", "--input", 'seeds=["a"]'],
     "takes int64 values, got strings (e.g. 'a'); send whole numbers"),
    (["--signature", "decode", "--input", "codes=[[NaN, 0], [1, 2]]"],
     "input 'codes' holds NaN (1 value(s), the first at [0, 0]); send finite numbers."),
    (["--signature", "decode", "--input", "codes=[[1, 0], [-Infinity, 2]]"],
     "input 'codes' holds Inf (1 value(s), the first at [1, 0])"),
    (["--signature", "encode", "--input", "NANS"], "input 'images' holds NaN (128 value(s)"),
    (["--signature", "generate", "--input", "nothing.npy"], "no such file, and not a JSON value"),
])
def test_cli_predict_errors_are_one_line(rest_server, tmp_path, capsys, args, message):
    np.save(tmp_path / "big.npy", np.zeros([2, 28, 28, 1], np.float32))
    np.save(tmp_path / "nans.npy", np.full([2, 8, 8, 1], np.nan, np.float32))
    args = [a.replace("BIG", str(tmp_path / "big.npy")).replace("NANS", str(tmp_path / "nans.npy"))
            for a in args]
    with warnings.catch_warnings():
        # An all-NaN batch once leaked numpy's "All-NaN slice" RuntimeWarning.
        warnings.simplefilter("error", RuntimeWarning)
        code = cli.main(["predict", "--server", rest_server["address"], "--model", "vae", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_predict_needs_a_model_name_for_a_server(capsys):
    assert cli.main(["predict", "--server", "localhost:8501", "--input", "[1]"]) == 2
    assert "--model is required with --server" in capsys.readouterr().err


def test_the_example_client_script_runs_against_the_rest_api(rest_server, tmp_path):
    out = tmp_path / "samples.npz"
    argv = [os.path.join(REPO, "serving", "client.py"), "--server", rest_server["address"],
            "--model", "vae", "--num", "4", "--out", str(out)]
    # The REST client needs no TensorFlow: the script must not import it.
    script = (f"import runpy, sys; sys.argv = {argv!r}\n"
              "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
              "except SystemExit as done:\n    assert done.code == 0, done.code\n"
              "assert 'tensorflow' not in sys.modules, 'imported tensorflow'\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "generate(seeds int64 (batch,)) -> codes float32 (batch, 2)" in result.stdout
    with np.load(out) as saved:
        assert saved["generated_images"].shape == (4, 8, 8, 1)
        assert saved["encoded_mean"].shape == (4, 2)


# ----------------------------------------------------------------------- models.config
def _parse_config(text):
    model_server_config_pb2 = pytest.importorskip(
        "tensorflow_serving.config.model_server_config_pb2")
    from google.protobuf import text_format

    return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())


def test_models_config_lists_every_export(export, tmp_path, capsys):
    base = str(tmp_path / "models")
    shutil.copytree(os.path.dirname(export["path"]), os.path.join(base, "vae"))
    shutil.copytree(os.path.dirname(export["path"]), os.path.join(base, "aae"))
    os.makedirs(os.path.join(base, "empty", "1"))          # no saved_model.pb: not an export
    path, text = write_models_config(base)
    assert path == os.path.join(base, "models.config")
    config = _parse_config(open(path).read())
    entries = {c.name: c for c in config.model_config_list.config}
    assert set(entries) == {"aae", "vae"}
    assert entries["vae"].base_path == os.path.join(os.path.abspath(base), "vae")
    assert entries["vae"].model_platform == "tensorflow"
    assert not entries["vae"].HasField("model_version_policy")

    assert cli.main(["serving-config", base, "--base-path", "/models", "--model", "vae",
                     "--all-versions", "--output", "-"]) == 0
    config = _parse_config(capsys.readouterr().out)
    (entry,) = config.model_config_list.config
    assert (entry.name, entry.base_path) == ("vae", "/models/vae")
    assert entry.model_version_policy.HasField("all")

    with pytest.raises(ConfigError, match="no export named nope"):
        write_models_config(base, names=["nope"])
    with pytest.raises(ConfigError, match="holds no exports"):
        write_models_config(os.path.join(base, "empty"))
    assert cli.main(["serving-config", str(tmp_path / "missing")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_the_repository_models_config_is_valid():
    with open(os.path.join(REPO, "serving", "models.config")) as f:
        text = f.read()
    config = _parse_config(text)
    names = [c.name for c in config.model_config_list.config]
    assert names and all(c.base_path == f"/models/{c.name}"
                         for c in config.model_config_list.config)
    # It is what the generator writes for these names.
    assert text == models_config_text({n: f"/models/{n}" for n in names})
