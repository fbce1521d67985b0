"""A small client of a tfhybrids model served by TensorFlow Serving.

Lists the model's signatures, generates a few samples from seeds, encodes them back and
saves everything to an .npz file:

    python serving/client.py --server localhost:8501 --model aae
    python serving/client.py --server localhost:8500 --grpc --model aae --out aae.npz

The REST path needs only numpy and tfhybrids' serving package (no TensorFlow); gRPC needs
tensorflow-serving-api. For single calls from the shell, `tfhybrids predict` does the same.
"""

import argparse
import sys

import numpy as np

from tfhybrids.errors import TfhybridsError
from tfhybrids.serving.rest import RestClient


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="localhost:8501",
                        help="HOST:PORT (REST 8501, gRPC 8500)")
    parser.add_argument("--model", required=True, help="model name on the server")
    parser.add_argument("--grpc", action="store_true", help="use gRPC instead of REST")
    parser.add_argument("--num", type=int, default=8, help="samples to generate")
    parser.add_argument("--out", default="samples.npz", help="where to save the results")
    args = parser.parse_args(argv)

    if args.grpc:
        from tfhybrids.serving.grpc_client import GrpcClient

        client = GrpcClient(args.server, args.model)
    else:
        client = RestClient(args.server, args.model)
    try:
        signatures = client.signatures()
        for name in sorted(signatures):
            print(signatures[name].describe())
        results = {}
        if "generate" in signatures:
            inputs = {"seeds": np.arange(args.num, dtype=np.int64)}
            if "labels" in signatures["generate"].inputs:
                inputs["labels"] = np.arange(args.num, dtype=np.int32) % 10
            generated = client.predict(inputs, signature="generate")
            results.update({f"generated_{k}": v for k, v in generated.items()})
            if "encode" in signatures and "images" in generated:
                codes = client.predict({"images": generated["images"]}, signature="encode")
                results.update({f"encoded_{k}": v for k, v in codes.items()})
    except TfhybridsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, value in results.items():
        print(f"{name}: {value.dtype} {value.shape}")
    np.savez(args.out, **results)
    print(f"Saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
