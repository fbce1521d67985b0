"""The `tfhybrids predict` and `tfhybrids serving-config` subcommands.

    tfhybrids predict --server localhost:8501 --model aae --signature encode --input x.npy
    tfhybrids predict --server localhost:8500 --protocol grpc --model aae \\
        --signature generate --input 'seeds=[1, 2, 3]' --output samples.npz
    tfhybrids predict --saved-model runs/aae_digits/export/aae --list
    tfhybrids serving-config serving_models --base-path /models

Imports here are kept light (numpy and the standard library): the REST client needs no
TensorFlow, and every `tfhybrids` command builds these parsers.
"""

import json
import os
import re

from tfhybrids.errors import ConfigError, ShapeError

_NAMED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def _load_value(text, name=None):
    """An array from a .npy/.npz/.json file or a JSON literal such as [1, 2, 3]."""
    import numpy as np

    if os.path.exists(text):
        if text.endswith(".npz"):
            with np.load(text) as archive:
                arrays = {key: archive[key] for key in archive.files}
            if name is not None:
                if name in arrays:
                    return arrays[name]
                if len(arrays) == 1:
                    return next(iter(arrays.values()))
                raise ConfigError(f"{text} has arrays {sorted(arrays)}, none named '{name}'.")
            return arrays
        if text.endswith(".json"):
            with open(text) as f:
                value = json.load(f)
            return value if isinstance(value, dict) and name is None else np.asarray(value)
        try:
            return np.load(text, allow_pickle=False)
        except ValueError as error:
            raise ConfigError(f"cannot read {text} as a .npy array ({error}); use .npy, "
                              ".npz or .json.") from None
    try:
        return np.asarray(json.loads(text))
    except ValueError:
        raise ConfigError(f"--input {text!r}: no such file, and not a JSON value such as "
                          "[1, 2, 3].") from None


def parse_inputs(items):
    """{name or None: array} from --input items `[NAME=]FILE|JSON`.

    A bare .npz or JSON-object file gives its arrays by name; a bare .npy gives the array of
    a single-input signature (key None).
    """
    inputs = {}
    for item in items:
        match = _NAMED.match(item)
        if match and not os.path.exists(item):
            name, text = match.groups()
            inputs[name] = _load_value(text, name)
            continue
        value = _load_value(item)
        if isinstance(value, dict):
            inputs.update(value)
        else:
            if None in inputs:
                raise ConfigError("more than one unnamed --input: name them, "
                                  "e.g. --input seeds=s.npy --input labels=l.npy.")
            inputs[None] = value
    return inputs


def _name_inputs(inputs, signature):
    if None not in inputs:
        return inputs
    if len(signature.inputs) != 1:
        raise ShapeError(f"signature '{signature.name}' has inputs "
                         f"{', '.join(signature.inputs)}: name each --input (NAME=FILE).")
    named = dict(inputs)
    named[next(iter(signature.inputs))] = named.pop(None)
    return named


def _summary(name, array, limit=24):
    import numpy as np

    array = np.asarray(array)
    line = f"{name}: {array.dtype} {tuple(array.shape)}"
    if array.size and array.dtype.kind in "fiub":
        line += f"  min {array.min():.4g}  max {array.max():.4g}"
    if array.size <= limit:
        line += f"\n  {np.array2string(array, precision=4, separator=', ')}"
    return line


class _LocalClient:
    """A LocalServable behind the same request path as a server: the request body is
    encoded, decoded by the server's rules, run, and the response decoded by the client."""

    def __init__(self, path, protocol):
        from tfhybrids.serving.local import LocalServable

        self.servable = LocalServable(path)
        self.model = self.servable.model_name
        self.protocol = protocol

    def signatures(self):
        return self.servable.signatures

    def predict(self, inputs, signature, fmt="inputs"):
        from tfhybrids.serving import rest
        from tfhybrids.serving.errors import ServingError
        from tfhybrids.serving.signatures import prepare_inputs, select_signature

        spec = select_signature(self.signatures(), signature, f"model '{self.model}'")
        prepared = prepare_inputs(spec, inputs)
        if self.protocol == "grpc":
            from tfhybrids.serving import grpc_client

            request = grpc_client.predict_request(self.model, spec.name, prepared)
            return grpc_client.outputs_from_response(self.servable.handle_grpc_predict(request))
        body = json.loads(rest.dumps(rest.request_body(spec.name, prepared, fmt)))
        status, answer = self.servable.handle_rest(body)
        if status != 200:
            raise ServingError(f"the SavedModel refused the request: {answer.get('error')}")
        return rest.outputs_from_response_body(json.loads(rest.dumps(answer)), spec)


def _client(args):
    if args.saved_model:
        return _LocalClient(args.saved_model, args.protocol)
    if not args.model:
        raise ConfigError("--model is required with --server: the model name the server "
                          "serves (its --model_name or models.config name).")
    if args.protocol == "grpc":
        from tfhybrids.serving.grpc_client import GrpcClient

        return GrpcClient(args.server, args.model, version=args.version, timeout=args.timeout)
    from tfhybrids.serving.rest import RestClient

    return RestClient(args.server, args.model, version=args.version, timeout=args.timeout)


def cmd_predict(args):
    from tfhybrids.serving.signatures import select_signature

    client = _client(args)
    signatures = client.signatures()
    if args.list:
        for name in sorted(signatures):
            print(signatures[name].describe())
        return 0
    if not args.input:
        spec = select_signature(signatures, args.signature, f"model '{client.model}'")
        raise ConfigError(f"give the inputs of '{spec.name}' with --input "
                          f"([NAME=]FILE.npy|.npz|.json or a JSON literal); it takes "
                          f"{', '.join(f'{k} {v.describe()}' for k, v in spec.inputs.items())}.")
    spec = select_signature(signatures, args.signature, f"model '{client.model}'")
    inputs = _name_inputs(parse_inputs(args.input), spec)
    if args.protocol == "grpc":
        outputs = client.predict(inputs, signature=spec.name)
    else:
        outputs = client.predict(inputs, signature=spec.name, fmt=args.format)
    for name, value in outputs.items():
        print(_summary(name, value))
    if args.output:
        import numpy as np

        np.savez(args.output, **outputs)
        print(f"Wrote {', '.join(outputs)} to {args.output}")
    return 0


def cmd_serving_config(args):
    from tfhybrids.serving.config import write_models_config

    path, text = write_models_config(args.base, output=args.output, base_path=args.base_path,
                                     names=args.model, all_versions=args.all_versions)
    if path is None:
        print(text, end="")
        return 0
    path = os.path.abspath(path)
    base = os.path.abspath(args.base)
    print(f"Wrote {path}. Serve it with:")
    if args.base_path and os.path.dirname(path) == base:
        print(f"  docker run -p 8500:8500 -p 8501:8501 -v {base}:{args.base_path} "
              f"tensorflow/serving --model_config_file="
              f"{args.base_path.rstrip('/')}/{os.path.basename(path)}")
    else:
        print(f"  tensorflow_model_server --port=8500 --rest_api_port=8501 "
              f"--model_config_file={path}")
    return 0


def register(subparsers):
    """Adds `predict` and `serving-config` to the `tfhybrids` command."""
    predict = subparsers.add_parser(
        "predict", help="call a signature of a served model (TF Serving REST or gRPC)",
        description="Calls a signature of a model served by TensorFlow Serving (or of a local "
                    "export, with --saved-model) and prints or saves its outputs. The inputs "
                    "are checked against the signature's metadata before anything is sent. "
                    "Images are float32 in [0, 1].")
    target = predict.add_mutually_exclusive_group(required=True)
    target.add_argument("--server", help="HOST:PORT of TF Serving (REST 8501, gRPC 8500)")
    target.add_argument("--saved-model", metavar="DIR",
                        help="run a local export (<base>/<name>[/<version>]) through the "
                             "server's request and response format; no server needed")
    predict.add_argument("--model", help="model name on the server (e.g. aae)")
    predict.add_argument("--version", type=int, help="model version (default: the latest)")
    predict.add_argument("--signature", default="serving_default",
                         help="signature to call (default: serving_default)")
    predict.add_argument("--input", action="append", default=[], metavar="[NAME=]VALUE",
                         help="an input: a .npy/.npz/.json file or a JSON literal, e.g. "
                              "images.npy or 'seeds=[1, 2, 3]' (repeatable; name it when the "
                              "signature has several inputs)")
    predict.add_argument("--protocol", choices=("rest", "grpc"), default="rest",
                         help="REST (port 8501) or gRPC (port 8500); default rest")
    predict.add_argument("--format", choices=("inputs", "instances"), default="inputs",
                         help="REST body: columnar 'inputs' or row 'instances'")
    predict.add_argument("--output", metavar="FILE.npz", help="save the outputs here")
    predict.add_argument("--list", action="store_true",
                         help="list the model's signatures and exit")
    predict.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    predict.set_defaults(func=cmd_predict)

    config = subparsers.add_parser(
        "serving-config", help="write a TF Serving models.config for a folder of exports",
        description="Writes TF Serving's model_config_list for every <name>/<version>/ "
                    "export under BASE, to serve them all from one server.")
    config.add_argument("base", help="folder of exports, e.g. the --base of tfhybrids export")
    config.add_argument("--output", help="file to write (default BASE/models.config; '-' "
                                         "prints it)")
    config.add_argument("--base-path", help="where BASE is as the server sees it, e.g. "
                                            "/models in the container (default: BASE's "
                                            "absolute path)")
    config.add_argument("--model", action="append",
                        help="only this model (repeatable; default: every export)")
    config.add_argument("--all-versions", action="store_true",
                        help="serve every version, not only the latest")
    config.set_defaults(func=cmd_serving_config)
