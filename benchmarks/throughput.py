"""Training throughput of each model family: Keras `fit` against a plain tf.function loop.

For each model config (the `configs/<model>_fashion_mnist.yaml` that exist, at their real
network sizes), on synthetic 28x28x1 batches held in memory so input reading costs nothing:

- steps/s and images/s in steady state under `fit` (first epoch, which traces and compiles,
  excluded), and under a plain loop that calls the same train step in a `tf.function` with no
  framework around it (no callbacks, no iterator, no logs),
- FLOPs per step, counted by TensorFlow's profiler on the traced train-step graph (forward and
  backward of every player),
- the achieved fraction of this machine's fp32 matrix-multiply rate, measured here.

Writes a markdown table (default docs/performance.md) and prints it.

    python benchmarks/throughput.py [--batch 128] [--steps 30] [--models vae aae ...]
"""

import argparse
import glob
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gemm_rate(size=2048, repeats=20):
    """fp32 GFLOP/s of a size x size matrix multiply on this machine."""
    a = tf.random.normal([size, size])
    b = tf.random.normal([size, size])
    matmul = tf.function(lambda: tf.matmul(a, b))
    matmul().numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = matmul()
    result.numpy()
    elapsed = time.perf_counter() - start
    return 2.0 * size**3 * repeats / elapsed / 1e9


def count_flops(concrete_function):
    """Floating-point operations in a traced function's graph (TF profiler)."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    info = model_analyzer.profile(graph=concrete_function.graph, options=options)
    return info.total_float_ops


def build(config_path, batch_size):
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import build_model

    config = load_config(config_path, [f"data.batch_size={batch_size}"])
    model = build_model(config, (28, 28, 1), num_classes=10)
    return model


def synthetic_batch(batch_size):
    rng = np.random.default_rng(0)
    x = np.tanh(rng.normal(size=(batch_size, 28, 28, 1))).astype("float32")
    y = rng.integers(0, 10, size=(batch_size,)).astype("int32")
    return tf.constant(x), tf.constant(y)


class _Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.last = time.perf_counter() - self.start


def time_fit(model, batch, steps):
    dataset = tf.data.Dataset.from_tensors(batch).repeat()
    timer = _Timer()
    model.fit(dataset, epochs=2, steps_per_epoch=steps, verbose=0, callbacks=[timer],
              shuffle=False)
    return steps / timer.last


def time_plain_loop(model, batch, steps):
    step = tf.function(model.train_step)
    concrete = step.get_concrete_function(batch)
    for _ in range(3):
        logs = step(batch)
    [v.numpy() for v in logs.values()]
    start = time.perf_counter()
    for _ in range(steps):
        logs = step(batch)
    [v.numpy() for v in logs.values()]
    return steps / (time.perf_counter() - start), concrete


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--models", nargs="*", help="config stems, e.g. vae aae dcgan")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "performance.md"))
    args = parser.parse_args(argv)

    configs = sorted(glob.glob(os.path.join(REPO, "configs", "*_fashion_mnist.yaml")))
    if args.models:
        configs = [c for c in configs
                   if os.path.basename(c).replace("_fashion_mnist.yaml", "") in args.models]
    rate = gemm_rate()
    print(f"fp32 GEMM rate: {rate:.1f} GFLOP/s")
    rows = []
    started = time.perf_counter()
    for path in configs:
        name = os.path.basename(path).replace("_fashion_mnist.yaml", "")
        batch = synthetic_batch(args.batch)
        model = build(path, args.batch)
        fit_rate = time_fit(model, batch, args.steps)
        plain_model = build(path, args.batch)
        plain_rate, concrete = time_plain_loop(plain_model, batch, args.steps)
        flops = count_flops(concrete)
        achieved = flops * fit_rate / 1e9
        rows.append((name, type(model).__name__, fit_rate, fit_rate * args.batch, plain_rate,
                     fit_rate / plain_rate, flops / 1e9, achieved, achieved / rate))
        print(f"{name:22s} fit {fit_rate:6.2f} steps/s  plain {plain_rate:6.2f} steps/s  "
              f"ratio {fit_rate / plain_rate:4.2f}  {flops / 1e9:7.2f} GFLOP/step  "
              f"{100 * achieved / rate:5.1f}% of GEMM")
    elapsed = time.perf_counter() - started

    lines = [
        "# Training throughput",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}; no GPU. Measured fp32 GEMM rate (2048², TF): "
        f"**{rate:.1f} GFLOP/s**.",
        "",
        f"Batch {args.batch} of 28×28×1 synthetic images held in memory; {args.steps} timed "
        "steps after a warm-up epoch; the networks of each `configs/<model>_fashion_mnist.yaml`."
        " FLOPs are counted by TensorFlow's profiler on the traced train-step graph (every "
        "player's forward and backward pass). `fit / plain` is the speed of Keras `fit` over "
        "the same train step called in a bare `tf.function` loop (1.0 = the framework costs "
        "nothing). Timings on these machines vary by about ±15% from run to run.",
        "",
        "| config | class | fit steps/s | fit images/s | plain steps/s | fit / plain | "
        "GFLOP/step | achieved GFLOP/s | of GEMM rate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, cls, fit_rate, images, plain_rate, ratio, gflop, achieved, share in rows:
        lines.append(f"| {name} | {cls} | {fit_rate:.2f} | {images:.0f} | {plain_rate:.2f} | "
                     f"{ratio:.2f} | {gflop:.2f} | {achieved:.1f} | {100 * share:.1f}% |")
    lines += ["", f"The whole benchmark took {elapsed:.0f} s.", ""]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
