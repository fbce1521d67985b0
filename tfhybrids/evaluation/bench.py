"""`tfhybrids bench SUITE`: train each model of a suite on the same budget and seeds, evaluate,
and write one table, as the AVAE paper's comparison of VAE, GAN, VAE/GAN, BiGAN and AVAE (MSE,
LPIPS, FID) does.

Suites:
    fashion_mnist  the image hybrids on Fashion-MNIST: `configs/<model>_fashion_mnist.yaml` for
                   each model of `FASHION_MNIST_MODELS` whose config is present, or only the
                   `models` given (`--models vae,dcgan,vae_gan,bigan,avae`: the AVAE paper's
                   table). Columns: reconstruction MSE and SSIM, FD-fashion_mnist-classifier
                   (or FID with --feature-network inception), the samples' sharpness over the
                   test images' (Laplacian variance, gradient energy), linear-probe accuracy,
                   IWAE bound where the model has a likelihood. A missing domain classifier
                   is trained on first use (a few minutes, before the models).
    dsprites       `configs/vae_dsprites.yaml` and `configs/beta_vae_dsprites.yaml`: the beta-VAE
                   disentanglement metric, reconstruction MSE and the test KL.
    toy2d          the mode-collapse benchmark of `benchmarks/mode_collapse.py` (run as it is).
    smoke          `configs/tiny/{vae,aae}_digits.yaml` for a few steps: tests the whole path.

Budget: `epochs` (each config's train.epochs is replaced), `cpu_minutes` (process CPU time
per model and seed, summed over the process's threads: training stops after the batch that
crosses it, so on a shared machine each model still gets the same computation) or `minutes`
(wall-clock training time, which a busy machine shrinks for whoever trains while it is busy).
Under a time budget the epochs actually run are recorded, and the run then finishes as any run
does (evaluated, saved, pictured). Every row reports the CPU minutes its training used. Every
model gets the same seeds; with several seeds the table shows mean ± std over them. Runs go to
WORKDIR/<config>/seed<k>/ (ordinary run directories: `tfhybrids explore` works on them); when
the command is repeated, an epoch-budget run resumes from its checkpoints, a killed time-budget
run resumes from its last epoch with the budget it had left (each epoch's checkpoint records
the budget spent), and a finished time-budget run (its `bench.json` names the same budget) is
evaluated again without training (delete WORKDIR/<config> to retrain; a changed --set or
budget starts a time-budget run over). dsprites runs under a time budget keep every epoch's
checkpoint and evaluate each (`tfhybrids.evaluation.history`): WORKDIR/history.csv and
metric_vs_cpu.png show the beta-VAE metric and the test KL against the budget spent. `--add-config PATH` adds a
model whose config is not in configs/; `--set key=value` overrides every config (e.g.
data.train_limit).

Parallel runs: `workers` > 1 trains that many (config, seed) runs at once, each in its own
process with a fixed number of TensorFlow threads (`threads`, default the cores divided by the
workers), so that runs side by side get equal shares of the machine.

Outputs in OUT: `results.md` (the table, with the budget and the feature network named),
`results.csv` (one row per model and seed, every metric), `tradeoff.png` (reconstruction
error against sample quality; for dsprites, against the disentanglement metric).

LPIPS (the AVAE paper's second column) needs pretrained AlexNet/VGG weights, which cannot be
fetched here, so it is not computed; SSIM stands in as the perceptual reconstruction score.
"""

import csv
import glob
import io
import math
import os
import time

import numpy as np

from tfhybrids.errors import ConfigError
from tfhybrids.evaluation.evaluate import EvaluationOptions, evaluate_model, feature_network_for
from tfhybrids.evaluation.feature_networks import CLASSIFIER_DATASETS
from tfhybrids.training.checkpoints import read_json as _read_json

SUITES = ("fashion_mnist", "dsprites", "toy2d", "smoke")
# The checkout this module sits in, when it is imported from one (an editable install).
_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def repository_root():
    """The repository whose configs/ and benchmarks/ the suites use: the current directory
    when it holds a configs/ folder (a `pip install .` puts the package in site-packages,
    away from the checkout, and the README's commands run from the checkout), else the
    checkout this module was imported from."""
    for root in (os.getcwd(), _SOURCE_ROOT):
        if os.path.isdir(os.path.join(root, "configs")):
            return root
    return os.getcwd()
# Cheap evaluation settings for the smoke suite (a test runs it end to end).
SMOKE_OPTIONS = dict(num_fd_samples=200, num_probe_train=500, num_eval_images=200,
                     iwae_samples=4, iwae_examples=20)


# The image hybrids of the `fashion_mnist` suite: `configs/<stem>_fashion_mnist.yaml`. Other
# configs on Fashion-MNIST (the AAE family's semi-supervised and clustering variants, CycleGAN)
# are measured by their own benchmarks; a new unsupervised image hybrid joins the table here.
FASHION_MNIST_MODELS = ("vae", "aae", "dcgan", "vae_gan", "conditional_vae_gan", "avae", "bigan",
                        "alpha_gan")


def _chosen_models(models):
    """The `--models` of the fashion_mnist suite, checked against `FASHION_MNIST_MODELS`."""
    unknown = [m for m in models if m not in FASHION_MNIST_MODELS]
    if unknown or not models or len(set(models)) != len(models):
        raise ConfigError(f"bench fashion_mnist: --models takes distinct names of "
                          f"{', '.join(FASHION_MNIST_MODELS)} (comma-separated), got "
                          f"{','.join(models) or 'none'}.")
    return list(models)


def suite_configs(suite, config_dir=None, models=None):
    """The config files of a suite, in a stable (alphabetical) order; for fashion_mnist,
    `models` (stems of `FASHION_MNIST_MODELS`) runs only those, in the order given."""
    config_dir = config_dir or os.path.join(repository_root(), "configs")
    if models is not None and suite != "fashion_mnist":
        raise ConfigError(f"bench {suite}: --models only chooses among the fashion_mnist "
                          f"suite's models.")
    if suite == "fashion_mnist" and models is not None:
        paths = [os.path.join(config_dir, f"{m}_fashion_mnist.yaml")
                 for m in _chosen_models(models)]
    elif suite == "fashion_mnist":
        paths = sorted(p for p in glob.glob(os.path.join(config_dir, "*_fashion_mnist.yaml"))
                       if os.path.basename(p)[:-len("_fashion_mnist.yaml")]
                       in FASHION_MNIST_MODELS)
    elif suite == "dsprites":
        paths = [os.path.join(config_dir, f"{name}_dsprites.yaml") for name in ("vae", "beta_vae")]
    elif suite == "smoke":
        paths = [os.path.join(config_dir, "tiny", f"{name}_digits.yaml") for name in ("vae", "aae")]
    else:
        raise ConfigError(f"bench: unknown suite {suite!r}; choose one of {', '.join(SUITES)}.")
    missing = [p for p in paths if not os.path.exists(p)]
    if missing or not paths:
        raise ConfigError(f"bench {suite}: missing config(s) {', '.join(missing) or '(none found)'} "
                          f"in {config_dir}; pass --config-dir to the repository's configs/.")
    return paths


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


BENCH_FILE = "bench.json"  # in each run directory: the budget it was trained for



# The clocks a time budget can be measured on: wall-clock time, or this process's CPU time
# over all its threads (what a model actually got on a machine shared with other work).
CLOCKS = {"wall": time.time, "cpu": time.process_time}


class _TimeBudget:
    """A Keras callback (built lazily, so this module imports without Keras) stopping fit."""

    @staticmethod
    def make(seconds, clock="wall", used=0.0, steps=0):
        """`used` seconds and `steps` of the budget were spent before (a resumed run)."""
        import keras

        read = CLOCKS[clock]

        class TimeBudget(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start = read()
                self.epochs_run = 0
                self.steps_run = steps
                self.seconds_used = used

            def on_epoch_begin(self, epoch, logs=None):
                self.epochs_run = epoch + 1

            def on_train_batch_end(self, batch, logs=None):
                self.steps_run += 1
                self.seconds_used = used + read() - self.start
                if self.seconds_used >= seconds:
                    self.model.stop_training = True

        return TimeBudget()


class _BudgetCheckpoint:
    """A Keras callback saving a resumable checkpoint at every epoch end (and at the batch
    that ends the budget, which Keras closes as an epoch), with the budget spent so far and
    the history of (epoch, steps, minutes) in the checkpoint's own state, so the two never
    disagree after a kill."""

    @staticmethod
    def make(store, budget, history):
        import keras

        class BudgetCheckpoint(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                history.append({"epoch": epoch + 1, "steps": budget.steps_run,
                                "minutes": budget.seconds_used / 60.0})
                store.save(self.model, epoch + 1, extra={
                    "budget_seconds": budget.seconds_used, "budget_steps": budget.steps_run,
                    "budget_history": history})

        return BudgetCheckpoint()


BUDGET_FILE = "budget.json"  # in a time-budget run directory: the budget it is training for


def _budget_identity(config, minutes, clock):
    import json

    # Through JSON, as it is stored (tuples become lists), so that equal budgets compare equal.
    return json.loads(json.dumps({"minutes": minutes, "clock": clock, "config": config}))


def train_for_minutes(config, workdir, minutes, log=print, clock="wall"):
    """Trains like `tfhybrids train` but for a time budget; returns the metrics.

    `minutes` are read on `clock`: "wall" (wall-clock time) or "cpu" (this process's CPU
    time, all threads).

    The run directory is an ordinary one (config.yaml holds the epochs actually run). Every
    epoch ends with a checkpoint that records the budget spent so far, so a killed run
    repeated with the same config and budget resumes from its last epoch with what is left
    of the budget; any other config or budget starts it over. dSprites runs keep every
    epoch's checkpoint, for `checkpoint_history` (the metric against training time).
    """
    import datetime
    import shutil

    import keras
    import yaml

    from tfhybrids.training import runner
    from tfhybrids.training.callbacks import NonFiniteGuard
    from tfhybrids.training.checkpoints import CheckpointStore, write_json_atomic
    from tfhybrids.training.data_stream import batches_per_data_epoch, train_stream

    identity = _budget_identity(config, minutes, clock)
    store = CheckpointStore(os.path.join(workdir, "checkpoints"),
                            keep=10**6 if config["data"]["name"] == "dsprites" else 2)
    resuming = (_read_json(os.path.join(workdir, BUDGET_FILE)) == identity
                and store.latest() is not None)
    if os.path.isdir(workdir) and os.listdir(workdir) and not resuming:
        if not os.path.exists(os.path.join(workdir, runner.RUN_FILE)):
            raise ConfigError(f"bench: {workdir} exists and is not a run directory; choose "
                              f"another --workdir.")
        shutil.rmtree(workdir)
    os.makedirs(workdir, exist_ok=True)
    with runner.dtype_policy(config["train"]["mixed_precision"]):
        bundle, model, _ = runner.build_run(config)
    used, steps_done, history, initial_epoch = 0.0, 0, [], 0
    if resuming:
        initial_epoch = store.restore(model)
        state = _read_json(store.state_path)
        used, steps_done = state["budget_seconds"], state["budget_steps"]
        history = state["budget_history"]
        log(f"bench: resuming {workdir} at epoch {initial_epoch} ({steps_done} steps, "
            f"{used / 60:.3g} of {minutes:g} minutes spent)")
    else:
        write_json_atomic(os.path.join(workdir, runner.RUN_FILE), {
            "model_class": type(model).__name__,
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"),
        })
        write_json_atomic(os.path.join(workdir, BUDGET_FILE), identity)
    settings = config["train"]
    steps = settings["steps_per_epoch"] or batches_per_data_epoch(bundle)
    budget = _TimeBudget.make(minutes * 60.0, clock, used, steps_done)
    logs_dir = os.path.join(workdir, "logs")
    if used < minutes * 60.0:
        model.fit(train_stream(bundle, settings["seed"], start_step=steps_done,
                               shuffle_buffer=config["data"].get("shuffle_buffer", 10000)),
                  epochs=10**6, initial_epoch=initial_epoch, steps_per_epoch=steps,
                  validation_data=bundle.test,
                  callbacks=[NonFiniteGuard(None), budget,
                             _BudgetCheckpoint.make(store, budget, history),
                             keras.callbacks.TensorBoard(log_dir=logs_dir, write_graph=False)],
                  verbose=settings["verbose"])
    else:
        budget.on_train_begin()
    epochs_run = history[-1]["epoch"] if history else max(1, budget.epochs_run)
    # The epoch the budget ran out in counts as run: config.yaml records the epochs started.
    config = {**config, "train": {**settings, "epochs": epochs_run}}
    with open(os.path.join(workdir, "config.yaml"), "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    unit = "CPU-minutes" if clock == "cpu" else "minutes"
    log(f"bench: the {minutes:g}-{unit} budget stopped training after {budget.steps_run} "
        f"steps ({epochs_run} epoch(s), {budget.seconds_used / 60:.3g} {unit})")
    metrics = runner.finish(model, bundle, config, workdir, log)
    # Returned, not written to metrics.json: what the budget allowed, for bench.json.
    return {**metrics, "budget_steps": budget.steps_run,
            "budget_minutes_used": budget.seconds_used / 60.0, "budget_history": history,
            "budget_resumed_seconds": used}


def _budget_text(epochs=None, minutes=None, cpu_minutes=None):
    if cpu_minutes:
        return f"{cpu_minutes:g} CPU-min"
    if minutes:
        return f"{minutes:g} min"
    return f"{epochs} epochs"


def run_model(config_path, out_dir, seed, epochs=None, minutes=None, overrides=(),
              options=None, feature_network=None, log=print, cpu_minutes=None):
    """Trains and evaluates one config for one seed; returns its result row (a dict).

    The budget is `epochs`, `minutes` (wall clock) or `cpu_minutes` (process CPU time)."""
    from tfhybrids.data import load_data
    from tfhybrids.training.config import load_config
    from tfhybrids.training.run_dir import load_trained_model
    from tfhybrids.training.checkpoints import write_json_atomic
    from tfhybrids.training.runner import train

    sets = list(overrides) + [f"train.seed={seed}", "train.export=false"]
    if epochs is not None:
        sets.append(f"train.epochs={epochs}")
    config = load_config(config_path, sets)
    workdir = os.path.join(out_dir, _stem(config_path), f"seed{seed}")
    budget = _budget_text(config["train"]["epochs"], minutes, cpu_minutes)
    timed = minutes or cpu_minutes
    marker = os.path.join(workdir, BENCH_FILE)
    previous = _read_json(marker)
    if timed and previous.get("minutes") == minutes and previous.get(
            "cpu_minutes") == cpu_minutes and os.path.exists(os.path.join(workdir, "model.keras")):
        # A time-budget run is not resumable, but a finished one need not be trained again.
        log(f"bench: reusing the finished {budget} run in {workdir}")
        metrics = _read_json(os.path.join(workdir, "metrics.json"))
        train_seconds = previous["train_seconds"]
        cpu_seconds = previous.get("cpu_seconds")
        steps = previous.get("steps")
        history = previous.get("history", [])
    else:
        log(f"bench: training {config['model']['class']} ({_stem(config_path)}), seed {seed}, "
            f"{budget} -> {workdir}")
        started, cpu_started = time.time(), time.process_time()
        if cpu_minutes:
            metrics = train_for_minutes(config, workdir, cpu_minutes, log, clock="cpu")
        elif minutes:
            metrics = train_for_minutes(config, workdir, minutes, log)
        else:
            metrics = train(config, workdir, log)
        train_seconds = time.time() - started
        # CPU seconds of this process over every core: on a shared machine, what the
        # model actually got out of its wall-clock budget.
        cpu_seconds = time.process_time() - cpu_started
        if cpu_minutes:
            # A resumed run: the CPU its killed predecessor spent training counts too.
            cpu_seconds += metrics.get("budget_resumed_seconds", 0.0)
        steps = metrics.get("budget_steps")
        history = metrics.get("budget_history", [])
        write_json_atomic(marker, {"minutes": minutes, "cpu_minutes": cpu_minutes,
                                   "epochs": epochs, "train_seconds": train_seconds,
                                   "cpu_seconds": cpu_seconds, "steps": steps,
                                   "history": history})
    model, config = load_trained_model(workdir)
    bundle = load_data(config["data"], seed=config["train"]["seed"])
    evaluation = evaluate_model(model, bundle, config["data"], options,
                                feature_network=feature_network, log=log)
    row = result_row(config_path, config, seed, metrics, evaluation, train_seconds)
    if cpu_seconds is not None:
        # Building, training and finishing the run (saving, pictures), on every thread.
        row["train_cpu_minutes"] = cpu_seconds / 60.0
    if steps is not None:
        row["steps"] = int(steps)
    log(f"bench: {row['model']} seed {seed}: " + ", ".join(
        f"{k}={v:.4g}" for k, v in row.items() if isinstance(v, float)))
    if bundle.name == "dsprites" and history:
        from tfhybrids.evaluation.history import checkpoint_history

        checkpoint_history(model, bundle, workdir, history, options or EvaluationOptions(),
                           log, final=row)
    return row


def _model_class_name(path):
    from tfhybrids.training.config import read_yaml

    try:
        return str(read_yaml(path)["model"]["class"])
    except Exception:  # noqa: BLE001 - only for naming a failed row
        return "?"


def result_row(config_path, config, seed, metrics, evaluation, train_seconds):
    """Flattens one run's metrics into a row of the CSV."""
    model = config["model"]
    row = {"config": _stem(config_path), "model": model["class"], "seed": seed,
           "epochs": int(config["train"]["epochs"]), "train_minutes": train_seconds / 60.0}
    if "beta" in model:
        row["beta"] = float(model["beta"])
    for key, value in metrics.get("test", {}).items():
        row[f"test_{key}"] = float(value)
    if "reconstruction" in evaluation:
        row["mse"] = evaluation["reconstruction"]["mse"]
        if "ssim" in evaluation["reconstruction"]:
            row["ssim"] = evaluation["reconstruction"]["ssim"]
    if "frechet" in evaluation:
        row["fd"] = evaluation["frechet"]["value"]
        row["fd_name"] = evaluation["frechet"]["name"]
        if evaluation["frechet"].get("test_accuracy") is not None:
            row["fd_network_accuracy"] = evaluation["frechet"]["test_accuracy"]
    if "sharpness" in evaluation:
        for measure in ("laplacian_variance", "gradient_energy"):
            row[f"{measure}_ratio"] = evaluation["sharpness"][f"{measure}_ratio"]
            row[f"real_{measure}"] = evaluation["sharpness"][f"real_{measure}"]
    if "linear_probe" in evaluation:
        row["linear_probe"] = evaluation["linear_probe"]["accuracy"]
    if "iwae" in evaluation:
        row["iwae_bound"] = evaluation["iwae"]["log_likelihood_bound"]
    if "disentanglement" in evaluation:
        row["disentanglement"] = evaluation["disentanglement"]["accuracy"]
    if "mode_coverage" in evaluation:
        row["modes_captured"] = float(evaluation["mode_coverage"]["modes_captured"])
        row["high_quality_percent"] = evaluation["mode_coverage"]["high_quality_percent"]
    return row


# ------------------------------------------------------------------------------ the table
def _columns(suite, rows):
    fd_name = next((r["fd_name"] for r in rows if "fd_name" in r), "FD")
    if suite == "dsprites":
        columns = [("beta", "beta", None), ("disentanglement", "beta-VAE metric ↑", 3),
                   ("mse", "MSE ↓", 4), ("test_kl_loss", "KL (nats)", 1),
                   ("test_recon_loss", "recon NLL (nats)", 1)]
    else:
        columns = [("mse", "MSE ↓", 4), ("ssim", "SSIM ↑", 3), ("fd", f"{fd_name} ↓", 2),
                   ("laplacian_variance_ratio", "sharpness: Laplacian var. / real", 2),
                   ("gradient_energy_ratio", "gradient energy / real", 2),
                   ("linear_probe", "linear probe ↑", 3), ("iwae_bound", "IWAE bound (nats) ↑", 1)]
    return [c for c in columns if any(c[0] in r for r in rows)]


def _cell(values, digits, spread=True):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return "—"
    if digits is None:
        return f"{values[0]:g}"
    if len(values) == 1 or not spread:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def data_floor(data_config, feature_network, num):
    """The Fréchet distance of `num` real train images to the test images: what a perfect
    generator would score with this many samples (the score's floor)."""
    from tfhybrids.data import load_data
    from tfhybrids.evaluation.frechet import frechet_score

    bundle = load_data(data_config, seed=0)
    real, _ = bundle.arrays("test", limit=num)
    train, _ = bundle.arrays("train", limit=num)
    result = frechet_score(feature_network, real, train)
    return {"name": result["name"], "value": result["value"], "num": int(len(train))}


def markdown_table(suite, rows, budget_text, floor=None):
    """The suite's table: one line per config, mean ± std over seeds."""
    columns = _columns(suite, rows)
    configs = list(dict.fromkeys(r["config"] for r in rows))
    with_cpu = any("train_cpu_minutes" in r for r in rows)
    header = (["model", "config", "epochs", "train min"] + (["CPU min"] if with_cpu else [])
              + [title for _, title, _ in columns])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in configs:
        group = [r for r in rows if r["config"] == name and "error" not in r]
        if not group:
            model = next(r["model"] for r in rows if r["config"] == name)
            lines.append(f"| {model} | {name} | failed | — |"
                         + " — |" * (len(columns) + with_cpu))
            continue
        # Epochs can differ between seeds under a minutes budget: show the mean.
        cells = [group[0]["model"], name, _cell([r["epochs"] for r in group], 1, spread=False)
                 if len({r["epochs"] for r in group}) > 1 else str(group[0]["epochs"]),
                 _cell([r["train_minutes"] for r in group], 1, spread=False)]
        if with_cpu:
            cells.append(_cell([r.get("train_cpu_minutes") for r in group], 2))
        cells += [_cell([r.get(key) for r in group], digits) for key, _, digits in columns]
        lines.append("| " + " | ".join(cells) + " |")
    seeds = sorted({r["seed"] for r in rows})
    notes = [f"Suite `{suite}`, budget {budget_text} per model and seed, seeds "
             f"{', '.join(map(str, seeds))} (mean ± std over seeds when several)."]
    if with_cpu:
        notes.append("train min, CPU min: wall-clock and process CPU minutes (all threads) of "
                     "building, training and finishing each run.")
    if any("mse" in r for r in rows):
        notes.append("MSE and SSIM: test reconstructions G(E(x)) through the deterministic "
                     "code, pixels in [0, 1]; — where the model has no encoder.")
    fd_names = {r["fd_name"] for r in rows if "fd_name" in r}
    for fd_name in sorted(fd_names):
        if fd_name == "FID":
            notes.append("FID: InceptionV3 (keras.applications, local ImageNet weights) pool "
                         "features, samples vs test images.")
        else:
            accuracy = next((r["fd_network_accuracy"] for r in rows
                             if r.get("fd_name") == fd_name and "fd_network_accuracy" in r), None)
            accuracy = f" (its test accuracy: {accuracy:.4f})" if accuracy is not None else ""
            notes.append(f"{fd_name}: Fréchet distance in the 128-d features of the project's "
                         f"own domain classifier (scripts/train_domain_classifier.py){accuracy}, "
                         f"samples vs test images; not an FID, comparable only within this "
                         f"table.")
        if floor is not None and floor["name"] == fd_name:
            notes.append(f"{fd_name} of {floor['num']} real train images vs the test images "
                         f"(what a perfect generator would score): {floor['value']:.2f}.")
    real_sharpness = next((r for r in rows if "real_laplacian_variance" in r), None)
    if real_sharpness is not None:
        notes.append(f"Sharpness: mean Laplacian variance and gradient energy of the FD's "
                     f"samples over those of its test images (1 = as sharp as the data, below 1 "
                     f"blurrier; noise raises both, so read them beside the FD). The test images' "
                     f"own: Laplacian variance {real_sharpness['real_laplacian_variance']:.4f}, "
                     f"gradient energy {real_sharpness['real_gradient_energy']:.4f} (pixels in "
                     f"[0, 1]).")
    for r in rows:
        if "error" in r:
            notes.append(f"{r['config']} seed {r['seed']} failed: {r['error']}")
    if suite == "dsprites":
        notes.append("beta-VAE metric: Higgins et al. 2017, accuracy of a linear classifier "
                     "predicting the fixed factor from mean |z1 - z2| (chance 0.2).")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def write_csv(path, rows):
    keys = list(dict.fromkeys(k for r in rows for k in r))
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in keys})
    os.replace(tmp, path)


def tradeoff_plot(path, suite, rows):
    """Reconstruction MSE (x) against sample quality (FD) or disentanglement (y), per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tfhybrids.plots import png_to_array, write_png

    y_key = "disentanglement" if suite == "dsprites" else "fd"
    y_label = ("beta-VAE disentanglement metric (higher is better)" if suite == "dsprites" else
               f"{next((r['fd_name'] for r in rows if 'fd_name' in r), 'FD')} "
               f"(lower is better)")
    figure, axis = plt.subplots(figsize=(6, 4.5))
    configs = list(dict.fromkeys(r["config"] for r in rows))
    classes = [next(r["model"] for r in rows if r["config"] == c) for c in configs]
    for config, cls in zip(configs, classes):
        group = [r for r in rows if r["config"] == config]
        label = f"{cls} ({config})"
        # The class names the point unless two configs share it (VAE and beta-VAE).
        name = cls if classes.count(cls) == 1 else config
        ys = [r[y_key] for r in group if y_key in r]
        xs = [r["mse"] for r in group if "mse" in r]
        if ys and xs:
            axis.errorbar(np.mean(xs), np.mean(ys), xerr=np.std(xs), yerr=np.std(ys), fmt="o",
                          capsize=3, label=label)
            axis.annotate(name, (np.mean(xs), np.mean(ys)), fontsize=8,
                          xytext=(4, 4), textcoords="offset points")
        elif ys:
            # A generator without an encoder has no reconstruction error: a horizontal line.
            axis.axhline(np.mean(ys), linestyle="--", color="0.5", linewidth=1)
            axis.annotate(f"{name} (no encoder)", (0.0, np.mean(ys)),
                          xycoords=("axes fraction", "data"), fontsize=8, xytext=(4, 4),
                          textcoords="offset points")
    axis.set_xlabel("reconstruction MSE, pixels in [0, 1] (lower is better)")
    axis.set_ylabel(y_label)
    axis.set_title(f"bench {suite}")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_png(path, png_to_array(buffer.getvalue()))


# ------------------------------------------------------------------------------ suites
def run_toy2d(out_dir=None, passthrough=(), log=print):
    """Runs `benchmarks/mode_collapse.py` (the mode-collapse benchmark) as its own command,
    writing to `out_dir` when one is given (else to the script's own default)."""
    import subprocess
    import sys

    root = repository_root()
    script = os.path.join(root, "benchmarks", "mode_collapse.py")
    if not os.path.exists(script):
        raise ConfigError(f"bench toy2d runs {script}, which is not there (the mode-collapse "
                          f"benchmark has not landed in this checkout).")
    command = [sys.executable, script, *passthrough]
    if out_dir:
        command += ["--out", out_dir]
    log("bench: " + " ".join(command))
    completed = subprocess.run(command, cwd=root)
    return completed.returncode


def available_cores():
    """The CPU cores this process may run on (its affinity mask, e.g. under taskset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def set_thread_count(threads):
    """Fixes TensorFlow's thread pools of this process: `threads` for the work inside an op
    and as many (at least 2: one inter-op thread can leave a kernel waiting on work queued
    behind it) for running ops side by side. Must run before TensorFlow executes any op."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(max(2, threads))


def _run_or_fail(path, out_dir, seed, budget, overrides, options, feature_network, log):
    """`run_model`, with a failure (other than a config error) turned into an error row."""
    try:
        return run_model(path, out_dir, seed, overrides=overrides, options=options,
                         feature_network=feature_network, log=log, **budget)
    except (KeyboardInterrupt, ConfigError):
        raise
    except Exception as error:  # noqa: BLE001 - one broken model must not sink the suite
        message = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        log(f"bench: {_stem(path)} seed {seed} failed: {message}")
        return {"config": _stem(path), "model": _model_class_name(path), "seed": seed,
                "epochs": 0, "train_minutes": float("nan"), "error": message}


def _worker_run(path, out_dir, seed, budget, overrides, options, dataset):
    """One run in a worker process: it loads its own feature network (a Keras model does
    not travel between processes)."""
    import tensorflow as tf

    feature_network = feature_network_for(options, dataset)[0] if dataset else None
    row = _run_or_fail(path, out_dir, seed, budget, overrides, options, feature_network, print)
    row["threads"] = tf.config.threading.get_intra_op_parallelism_threads()
    return row


def _run_in_workers(jobs, out_dir, budget, overrides, options, dataset, workers, threads, log):
    """Runs the (config, seed) jobs in `workers` processes of `threads` threads each, a fresh
    process per run; returns the rows in the order of `jobs`."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    log(f"bench: {len(jobs)} runs, {workers} at a time, {threads} TensorFlow thread(s) each")
    rows = [None] * len(jobs)
    with ProcessPoolExecutor(max_workers=workers, max_tasks_per_child=1,
                             mp_context=multiprocessing.get_context("spawn"),
                             initializer=set_thread_count, initargs=(threads,)) as pool:
        futures = {pool.submit(_worker_run, path, out_dir, seed, budget, overrides, options,
                               dataset): index for index, (path, seed) in enumerate(jobs)}
        for future in as_completed(futures):
            rows[futures[future]] = future.result()
            write_csv(os.path.join(out_dir, "results.csv"), [r for r in rows if r is not None])
    return rows


def suite_feature_network(options, dataset, log=print):
    """`feature_network_for` as `tfhybrids evaluate` calls it, except that a missing domain
    classifier of any dataset the training script knows is trained on first use (with a
    progress line and its test accuracy). Returns (network or None, reason)."""
    return feature_network_for(options, dataset, train_missing=True, log=log,
                               first_use_datasets=CLASSIFIER_DATASETS)


def run_suite(suite, out_dir, epochs=None, minutes=None, seeds=(0,), overrides=(),
              options=None, config_dir=None, extra_configs=(), log=print, cpu_minutes=None,
              workers=1, threads=None, models=None):
    """Runs a suite (see the module docstring) and writes results.md, results.csv and
    tradeoff.png in `out_dir`. `extra_configs` are config files run after the suite's own
    (e.g. a model whose config is not in configs/ yet). The budget is one of `epochs`,
    `minutes` (wall clock) and `cpu_minutes` (process CPU time). `workers` > 1 trains that
    many runs at once, each in its own process with `threads` TensorFlow threads (default:
    the available cores divided by the workers). `models` narrows the fashion_mnist suite
    (see `suite_configs`). Returns (rows, markdown table)."""
    from tfhybrids.training.checkpoints import write_json_atomic
    from tfhybrids.training.config import load_config

    given = [name for name, value in (("--epochs", epochs), ("--minutes", minutes),
                                      ("--cpu-minutes", cpu_minutes)) if value is not None]
    if len(given) > 1:
        raise ConfigError(f"bench: give one budget of --epochs, --minutes and --cpu-minutes, "
                          f"not {' and '.join(given)}.")
    for name, value in (("--minutes", minutes), ("--cpu-minutes", cpu_minutes)):
        if value is not None and not value > 0:
            raise ConfigError(f"bench: {name} must be positive, got {value}.")
    if epochs is not None and epochs < 1:
        raise ConfigError(f"bench: --epochs must be at least 1, got {epochs}.")
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"bench: --workers must be a whole number >= 1, got {workers}.")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ConfigError(f"bench: --threads must be a whole number >= 1, got {threads}.")
    if threads is not None and workers == 1:
        raise ConfigError("bench: --threads sets the threads of each worker process; give it "
                          "with --workers 2 or more.")
    paths = suite_configs(suite, config_dir, models)
    for path in extra_configs:
        if not os.path.exists(path):
            raise ConfigError(f"bench: --add-config {path}: no such file.")
        if _stem(path) in {_stem(p) for p in paths}:
            raise ConfigError(f"bench: --add-config {path}: the suite already has a config "
                              f"named {_stem(path)}.")
        paths.append(path)
    if options is None:
        options = EvaluationOptions(**(SMOKE_OPTIONS if suite == "smoke" else {}))
    os.makedirs(out_dir, exist_ok=True)

    # Load the feature network before any training (a missing domain classifier is trained
    # here, once, before the models: minutes against the suite's tens of minutes).
    feature_network = None
    dataset = None
    if suite != "dsprites":
        dataset = load_config(paths[0], overrides)["data"]["name"]
        feature_network, reason = suite_feature_network(options, dataset, log)
        if feature_network is None:
            log(f"bench: no Fréchet distance: {reason}.")

    floor = None
    if feature_network is not None:
        floor = data_floor(load_config(paths[0], overrides)["data"], feature_network,
                           options.num_fd_samples)
        log(f"bench: {floor['name']} of train vs test images: {floor['value']:.3f}")

    budget = {"epochs": epochs, "minutes": minutes, "cpu_minutes": cpu_minutes}
    jobs = [(path, seed) for path in paths for seed in seeds]
    rows = []
    if workers == 1:
        for path, seed in jobs:
            rows.append(_run_or_fail(path, out_dir, seed, budget, overrides, options,
                                     feature_network, log))
            # Written after every model, so a long suite shows its progress.
            write_csv(os.path.join(out_dir, "results.csv"), rows)
    else:
        rows = _run_in_workers(jobs, out_dir, budget, overrides, options,
                               dataset if feature_network is not None else None, workers,
                               threads or max(1, available_cores() // workers), log)
    if cpu_minutes:
        budget = f"{cpu_minutes:g} CPU-minutes of training"
    elif minutes:
        budget = f"{minutes:g} min of training"
    else:
        budget = f"{epochs} epochs" if epochs else "the configs' own epochs"
    table = markdown_table(suite, rows, budget, floor)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(f"# tfhybrids bench {suite}\n\n{table}")
    tradeoff_plot(os.path.join(out_dir, "tradeoff.png"), suite, rows)
    if suite == "dsprites":
        from tfhybrids.evaluation.history import write_suite_history

        write_suite_history(out_dir, rows, log)
    write_json_atomic(os.path.join(out_dir, "results.json"), {"suite": suite, "budget": budget,
                                                              "rows": rows, "data_floor": floor})
    return rows, table
