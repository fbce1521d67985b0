"""tfhybrids against PyTorch (pythae 0.1.2) on the same networks: equivalence, then speed.

pythae's MNIST benchmark networks (`pythae.models.nn.benchmarks.mnist`: encoder 4 x [Conv 4x4
stride 2 + BN + ReLU] 128-256-512-1024, latent 16; decoder Dense -> 4x4x1024 -> three 3x3
stride-2 ConvTranspose; the conv discriminator without BN for VAE/GAN, pythae's default MLP
discriminator on codes for the AAE) are built in PyTorch (`peers/pythae_worker.py`) and in
Keras (`pythae_keras.py`). The script

1. checks that they compute the same function: the PyTorch weights are copied into the Keras
   copies, and the outputs and the gradients of one backward pass (training mode, batch
   statistics) are compared; it prints the largest errors and stops if one exceeds the
   tolerance. At pythae's widths the PyTorch nets are also checked against pythae's own
   classes.
2. times, in interleaved rounds (every variant once per round, so that the machine's load
   falls on all alike), on Fashion-MNIST (tfhybrids' loader, images in [0, 1] as pythae
   expects them) at batch 128:
   - `pythae`: pythae's own trainer (BaseTrainer, AdversarialTrainer,
     CoupledOptimizerAdversarialTrainer) on its VAE, Adversarial_AE and VAEGAN, fp32;
   - `torch bf16`: a plain PyTorch loop over the same pythae models under
     `torch.autocast("cpu", torch.bfloat16)`;
   - tfhybrids' VAE, AAE and VAEGAN classes around the Keras copies, trained with `fit`, in
     fp32 and under `mixed_bfloat16`;
   - the 2048^2 matrix-multiply rate of both frameworks, fp32 and bf16, in the same rounds.
3. writes the table into docs/performance.md (between the markers it puts there).

The figures are images/s of the median step of each round. PyTorch runs in its own venv, as a
subprocess that answers JSON requests: the script makes the venv if it is missing
(`python3 -m venv` + `pip install torch==2.13.0 pythae==0.1.2`); neither enters tfhybrids'
dependencies.

Departures, which cost the same work: pythae's VAE loss is 0.5 * squared error + KL, tfhybrids'
VAE uses its Gaussian likelihood with observation_std 1 (the same up to a constant); pythae's
AAE encoder has a log-variance head and samples z, tfhybrids' AAE is deterministic (paper §2)
and has no such head (2 x 1024 x 16 FLOPs a row); pythae's AAE updates the autoencoder with
its reconstruction and adversarial losses together, tfhybrids' runs the paper's three phases.

    python benchmarks/vs_pytorch.py [--steps 8] [--rounds 2] [--filters-scale full|small]
        [--models vae aae vae_gan] [--no-write] [--torch-venv /work/torchvenv]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import flops  # noqa: E402
import pythae_keras  # noqa: E402
import throughput  # noqa: E402

TORCH_VERSION = "2.13.0"
PYTHAE_VERSION = "0.1.2"
DEFAULT_VENV = "/work/torchvenv"
LATENT_DIM = 16
FILTERS = {"full": pythae_keras.PYTHAE_FILTERS, "small": (16, 32, 64, 128)}
MODEL_NAMES = {"vae": "VAE", "aae": "AAE", "vae_gan": "VAE/GAN"}
# tfhybrids-only variants, timed after the model whose PyTorch figures they are compared with
VARIANTS = {"aae": ("aae_shared", "AAE, regularisation_pass: shared")}
# Largest error allowed, relative to the largest magnitude of the PyTorch figure (of the
# network's outputs, of its gradients): fp32 sums
# taken in another order differ by about 1e-6 of it.
TOLERANCE = {"out": 1e-4, "grad": 1e-4}
BEGIN, END = "<!-- vs_pytorch:begin -->", "<!-- vs_pytorch:end -->"


# ---------------------------------------------------------------------- the PyTorch side

def ensure_torch_venv(venv):
    """The PyTorch venv's python, made (torch==2.13.0, pythae==0.1.2) if missing."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print(f"making the PyTorch venv {venv}", flush=True)
        subprocess.run(["python3", "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", f"torch=={TORCH_VERSION}",
                        f"pythae=={PYTHAE_VERSION}"], check=True)
    probe = subprocess.run([python, "-c", "import torch, pythae; print(torch.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        # pythae alone; --no-deps would be needed only if pip wanted another torch
        subprocess.run([python, "-m", "pip", "install", f"pythae=={PYTHAE_VERSION}"], check=True)
        probe = subprocess.run([python, "-c", "import torch; print(torch.__version__)"],
                               capture_output=True, text=True, check=True)
    return python, probe.stdout.strip().splitlines()[-1]


class TorchWorker:
    """peers/pythae_worker.py in the PyTorch venv, one JSON request and answer a line."""

    def __init__(self, python, batch_size, threads, log_path):
        env = dict(os.environ, VS_PYTORCH_BATCH=str(batch_size))
        if threads:
            env["OMP_NUM_THREADS"] = str(threads)
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [python, os.path.join(HERE, "peers", "pythae_worker.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)

    def __call__(self, cmd, **request):
        self.process.stdin.write(json.dumps(dict(request, cmd=cmd)) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the PyTorch worker died; see {self.log.name}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"PyTorch worker, {cmd}: {answer['error']} (see {self.log.name})")
        return answer

    def close(self):
        self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
        self.process.stdin.flush()
        self.process.wait(timeout=60)
        self.log.close()


# ---------------------------------------------------------------------- data

def fashion_mnist(batch_size, num_images, seed=0):
    """tfhybrids' Fashion-MNIST bundle and its first `num_images` train images in [0, 1]."""
    from tfhybrids.data import load_data

    bundle = load_data({"name": "fashion_mnist", "batch_size": batch_size,
                        "train_limit": max(num_images, 10 * batch_size)}, seed=seed)
    images, _ = bundle.arrays("train", limit=num_images)
    return bundle, (images + 1.0) / 2.0


def training_stream(bundle, seed=0):
    """tfhybrids' training stream (as `tfhybrids train` feeds fit), in [0, 1] like pythae's."""
    from tfhybrids.training.data_stream import train_stream

    return train_stream(bundle, seed).map(lambda x, *rest: ((x + 1.0) / 2.0, *rest))


# ---------------------------------------------------------------------- equivalence

def keras_networks(filters):
    return {"encoder": pythae_keras.encoder(filters, LATENT_DIM),
            "decoder": pythae_keras.decoder(filters, LATENT_DIM),
            "discriminator": pythae_keras.discriminator(filters),
            "latent_discriminator": pythae_keras.latent_discriminator(LATENT_DIM)}


def to_nhwc(array):
    return array.transpose(0, 2, 3, 1) if array.ndim == 4 else array


def check_equivalence(worker, filters, images, work, batch=16, seed=1, verbose=False):
    """Copies the PyTorch weights into the Keras copies and compares outputs and gradients.
    Returns {network: (output error, gradient error)} (relative), raising if one is over."""
    rng = np.random.default_rng(seed)
    x_nchw = images[:batch].transpose(0, 3, 1, 2).copy()
    z = rng.standard_normal((batch, LATENT_DIM)).astype(np.float32)
    output_shapes = {"encoder": (batch, 2 * LATENT_DIM), "decoder": (batch, 1, 28, 28),
                     "discriminator": (batch, 1), "latent_discriminator": (batch, 1)}
    weights_r = {f"r_{name}": rng.standard_normal(shape).astype(np.float32)
                 for name, shape in output_shapes.items()}
    inputs, output = os.path.join(work, "check_in.npz"), os.path.join(work, "check_out.npz")
    np.savez(inputs, x=x_nchw, z=z, **weights_r)
    answer = worker("check", inputs=inputs, output=output)
    for name, error in answer["pythae_classes_max_abs_error"].items():
        print(f"  pythae's own {name} class vs the worker's: max |error| {error:.2e}")
        if error > 0:
            raise RuntimeError(f"the PyTorch {name} is not pythae's class")
    torch_arrays = dict(np.load(output))
    feeds = {"encoder": images[:batch], "decoder": z, "discriminator": images[:batch],
             "latent_discriminator": z}
    errors = {}
    for name, network in keras_networks(filters).items():
        prefix = f"w/{name}/"
        pythae_keras.load_torch_weights(
            network, name, {k[len(prefix):]: v for k, v in torch_arrays.items()
                            if k.startswith(prefix)})
        r = tf.constant(to_nhwc(weights_r[f"r_{name}"]))
        with tf.GradientTape() as tape:
            out = network(feeds[name], training=True)
            if "discriminator" in name:
                out = tf.sigmoid(out)  # pythae's nets end in the sigmoid of the logit
            loss = tf.reduce_sum(out * r)
        variables = [v for layer in network.layers for v in layer.trainable_weights]
        keys = [(layer.name, i) for layer in network.layers
                for i, _ in enumerate(layer.trainable_weights)]
        grads = dict(zip(keys, tape.gradient(loss, variables)))
        prefix = f"grad/{name}/"
        expected = pythae_keras.torch_gradients(
            name, {k[len(prefix):]: v for k, v in torch_arrays.items() if k.startswith(prefix)})
        if set(expected) != set(grads):
            raise RuntimeError(f"{name}: the Keras copy's weights {sorted(grads)} are not the "
                               f"PyTorch net's {sorted(expected)}")
        reference = to_nhwc(torch_arrays[f"out/{name}"])
        out_error = np.abs(out.numpy() - reference).max() / np.abs(reference).max()
        # Relative to the network's largest gradient: a convolution's bias before batch norm
        # has a gradient of zero in exact arithmetic, which each side rounds differently.
        scale = max(np.abs(g).max() for g in expected.values())
        per_array = {k: np.abs(grads[k].numpy() - expected[k]).max() / scale for k in expected}
        grad_error = max(per_array.values())
        if verbose:
            for k, e in per_array.items():
                print(f"    {k}: {e:.2e} (largest |grad| {np.abs(expected[k]).max():.2e})")
        errors[name] = (float(out_error), float(grad_error))
        print(f"  {name:22s} outputs: max relative error {out_error:.2e}; gradients "
              f"({len(expected)} arrays): {grad_error:.2e}", flush=True)
        if out_error > TOLERANCE["out"] or grad_error > TOLERANCE["grad"]:
            raise RuntimeError(f"{name}: the Keras copy does not compute PyTorch's function "
                               f"(errors {out_error:.2e}, {grad_error:.2e}; tolerances "
                               f"{TOLERANCE})")
    return errors


# ---------------------------------------------------------------------- tfhybrids' models

def tfhybrids_model(name, filters, policy, seed=0):
    """tfhybrids' VAE, AAE or VAEGAN around the Keras copies, compiled with Adam 1e-4 (pythae's
    default) for every player, built under the dtype policy `policy`. "aae_shared" is the AAE
    with `regularisation_pass="shared"`."""
    from tfhybrids.models import AAE, VAE, VAEGAN
    from tfhybrids.priors import make_prior
    from tfhybrids.training.runner import dtype_policy

    with dtype_policy(policy):
        keras.utils.set_random_seed(seed)
        decoder = pythae_keras.decoder(filters, LATENT_DIM)
        if name == "vae":
            model = VAE(pythae_keras.encoder(filters, LATENT_DIM), decoder, LATENT_DIM,
                        likelihood="gaussian", observation_std=1.0, seed=seed)
        elif name in ("aae", "aae_shared"):
            model = AAE(pythae_keras.encoder(filters, LATENT_DIM, log_variance=False), decoder,
                        pythae_keras.latent_discriminator(LATENT_DIM),
                        make_prior({"name": "gaussian"}, LATENT_DIM), LATENT_DIM, seed=seed,
                        regularisation_pass="shared" if name == "aae_shared" else "per_phase")
        else:
            model = VAEGAN(pythae_keras.encoder(filters, LATENT_DIM), decoder,
                           pythae_keras.discriminator(filters), LATENT_DIM,
                           feature_layer=pythae_keras.FEATURE_LAYER, seed=seed)
        adam = {"name": "adam", "learning_rate": 1e-4}
        model.compile(**{optimizer: adam for optimizer in model.optimizer_names})
    return model


class StepClock(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.stamps = []

    def on_train_batch_begin(self, batch, logs=None):
        if not self.stamps:
            self.stamps.append(time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        self.stamps.append(time.perf_counter())


def fit_step_seconds(model, stream, steps):
    clock = StepClock()
    model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[clock])
    return list(np.diff(clock.stamps))


# ---------------------------------------------------------------------- per-network profile

def keras_pass_times(network, feed, repeats):
    """Median seconds of a forward pass and of a forward + backward pass (gradients of every
    trainable weight and of the input, of sum(output)), training mode, each a tf.function."""
    feed = tf.convert_to_tensor(feed)
    forward = tf.function(lambda x: tf.reduce_sum(tf.cast(network(x, training=True), tf.float32)))

    @tf.function
    def backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.cast(network(x, training=True), tf.float32))
        return tape.gradient(loss, network.trainable_weights + [x])

    times = {}
    for phase, function in (("forward", forward), ("forward+backward", backward)):
        tf.nest.map_structure(lambda t: t.numpy(), function(feed))
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            tf.nest.map_structure(lambda t: t.numpy(), function(feed))
            seconds.append(time.perf_counter() - start)
        times[phase] = float(np.median(seconds))
    return times


def profile_networks(worker, filters, images, batch_size, repeats):
    """Forward and backward time of each network in both frameworks, fp32 and bf16,
    interleaved network by network; printed as a table (ms)."""
    from tfhybrids.training.runner import dtype_policy

    z = np.random.default_rng(0).standard_normal((batch_size, LATENT_DIM)).astype(np.float32)
    feeds = {"encoder": images[:batch_size], "decoder": z, "discriminator": images[:batch_size]}
    print("| network | dtype | TF forward | TF backward | PyTorch forward | PyTorch backward |"
          " TF / PyTorch backward |")
    print("|---|---|---|---|---|---|---|")
    for dtype, policy in (("float32", "float32"), ("bfloat16", "mixed_bfloat16")):
        torch_times = worker("profile", repeats=repeats, dtype=dtype)
        with dtype_policy(policy):
            networks = keras_networks(filters)
        for name in ("encoder", "decoder", "discriminator"):
            tf_times = keras_pass_times(networks[name], feeds[name], repeats)
            tf_back = tf_times["forward+backward"] - tf_times["forward"]
            pt = torch_times[name]
            pt_back = pt["forward+backward"] - pt["forward"]
            print(f"| {name} | {dtype} | {1e3 * tf_times['forward']:.0f} | {1e3 * tf_back:.0f} | "
                  f"{1e3 * pt['forward']:.0f} | {1e3 * pt_back:.0f} | {tf_back / pt_back:.2f} |",
                  flush=True)


# ---------------------------------------------------------------------- table

def column_rates(times, batch_size):
    """images/s of each round's median step."""
    return [batch_size / float(np.median(seconds)) for seconds in times]


def fmt(values, digits=1):
    return " / ".join(f"{v:.{digits}f}" for v in values) if values else "—"


def ratios(a, b):
    return [x / y for x, y in zip(a, b)] if a and b else []


def label(model):
    for base, (variant, text) in VARIANTS.items():
        if model == variant:
            return text
    return MODEL_NAMES[model]


def write_table(args, rates, gemm, gflop_step, errors, header, path):
    rows = []
    for model in [m for name in args.models for m in (name, *VARIANTS.get(name, ())[:1])]:
        r = rates[model]
        best_tf = [max(a, b) for a, b in zip(r["tf fp32"], r["tf bf16"])]
        rows.append(
            f"| {label(model)} | {fmt(r['pythae'])} | {fmt(r['tf fp32'])} | "
            f"{fmt(r['tf bf16'])} | {fmt(r['torch bf16'])} | "
            f"{fmt(ratios(r['tf fp32'], r['pythae']), 2)} | "
            f"{fmt(ratios(best_tf, r['pythae']), 2)} | "
            f"{fmt(ratios(r['tf bf16'], r['torch bf16']), 2)} | "
            f"{gflop_step[model]:.2f} | "
            f"{fmt([gflop_step[model] * v / args.batch for v in r['tf fp32']], 0)} |")
    gemm_line = ("GEMM rates (2048², GFLOP/s, per round) — TensorFlow: fp32 "
                 f"{fmt(gemm['tf float32'], 0)}, bf16 {fmt(gemm['tf bfloat16'], 0)}; PyTorch: "
                 f"fp32 {fmt(gemm['torch float32'], 0)}, bf16 {fmt(gemm['torch bfloat16'], 0)}.")
    check_line = "Equivalence (largest relative error of outputs / of gradients, Keras copy vs PyTorch): " + ", ".join(
        f"{name} {o:.1e} / {g:.1e}" for name, (o, g) in errors.items()) + "."
    table = "\n".join([
        BEGIN,
        "## Against PyTorch (pythae) on the same networks",
        "",
        f"Produced by `python benchmarks/vs_pytorch.py {' '.join(args.argv)}`.".replace("  ", " "),
        "",
        header,
        "",
        "images/s of the median step of each round (r1 / r2 / ...), batch "
        f"{args.batch}, Fashion-MNIST, pythae's MNIST benchmark networks"
        f"{'' if args.filters_scale == 'full' else ' at 1/8 of their widths'}. "
        "`pythae`: pythae's own trainer, fp32. `tfhybrids fit`: tfhybrids' model class and "
        "Keras `fit`, fp32 or `mixed_bfloat16`. `PyTorch bf16`: a plain loop over the pythae "
        "model under `torch.autocast(bfloat16)`. `best / pythae` takes the faster of "
        "tfhybrids' fp32 and bf16 per round. GFLOP/step is tfhybrids' train step counted by "
        "`benchmarks/flops.py` (the ops that run); the last column is tfhybrids' fp32 "
        "GFLOP/s.",
        "",
        "| model | pythae fp32 | tfhybrids fit fp32 | tfhybrids fit bf16 | PyTorch bf16 loop | "
        "tfhybrids fp32 / pythae | tfhybrids best / pythae | tfhybrids bf16 / PyTorch bf16 | "
        "GFLOP/step | tfhybrids fp32 GFLOP/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        gemm_line,
        "",
        check_line,
        END,
    ])
    print(table)
    if path is None:
        return
    text = open(path).read() if os.path.exists(path) else "# Training throughput\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {path}")


# ---------------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="timed steps per variant and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps before the rounds")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--filters-scale", choices=sorted(FILTERS), default="full",
                        help="'small' (1/8 of pythae's widths) for a quick smoke run")
    parser.add_argument("--models", nargs="*", choices=sorted(MODEL_NAMES),
                        default=list(MODEL_NAMES))
    parser.add_argument("--threads", type=int, default=0,
                        help="threads of both frameworks (0: their defaults, every core)")
    parser.add_argument("--torch-venv", default=DEFAULT_VENV)
    parser.add_argument("--note", default="", help="a sentence added to the table's header, "
                        "e.g. about the machine's load")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--profile", type=int, default=0, metavar="REPEATS",
                        help="only time each network's forward and backward pass in both "
                        "frameworks (median of REPEATS), after the equivalence check")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    started, load_before = time.time(), os.getloadavg()[0]
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    filters = FILTERS[args.filters_scale]
    python, torch_version = ensure_torch_venv(args.torch_venv)
    work = tempfile.mkdtemp(prefix="vs_pytorch_")
    num_images = max(args.steps, args.warmup) * args.batch
    bundle, images = fashion_mnist(args.batch, num_images)
    np.savez(os.path.join(work, "images.npz"), x=images.transpose(0, 3, 1, 2).copy())
    worker = TorchWorker(python, args.batch, args.threads, os.path.join(work, "torch.log"))
    try:
        setup = worker("setup", filters=list(filters), latent_dim=LATENT_DIM, seed=0,
                       data=os.path.join(work, "images.npz"))
        print(f"PyTorch {setup['torch']} ({setup['threads']} threads), TensorFlow "
              f"{tf.__version__}, Keras {keras.__version__}; widths {filters}", flush=True)
        print("equivalence of the Keras copies and the PyTorch nets:", flush=True)
        errors = check_equivalence(worker, filters, images, work)

        if args.profile:
            profile_networks(worker, filters, images, args.batch, args.profile)
            return 0
        stream = training_stream(bundle)
        models, gflop_step = {}, {}
        tf_names = {name: [name, *VARIANTS.get(name, ())[:1]] for name in args.models}
        for name in args.models:
            for tf_name in tf_names[name]:
                for policy in ("float32", "mixed_bfloat16"):
                    model = tfhybrids_model(tf_name, filters, policy)
                    fit_step_seconds(model, stream, args.warmup)  # traces
                    models[tf_name, policy] = model
                batch = next(iter(stream.take(1)))
                gflop_step[tf_name] = flops.train_step_flops(models[tf_name, "float32"],
                                                             batch) / 1e9
            for runner in ("pythae", "autocast"):
                worker("time", model=name, runner=runner, steps=args.warmup)
        print("warm-up done; timing", flush=True)

        rates = {tf_name: {k: [] for k in ("pythae", "torch bf16", "tf fp32", "tf bf16")}
                 for name in args.models for tf_name in tf_names[name]}
        gemm = {k: [] for k in ("tf float32", "tf bfloat16", "torch float32", "torch bfloat16")}
        for round_index in range(args.rounds):
            for dtype in ("float32", "bfloat16"):
                gemm[f"tf {dtype}"].append(throughput.gemm_rate(dtype=getattr(tf, dtype)))
                gemm[f"torch {dtype}"].append(worker("gemm", dtype=dtype)["gflops"])
            for name in args.models:
                timed = {
                    "pythae": worker("time", model=name, runner="pythae",
                                     steps=args.steps)["step_seconds"],
                    "tf fp32": fit_step_seconds(models[name, "float32"], stream, args.steps),
                    "torch bf16": worker("time", model=name, runner="autocast",
                                         steps=args.steps)["step_seconds"],
                    "tf bf16": fit_step_seconds(models[name, "mixed_bfloat16"], stream,
                                                args.steps),
                }
                for key, seconds in timed.items():
                    rates[name][key].append(args.batch / float(np.median(seconds)))
                for variant in tf_names[name][1:]:
                    for key, policy in (("tf fp32", "float32"), ("tf bf16", "mixed_bfloat16")):
                        seconds = fit_step_seconds(models[variant, policy], stream, args.steps)
                        rates[variant][key].append(args.batch / float(np.median(seconds)))
                    # compared with the PyTorch figures of the model it varies
                    for key in ("pythae", "torch bf16"):
                        rates[variant][key] = rates[name][key]
                for tf_name in tf_names[name]:
                    print(f"round {round_index + 1} {tf_name}: " + ", ".join(
                        f"{k} {v[-1]:.1f}" for k, v in rates[tf_name].items()) + " images/s",
                        flush=True)
    finally:
        worker.close()
    elapsed = time.time() - started
    header = (f"Machine: {os.cpu_count()} cores ({cpu_flags()}); TensorFlow {tf.__version__}, "
              f"Keras {keras.__version__}, PyTorch {torch_version}, pythae {PYTHAE_VERSION}. "
              f"{args.rounds} rounds of {args.steps} steps per variant after {args.warmup} "
              f"warm-up steps; the run took {elapsed:.0f} s; 1-minute load average "
              f"{load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end. "
              + args.note).strip()
    write_table(args, rates, gemm, gflop_step, errors, header,
                None if args.no_write else os.path.join(REPO, "docs", "performance.md"))
    return 0


def cpu_flags():
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return "CPU flags unknown"
    found = [f for f in ("amx_bf16", "avx512_bf16", "avx512f") if f in flags]
    return ", ".join(found) if found else "no AVX-512 or AMX"


if __name__ == "__main__":
    sys.exit(main())
