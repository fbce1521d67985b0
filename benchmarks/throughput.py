"""Training throughput of each model family: Keras `fit` against a plain tf.function loop.

For each image hybrid of the benchmark table (`configs/<model>_fashion_mnist.yaml` of
`tfhybrids.evaluation.bench.FASHION_MNIST_MODELS`, at their real network sizes), on synthetic
28x28x1 batches held in memory so input reading costs nothing:

- steps/s and images/s in steady state under `fit` (after a warm-up that traces and
  compiles), with the default fp32 settings and with each speed option of the training config
  (XLA, steps_per_execution, mixed_bfloat16); under a plain loop that calls the same train
  step in a `tf.function` with no framework around it (no fit, callbacks or logs; the same
  in-memory dataset iterator); and, for the VAE, DCGAN and AAE, under a hand-written step of
  the same networks, losses and optimizers in TensorFlow ops alone,
- FLOPs per step, counted by `benchmarks/flops.py` from the ops of the traced train step that
  run: every player's forward and backward passes as the step takes them, the gradients no
  player needs left out (checked against PyTorch's FlopCounterMode by
  `benchmarks/peers/flops_check.py`); a row above 100% of the measured GEMM rate of its dtype
  is refused as a bug,
- the achieved fraction of this machine's fp32 matrix-multiply rate, measured here.

The other families (the AAE family, CycleGAN, AVB, VEEGAN and the 2-D GAN/BiGAN) are timed
with `--configs <config stems>` on the first batch of their own data (labelled pairs, image
pairs or 2-D points), held in memory, at their configs' batch size. A last table gives the
fixed cost per step of `fit`, the plain loop and a hand-written step on a tiny VAE.

Writes a markdown table (default docs/performance.md) and prints it.

    python benchmarks/throughput.py [--batch 128] [--steps 16] [--rounds 3] [--models vae aae ...]
        [--configs ssaae_fashion_mnist_1000 veegan_toy2d_ring ...]
"""

import argparse
import gc
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flops import graph_flops  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gemm_rate(size=2048, repeats=20, dtype=tf.float32):
    """GFLOP/s of a size x size matrix multiply on this machine, in the given dtype."""
    a = tf.cast(tf.random.normal([size, size]), dtype)
    b = tf.cast(tf.random.normal([size, size]), dtype)
    matmul = tf.function(lambda: tf.matmul(a, b))
    matmul().numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = matmul()
    result.numpy()
    elapsed = time.perf_counter() - start
    return 2.0 * size**3 * repeats / elapsed / 1e9


def check_below_peak(name, gflop, rates, fp32_gemm, bf16_gemm):
    """Refuses a row whose achieved GFLOP/s (FLOPs/step × steps/s) is above the measured GEMM
    rate of the dtype its variant computes in (bf16 for the bf16 variants, fp32 otherwise):
    that means the FLOP count or the clock is wrong, not that a model beat the GEMM.

    Raises:
        RuntimeError: naming the variant and the figures.
    """
    for variant, steps_per_second in rates.items():
        peak, dtype = (bf16_gemm, "bf16") if "bf16" in variant else (fp32_gemm, "fp32")
        achieved = gflop * steps_per_second
        if np.isfinite(achieved) and achieved > peak:
            raise RuntimeError(
                f"{name} {variant}: {gflop:.3g} GFLOP/step × {steps_per_second:.2f} steps/s = "
                f"{achieved:.0f} GFLOP/s, above the {peak:.0f} GFLOP/s measured for a {dtype} "
                "GEMM on this machine. That is a bug in the FLOP count or the timing, not a "
                "result: check benchmarks/flops.py against benchmarks/peers/flops_check.py.")


# Options of the training config compared with the default fp32 graph-mode `fit`.
VARIANTS = {
    "fp32": [],
    "xla": ["train.jit_compile=true"],
    "spe8": ["train.steps_per_execution=8"],
    "bf16": ["train.mixed_precision=mixed_bfloat16"],
    "bf16+xla": ["train.mixed_precision=mixed_bfloat16", "train.jit_compile=true"],
}


def build(config_path, batch_size, overrides=()):
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import build_model, dtype_policy

    config = load_config(config_path, [f"data.batch_size={batch_size}", *overrides])
    with dtype_policy(config["train"]["mixed_precision"]):
        model = build_model(config, (28, 28, 1), num_classes=10)
    return model


def own_data(config_path):
    """The data of a config (loaded once per config, whatever the variant) and the first
    batch of its own training stream (labelled pairs, image pairs or 2-D points as the model
    takes them), to be held in memory."""
    from tfhybrids.data import load_data
    from tfhybrids.training.config import load_config
    from tfhybrids.training.data_stream import train_stream

    config = load_config(config_path)
    bundle = load_data(config["data"], seed=config["train"]["seed"])
    batch = next(iter(train_stream(bundle, config["train"]["seed"], shuffle_buffer=1000)))
    return bundle, batch


def build_on(config_path, bundle, overrides=()):
    """The model of a config with training-option overrides, for data already loaded."""
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import build_model, dtype_policy

    config = load_config(config_path, list(overrides))
    with dtype_policy(config["train"]["mixed_precision"]):
        return build_model(config, bundle.element_shape, bundle.num_classes)


def leading_batch_size(batch):
    return int(tf.nest.flatten(batch)[0].shape[0])


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


class GemmTimer:
    """The fp32 matrix-multiply rate as a timer of the same kind, so that it is measured in
    the same rounds as the models, under the same load."""

    def __init__(self, size=2048, repeats=5):
        self.flops = 2.0 * size**3 * repeats
        self.size, self.repeats = size, repeats
        self.rate()

    def rate(self):
        return gemm_rate(self.size, self.repeats) * 1e9 / self.flops


class FitTimer:
    """Steps/s of `model.fit` over in-memory batches, after one warm-up epoch that traces."""

    def __init__(self, model, batch, steps):
        self.model, self.steps = model, steps
        self.dataset = tf.data.Dataset.from_tensors(batch).repeat()
        self.timer = _Timer()
        self.rate()

    def rate(self):
        self.model.fit(self.dataset, epochs=1, steps_per_epoch=self.steps, verbose=0,
                       callbacks=[self.timer], shuffle=False)
        return self.steps / self.timer.last


class PlainTimer:
    """Steps/s of the model's own train_step in a bare tf.function loop: no fit, no
    callbacks, no logs; the same networks, losses and optimizers, reading from an iterator
    over the same in-memory dataset as `fit`, so input handling is alike on both sides."""

    def __init__(self, model, batch, steps):
        self.steps = steps
        self.iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())
        train_step = model.train_step

        @tf.function
        def step(iterator):
            return train_step(next(iterator))

        self.step = step
        self.model = model
        self.concrete = tf.function(train_step).get_concrete_function(batch)
        for _ in range(3):
            logs = self.step(self.iterator)
        [v.numpy() for v in logs.values()]

    def rate(self):
        # One untimed step first: `fit` too starts its clock after the epoch's setup.
        [v.numpy() for v in self.step(self.iterator).values()]
        start = time.perf_counter()
        for _ in range(self.steps):
            logs = self.step(self.iterator)
        [v.numpy() for v in logs.values()]
        return self.steps / (time.perf_counter() - start)


def _fresh_optimizer(optimizer):
    """An optimizer of the same class and hyperparameters, with its own state."""
    return type(optimizer).from_config(optimizer.get_config())


def hand_vae_step(model):
    """VAE step written out with TensorFlow ops only: Bernoulli NLL + analytic KL (a
    Gaussian prior), the reparameterised sample, one Adam update. No tfhybrids code."""
    encoder, decoder = model.encoder, model.decoder
    optimizer = _fresh_optimizer(model.optimizer)
    variables = encoder.trainable_variables + decoder.trainable_variables
    noise = tf.random.Generator.from_seed(0)

    def step(x):
        with tf.GradientTape() as tape:
            mean, log_var = tf.split(encoder(x, training=True), 2, axis=-1)
            z = mean + tf.exp(0.5 * log_var) * noise.normal(tf.shape(mean))
            logits = decoder(z, training=True)
            targets = 0.5 * (tf.reshape(x, [tf.shape(x)[0], -1]) + 1.0)
            recon = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
                targets, tf.reshape(logits, tf.shape(targets))), axis=-1)
            kl = 0.5 * tf.reduce_sum(tf.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)
            loss = tf.reduce_mean(recon + kl)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return {"loss": loss}

    return step


def _bce(logits, label):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        tf.fill(tf.shape(logits), label), logits))


def hand_gan_step(model):
    """DCGAN step written out: one discriminator update on real and fresh fake images, one
    non-saturating generator update on fresh codes."""
    generator, discriminator = model.generator, model.discriminator
    g_optimizer = _fresh_optimizer(model.generator_optimizer)
    d_optimizer = _fresh_optimizer(model.discriminator_optimizer)
    noise = tf.random.Generator.from_seed(0)

    def step(x):
        batch = tf.shape(x)[0]
        with tf.GradientTape() as tape:
            fake = generator(noise.normal([batch, model.latent_dim]), training=True)
            d_loss = (_bce(discriminator(x, training=True), 1.0)
                      + _bce(discriminator(fake, training=True), 0.0))
        variables = discriminator.trainable_variables
        d_optimizer.apply(tape.gradient(d_loss, variables), variables)
        with tf.GradientTape() as tape:
            fake = generator(noise.normal([batch, model.latent_dim]), training=True)
            g_loss = _bce(discriminator(fake, training=True), 1.0)
        variables = generator.trainable_variables
        g_optimizer.apply(tape.gradient(g_loss, variables), variables)
        return {"d_loss": d_loss, "g_loss": g_loss}

    return step


def hand_aae_step(model):
    """AAE step written out: the three phases (squared-error reconstruction, latent
    discriminator on prior against encoder codes, encoder as generator), each its own Adam.
    Prior codes come from the model's TFP prior (sampling it is not framework work)."""
    encoder, decoder, discriminator = model.encoder, model.decoder, model.discriminator
    ae_optimizer = _fresh_optimizer(model.autoencoder_optimizer)
    d_optimizer = _fresh_optimizer(model.discriminator_optimizer)
    g_optimizer = _fresh_optimizer(model.generator_optimizer)
    seeds = tf.random.Generator.from_seed(0)
    prior = model.prior

    def step(x):
        batch = tf.shape(x)[0]
        ae_variables = encoder.trainable_variables + decoder.trainable_variables
        with tf.GradientTape() as tape:
            recon = decoder(encoder(x, training=True), training=True)
            ae_loss = tf.reduce_mean(tf.reduce_sum(
                tf.reshape((x - recon) ** 2, [batch, -1]), axis=-1))
        ae_optimizer.apply(tape.gradient(ae_loss, ae_variables), ae_variables)
        z_prior = prior.sample(batch, seeds.make_seeds(1)[:, 0])
        with tf.GradientTape() as tape:
            d_loss = (_bce(discriminator(z_prior, training=True), 1.0)
                      + _bce(discriminator(encoder(x, training=True), training=True), 0.0))
        variables = discriminator.trainable_variables
        d_optimizer.apply(tape.gradient(d_loss, variables), variables)
        with tf.GradientTape() as tape:
            g_loss = _bce(discriminator(encoder(x, training=True), training=True), 1.0)
        variables = encoder.trainable_variables
        g_optimizer.apply(tape.gradient(g_loss, variables), variables)
        return {"recon_loss": ae_loss, "d_loss": d_loss, "g_loss": g_loss}

    return step


# Hand-written reference steps, for one model of each basic family.
HAND_STEPS = {"VAE": hand_vae_step, "DCGAN": hand_gan_step, "AAE": hand_aae_step}


class HandTimer(PlainTimer):
    """Steps/s of a hand-written step of the same networks and losses in a bare tf.function
    loop over the same iterator: what the model code would cost with no library at all."""

    def __init__(self, model, batch, steps):
        hand_step = HAND_STEPS[type(model).__name__](model)
        model = type("Hand", (), {"train_step": staticmethod(lambda data: hand_step(data[0]))})()
        super().__init__(model, batch, steps)


def interleaved_rates(timers, rounds):
    """Median steps/s of each timer over `rounds` rounds that alternate between them, so a
    change in the machine's load affects all of them alike."""
    samples = {name: [] for name in timers}
    for _ in range(rounds):
        for name, timer in timers.items():
            # What the previous timer left (a finished fit's iterator, say) is collected
            # here rather than on the next timer's clock.
            gc.collect()
            samples[name].append(timer.rate())
    return {name: float(np.median(values)) for name, values in samples.items()}


# Under XLA, CycleGAN's train step (two ResNet generators, two PatchGAN critics, the history
# buffers) runs at 0.07 steps/s on this 2-core CPU, against 4-5 without (measured separately:
# 40 s to compile, then 15 s a step), so its XLA column is left out of the timed rounds.
XLA_NOT_MEASURED = {"CycleGAN"}


# A VAE small enough that a step costs about a millisecond, so that what the loop around the
# step costs is not lost in the step's own time.
TINY_VAE = ["model.latent_dim=2", "model.encoder={type: mlp, hidden_units: [16]}",
            "model.decoder={type: mlp, hidden_units: [16]}"]


def fixed_step_cost(args):
    """Milliseconds per step of the tiny VAE at batch 8 under each loop: the hand-written
    step, the plain loop, `fit`, and `fit` with steps_per_execution 8. The differences are
    the fixed cost of each layer of framework per step."""
    path = os.path.join(REPO, "configs", "vae_fashion_mnist.yaml")
    batch = synthetic_batch(8)
    steps = args.overhead_steps
    timers = {"hand": HandTimer(build(path, 8, TINY_VAE), batch, steps),
              "plain": PlainTimer(build(path, 8, TINY_VAE), batch, steps),
              "fit": FitTimer(build(path, 8, TINY_VAE), batch, steps),
              "fit spe8": FitTimer(build(path, 8, TINY_VAE + VARIANTS["spe8"]), batch, steps)}
    rates = interleaved_rates(timers, args.rounds)
    return {name: 1000.0 / rate for name, rate in rates.items()}


def model_stem(path):
    return os.path.basename(path).replace(".yaml", "").replace("_fashion_mnist", "")


def write_table(args, rows, rate, bf16_rate, load_before, elapsed, final, overhead=None):
    """Writes the markdown table of the rows measured so far (after every model, so that an
    interrupted run keeps them), and prints it at the end."""
    load_after = os.getloadavg()[0]

    lines = [
        "# Training throughput",
        "",
        f"Produced by `python benchmarks/throughput.py {' '.join(sys.argv[1:])}`.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}; no GPU. Measured GEMM rate (2048², TF): "
        f"**{rate:.1f} GFLOP/s fp32**, {bf16_rate:.1f} GFLOP/s bf16.",
        "",
        f"Image hybrids: batch {args.batch} of 28×28×1 synthetic images held in memory, the "
        "networks of each `configs/<model>_fashion_mnist.yaml`; configs given by `--configs`: "
        "the first batch of their own data at their own batch size, held in memory. Each figure is the median of "
        f"{args.rounds} rounds of {args.steps} steps, the rounds of all columns of a row "
        "interleaved so that the machine's load affects them alike; tracing and compilation "
        "happen in a warm-up before. FLOPs are those of the convolutions and matrix products "
        "the traced train step runs (`benchmarks/flops.py`: every player's forward and "
        "backward passes as the step takes them, without the gradients no player needs, which "
        "the runtime prunes; checked against PyTorch's FlopCounterMode by "
        "`benchmarks/peers/flops_check.py`). `plain` calls the "
        "model's train step in a bare `tf.function` loop with no framework around it, reading "
        "from an iterator over the same dataset as `fit`; `fit / plain` is the fp32 `fit` "
        "speed over it (1.0 = `fit` costs nothing). `hand` is a step written out with "
        "TensorFlow ops alone for the same networks, losses and optimizers (no tfhybrids code: "
        "`hand_vae_step`, `hand_gan_step`, `hand_aae_step` in the script), for one model of "
        "each basic family; `fit / hand` is what the whole library costs over it. "
        f"Columns {args.variants[0]}…{args.variants[-1]} are `fit` steps/s with the training "
        "options "
        + ", ".join(f"{v} = `{' '.join(VARIANTS[v]) or 'defaults'}`" for v in args.variants)
        + ". The GEMM share is achieved GFLOP/s (FLOPs/step × steps/s) over the fp32 GEMM rate "
        "measured in the same interleaved rounds (column `GEMM GFLOP/s`), so that both are "
        "taken under the same load.",
        "",
        "| config | class | batch | GFLOP/step | hand | plain | " + " | ".join(args.variants)
        + " | fit / hand | fit / plain | examples/s (fp32) | GEMM GFLOP/s | fp32 share of GEMM | "
        "best | best share of GEMM |",
        "|---|---|---|---|---|---|" + "---|" * len(args.variants) + "---|---|---|---|---|---|---|",
    ]
    for row in rows:
        best_rate = row["rates"][row["best"]]
        lines.append(
            f"| {row['name']} | {row['cls']} | {row['batch']} | {row['gflop']:.3g} | "
            + (f"{row['hand']:.2f}" if row["hand"] else "—") + f" | {row['plain']:.2f} | "
            + " | ".join("—" if not np.isfinite(row["rates"][v]) else f"{row['rates'][v]:.2f}"
                         for v in args.variants)
            + " | " + (f"{row['fit'] / row['hand']:.2f}" if row["hand"] else "—")
            + f" | {row['ratio']:.2f} | {row['fit'] * row['batch']:.0f} | {row['gemm']:.0f} | "
            f"{100 * row['gflop'] * row['fit'] / row['gemm']:.1f}% | {row['best']} | "
            f"{100 * row['gflop'] * best_rate / row['gemm']:.1f}% |")
    if overhead:
        lines += [
            "",
            "Fixed cost per step, measured on a VAE small enough (MLP 784-16-2, batch 8) that "
            f"its step takes about a millisecond; median of {args.rounds} interleaved rounds of "
            f"{args.overhead_steps} steps, in ms per step:",
            "",
            "| " + " | ".join(overhead) + " | fit − plain | fit − hand |",
            "|" + "---|" * (len(overhead) + 2),
            "| " + " | ".join(f"{ms:.3f}" for ms in overhead.values())
            + f" | {overhead['fit'] - overhead['plain']:+.3f} | "
            f"{overhead['fit'] - overhead['hand']:+.3f} |",
        ]
    status = "" if final else " (interrupted: the rows above are those measured so far)"
    lines += ["", f"The benchmark took {elapsed:.0f} s{status}; the machine's 1-minute load "
              f"average was {load_before:.1f} at the start and {load_after:.1f} at the end (other "
              "processes share these cores, hence the interleaved measurements).", ""]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    if final:
        print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=16,
                        help="timed steps per round (a multiple of spe8's 8)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds per measurement (the median is reported)")
    parser.add_argument("--models", nargs="*", help="image hybrids by config stem, e.g. vae aae "
                        "dcgan (configs/<stem>_fashion_mnist.yaml); default: all of them")
    parser.add_argument("--configs", nargs="*", default=[],
                        help="further configs by file stem (e.g. ssaae_fashion_mnist_1000 "
                        "veegan_toy2d_ring cycle_gan_fashion_mnist), timed on the first batch "
                        "of their own data at their own batch size")
    parser.add_argument("--variants", nargs="*", default=["fp32", "xla", "spe8", "bf16"],
                        choices=list(VARIANTS), help="training options compared")
    parser.add_argument("--overhead-steps", type=int, default=400,
                        help="timed steps per round of the fixed-cost measurement (0: skip it)")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "performance.md"))
    args = parser.parse_args(argv)

    from tfhybrids.evaluation.bench import FASHION_MNIST_MODELS

    # The image hybrids of the benchmark table on one synthetic batch shape; the other
    # families (the AAE family, CycleGAN, the 2-D toy models) through --configs, on batches of
    # their own data, since they take labelled pairs, image pairs or points.
    models = args.models or FASHION_MNIST_MODELS
    configs = [os.path.join(REPO, "configs", f"{name}_fashion_mnist.yaml") for name in models]
    if args.models == ["none"]:
        configs = []
    other_configs = [os.path.join(REPO, "configs", f"{name}.yaml") for name in args.configs]
    missing = [c for c in configs + other_configs if not os.path.exists(c)]
    if missing:
        parser.error(f"no such config: {', '.join(missing)}")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    rate = max(gemm_rate(), gemm_rate())
    bf16_rate = max(gemm_rate(dtype=tf.bfloat16), gemm_rate(dtype=tf.bfloat16))
    print(f"GEMM rate: fp32 {rate:.1f} GFLOP/s, bf16 {bf16_rate:.1f} GFLOP/s", flush=True)
    overhead = fixed_step_cost(args) if args.overhead_steps else None
    if overhead:
        print("fixed cost, ms/step: " + ", ".join(f"{k} {v:.3f}" for k, v in overhead.items()),
              flush=True)
    rows = []
    jobs = [(path, True) for path in configs] + [(path, False) for path in other_configs]
    for path, image_hybrid in jobs:
        name = model_stem(path) if image_hybrid else os.path.basename(path)[:-len(".yaml")]
        if image_hybrid:
            batch = synthetic_batch(args.batch)

            def make(overrides=(), path=path):
                return build(path, args.batch, overrides)
        else:
            bundle, batch = own_data(path)

            def make(overrides=(), path=path, bundle=bundle):
                return build_on(path, bundle, overrides)
        plain = PlainTimer(make(), batch, args.steps)
        flops = graph_flops(plain.concrete.graph)
        timers = {"gemm": GemmTimer(), "plain": plain}
        if type(plain.model).__name__ in HAND_STEPS:
            timers["hand"] = HandTimer(make(), batch, args.steps)
        cls = type(plain.model).__name__
        for variant in args.variants:
            if "xla" in variant and cls in XLA_NOT_MEASURED:
                continue
            timers[variant] = FitTimer(make(VARIANTS[variant]), batch, args.steps)
        rates = interleaved_rates(timers, args.rounds)
        rates.update({v: float("nan") for v in args.variants if v not in rates})
        row_gemm = rates.pop("gemm") * GemmTimer().flops / 1e9
        fit_rate = rates.get("fp32", float("nan"))
        best = max((v for v in args.variants if np.isfinite(rates[v])), key=lambda v: rates[v])
        hand = rates.pop("hand", None)
        check_below_peak(name, flops / 1e9, {"plain": rates["plain"], "hand": hand or 0.0,
                                             **{v: rates[v] for v in args.variants}},
                         row_gemm, bf16_rate)
        row = dict(name=name, cls=type(plain.model).__name__, hand=hand,
                   batch=leading_batch_size(batch),
                   plain=rates["plain"], fit=fit_rate, ratio=fit_rate / rates["plain"],
                   gflop=flops / 1e9, rates=rates, best=best, gemm=row_gemm)
        rows.append(row)
        print(f"{name:22s} " + (f"hand {hand:6.2f}  " if hand else "")
              + f"plain {rates['plain']:6.2f} steps/s  "
              + "  ".join(f"{v} {rates[v]:6.2f}" for v in args.variants)
              + f"  ratio {row['ratio']:4.2f}  {flops / 1e9:6.2f} GFLOP/step  "
              f"GEMM {row_gemm:5.1f} GFLOP/s  fp32 {100 * flops * fit_rate / 1e9 / row_gemm:5.1f}% / "
              f"best ({best}) {100 * flops * rates[best] / 1e9 / row_gemm:5.1f}% of it",
              flush=True)
        write_table(args, rows, rate, bf16_rate, load_before, time.perf_counter() - started,
                    final=False, overhead=overhead)
    write_table(args, rows, rate, bf16_rate, load_before, time.perf_counter() - started,
                final=True, overhead=overhead)
    return 0


if __name__ == "__main__":
    sys.exit(main())
