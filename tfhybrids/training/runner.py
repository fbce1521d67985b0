"""Train a model from a config into a run directory, resumably.

A run directory holds:

    config.yaml         the resolved config (defaults filled in)
    run.json            which model class the run belongs to
    checkpoints/        per-epoch checkpoints; re-running the same command resumes from them
    logs/               TensorBoard: train/ and validation/ scalars, images/ pictures
    model.keras         the trained model (Keras format, reloadable with custom objects)
    export/<name>/<v>/  SavedModel with serving signatures, in TF Serving's layout
    samples.png, reconstructions.png, latent.png
    metrics.json        test-set losses and, for priors with components, how codes fill them
"""

import contextlib
import datetime
import json
import os
import shutil

import keras
import numpy as np
import tensorflow as tf
import yaml

from tfhybrids.errors import ConfigError, TrainingError
from tfhybrids import plots
from tfhybrids.coverage import prior_coverage
from tfhybrids.two_sample import mmd_against_null
from tfhybrids.export import export_model
from tfhybrids.training.callbacks import (
    EpochCheckpoint,
    EvaluationNoise,
    FaultPoints,
    ImageSummaries,
    NonFiniteGuard,
    TensorBoard,
    latent_codes,
    model_pictures,
)
from tfhybrids.faults import fault_point
from tfhybrids.training.checkpoints import (
    RUN_FILE,
    CheckpointStore,
    check_workdir,
    completed_message,
    completed_run,
    evaluation_noise,
    write_json_atomic,
)
from tfhybrids.training.config import model_class
from tfhybrids.training import custom_loop
from tfhybrids.training.data_stream import batches_per_data_epoch, train_stream
from tfhybrids.training.strategies import is_chief, make_strategy, needs_custom_loop
from tfhybrids.validation import check_int

def build_model(config, element_shape, num_classes=None, strategy=None):
    """Builds the prior and the compiled model of a validated config for data of a shape."""
    from tfhybrids.priors import make_prior

    train = config["train"]
    cls = model_class(config["model"])
    latent_dim = config["model"].get("latent_dim")
    prior = None
    if latent_dim is not None:
        latent_dim = check_int("model", "latent_dim", latent_dim, minimum=1)
        prior = make_prior(config.get("prior") or {"name": "gaussian"}, latent_dim=latent_dim)
    elif config.get("prior"):
        raise ConfigError(f"prior: {cls.__name__} has no latent code to put a prior on.")
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(train["seed"])
    with strategy.scope():
        model = cls.from_settings(config["model"], prior, element_shape,
                                  num_classes=num_classes, seed=train["seed"])
        model.compile(jit_compile=train["jit_compile"],
                      steps_per_execution=train["steps_per_execution"],
                      skip_nonfinite=train["on_nonfinite"] == "skip_batch",
                      **config["optimizers"])
    return model


def build_run(config, strategy=None):
    """Builds data, prior and compiled model for a validated config.

    Returns (bundle, model, strategy).
    """
    from tfhybrids.data import load_data

    train = config["train"]
    strategy = strategy or make_strategy(train["strategy"], train["num_devices"])
    bundle = load_data(config["data"], seed=train["seed"])
    model = build_model(config, bundle.element_shape, bundle.num_classes, strategy)
    return bundle, model, strategy


def train(config, workdir, log=print, retrain=False):
    """Trains the model of `config` in `workdir`, resuming from its last checkpoint.

    Everything that can go wrong with the config or the data (the prior, the data source, the
    model's own checks) goes wrong while the run is built, before the workdir is touched. A
    run that already completed `train.epochs` epochs is left as it is (its metrics are
    returned) unless `retrain` is set, which starts it over from epoch 0 in the same workdir
    (its checkpoints and logs are deleted; the export gets a new version).

    Under a multi-worker strategy every worker runs this with the same config and workdir (a
    shared file system); only the chief writes to the workdir.

    Args:
        config: dict. A validated config (see training.config.load_config).
        workdir: str. The run directory.
        log: callable. Where progress messages go.
        retrain: bool. Train a completed run again from scratch. Defaults to False.

    Returns:
        dict: the metrics written to metrics.json.
    """
    cls = model_class(config["model"])
    train_settings = config["train"]
    check_workdir(workdir, cls.__name__)
    if not retrain and completed_run(workdir, train_settings["epochs"]) is not None:
        log(completed_message(workdir, train_settings["epochs"]))
        with open(os.path.join(workdir, "metrics.json")) as f:
            return json.load(f)
    # The strategy first: a multi-worker strategy must exist before TensorFlow runs any op.
    strategy = make_strategy(train_settings["strategy"], train_settings["num_devices"])
    chief = is_chief(strategy)
    if train_settings["deterministic"]:
        tf.config.experimental.enable_op_determinism()
    if train_settings["mixed_precision"] == "auto":
        log(f"train.mixed_precision: auto -> "
            f"{resolve_mixed_precision('auto') or 'float32'} on this machine")
    with dtype_policy(train_settings["mixed_precision"]):
        bundle, model, strategy = build_run(config, strategy)
    log(f"Training {cls.__name__} on {bundle.name} in {workdir}")
    if chief:
        if retrain:
            for name in ("checkpoints", "logs"):
                shutil.rmtree(os.path.join(workdir, name), ignore_errors=True)
        os.makedirs(workdir, exist_ok=True)
        write_json_atomic(os.path.join(workdir, RUN_FILE), {
            "model_class": cls.__name__,
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"),
        })
        with open(os.path.join(workdir, "config.yaml"), "w") as f:
            yaml.safe_dump(config, f, sort_keys=False)

    store = CheckpointStore(os.path.join(workdir, "checkpoints"),
                            keep=train_settings["keep_checkpoints"])
    initial_epoch = store.restore(model)
    if initial_epoch:
        _apply_configured_learning_rates(model, config)
        log(f"Resuming {cls.__name__} from epoch {initial_epoch} ({store.latest()[1]}).")
    epochs = train_settings["epochs"]

    logs_dir = os.path.join(workdir, "logs")
    callbacks = [NonFiniteGuard(store, skip=train_settings["on_nonfinite"] == "skip_batch",
                                log=log), EvaluationNoise()]
    if chief:
        callbacks += [
            TensorBoard(log_dir=logs_dir, write_graph=False, update_freq="epoch"),
            ImageSummaries(os.path.join(logs_dir, "images"), bundle,
                           every=train_settings["image_every"]),
            EpochCheckpoint(store),
        ]
    if os.environ.get("TFHYBRIDS_FAULT"):
        callbacks.append(FaultPoints())
    steps_per_epoch = train_settings["steps_per_epoch"] or batches_per_data_epoch(bundle)
    if initial_epoch < epochs:
        def stream(shard=None):
            return train_stream(bundle, train_settings["seed"],
                                start_step=initial_epoch * steps_per_epoch,
                                shuffle_buffer=config["data"].get("shuffle_buffer", 10000),
                                shard=shard)

        if needs_custom_loop(strategy):
            # Each worker builds the stream of its own rows (and reads only those).
            custom_loop.fit(model, strategy, stream, epochs, steps_per_epoch,
                            initial_epoch=initial_epoch, callbacks=callbacks,
                            validation_data=_even_test_batches(bundle),
                            validation_steps=bundle.num_test // bundle.batch_size,
                            verbose=train_settings["verbose"])
        else:
            model.fit(stream(), epochs=epochs, initial_epoch=initial_epoch,
                      steps_per_epoch=steps_per_epoch, validation_data=bundle.test,
                      shuffle=False, callbacks=callbacks, verbose=train_settings["verbose"])
        if "train" in bundle.indexed:
            log(f"Read {bundle.indexed['train'].examples_read} train examples by index.")
    metrics = finish(model, bundle, config, workdir, log, strategy=strategy, chief=chief)
    if needs_custom_loop(strategy):
        # Workers leave together: one that exits while the chief still writes can leave the
        # chief hanging in the cluster's shutdown.
        custom_loop.barrier(strategy)
    return metrics


BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(path="/proc/cpuinfo"):
    """The CPU's feature flags (empty where /proc/cpuinfo cannot be read)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def resolve_mixed_precision(name, gpus=None, flags=None):
    """The dtype policy that `train.mixed_precision` names, with "auto" resolved for this
    machine: "mixed_float16" (with loss scaling) where there is a GPU, "mixed_bfloat16" on a
    CPU with bfloat16 units (AMX or AVX512_BF16), None (float32) elsewhere.

    "auto" is not the default: bfloat16 changes the losses a run reaches (by how much against
    the seed-to-seed spread is not yet measured), and a default that depends on the machine
    would make the same config train differently on different machines.
    """
    if name != "auto":
        return name
    if gpus is None:
        gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return "mixed_float16"
    if flags is None:
        flags = cpu_flags()
    return "mixed_bfloat16" if flags & set(BF16_CPU_FLAGS) else None


@contextlib.contextmanager
def dtype_policy(name):
    """Builds layers under a mixed-precision policy ("mixed_float16" on GPUs, with loss
    scaling; "mixed_bfloat16" on CPUs and TPUs; "auto" for the one this machine has units
    for, see `resolve_mixed_precision`), restoring the previous global policy after: layers
    keep the policy they were built with."""
    previous = keras.config.dtype_policy()
    name = resolve_mixed_precision(name)
    if name:
        keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _even_test_batches(bundle):
    # The custom loop splits each global batch evenly over the workers, so it evaluates on
    # full batches only (a partial last batch is left out under multi-worker training).
    return bundle.examples["test"].batch(bundle.batch_size, drop_remainder=True)


def plain_copy(model, config):
    """A copy of a distributed model outside any strategy, with its weights, optimizer and
    seed states: what gets saved, pictured and exported."""
    clone = type(model).from_config(model.get_config())
    train = config["train"]
    clone.compile(jit_compile=train["jit_compile"],
                  steps_per_execution=train["steps_per_execution"],
                  skip_nonfinite=train["on_nonfinite"] == "skip_batch", **config["optimizers"])
    for target, source in zip(clone.variables, model.variables):
        target.assign(np.asarray(source.numpy()))
    for name in model.optimizer_names:
        for target, source in zip(getattr(clone, name).variables,
                                  getattr(model, name).variables):
            target.assign(np.asarray(source.numpy()))
    return clone


def _apply_configured_learning_rates(model, config):
    """The checkpoint restores each optimizer's learning rate; the config's value wins, so a
    run can be resumed with a new learning rate. (A schedule is rebuilt from the config and
    follows the restored step count of its optimizer.)"""
    for name, spec in config["optimizers"].items():
        rate = spec["config"].get("learning_rate")
        optimizer = getattr(model, name)
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        if isinstance(rate, float) and isinstance(inner.learning_rate, tf.Variable | keras.Variable):
            inner.learning_rate.assign(rate)


# The two-sample check of the test codes against the prior: at most this many codes, against
# this many prior samples, beside this many null pairs (fixed seeds: the same figures each time).
PRIOR_MATCH_CODES = 500
PRIOR_MATCH_SAMPLES = 500
PRIOR_MATCH_NULL_DRAWS = 20
_PRIOR_MATCH_SEED = 20_160_525


def prior_match(codes, prior):
    """MMD^2 (Gaussian kernels at several scales of the prior's median distance) between codes
    and prior samples, beside its null: the same statistic between two prior samples of the
    same sizes (`two_sample.mmd_against_null`)."""
    codes = np.asarray(codes)[:PRIOR_MATCH_CODES]
    num_draws = 1 + 2 * PRIOR_MATCH_NULL_DRAWS
    draws = prior.sample(num_draws * PRIOR_MATCH_SAMPLES, tf.constant([_PRIOR_MATCH_SEED, 0]))
    draws = np.reshape(draws.numpy(), (num_draws, PRIOR_MATCH_SAMPLES, -1))
    return mmd_against_null(codes, draws)


def evaluate_run(model, bundle, strategy=None):
    """Test-set losses plus, where the prior has components, how the codes fill them and how
    far they are from prior samples.

    The losses are computed with the fixed evaluation noise (`checkpoints.evaluation_noise`),
    so they equal the last epoch's validation losses and what `tfhybrids evaluate` reports.
    """
    with evaluation_noise(model):
        if strategy is not None and needs_custom_loop(strategy):
            results = custom_loop.evaluate(model, strategy, _even_test_batches(bundle),
                                           bundle.num_test // bundle.batch_size)
        else:
            results = model.evaluate(bundle.test, return_dict=True, verbose=0)
    metrics = {"test": {k: float(v) for k, v in results.items()}}
    prior = getattr(model, "prior", None)
    if hasattr(model, "encode_outputs") and prior is not None:
        means = prior.component_means()
        if means is not None:
            x, _ = bundle.arrays("test")
            codes = latent_codes(model, x)
            metrics["prior_coverage"] = prior_coverage(codes, means)
            if prior.name != "categorical" and codes.shape[1] == prior.latent_dim:
                metrics["prior_match"] = prior_match(codes, prior)
    return metrics


def finish(model, bundle, config, workdir, log=print, strategy=None, chief=True):
    """Writes metrics.json, model.keras, the PNGs and the SavedModel export of a trained run."""
    distributed = strategy is not None and strategy is not tf.distribute.get_strategy()
    if distributed and needs_custom_loop(strategy):
        test = evaluate_run(model, bundle, strategy)["test"]
        log("Test metrics: " + ", ".join(f"{k}={v:.6g}" for k, v in test.items()))
        if not chief:
            return {"test": test}
    if distributed:
        model = plain_copy(model, config)
    metrics = evaluate_run(model, bundle)
    metrics["model_class"] = type(model).__name__
    metrics["epochs"] = config["train"]["epochs"]
    metrics["data"] = bundle.name

    tmp_model = os.path.join(workdir, f".tmp-{os.getpid()}.keras")
    model.save(tmp_model)
    os.replace(tmp_model, os.path.join(workdir, "model.keras"))

    test_x, test_y = bundle.arrays("test", limit=2000)
    for name, image in model_pictures(model, bundle, test_x, test_y).items():
        plots.write_png(os.path.join(workdir, f"{name}.png"), image)

    if config["train"]["export"]:
        name = config["train"]["export_name"] or type(model).__name__.lower()
        path = export_model(model, os.path.join(workdir, "export"), name)
        metrics["export"] = os.path.relpath(path, workdir)
        log(f"Exported SavedModel to {path}")
    fault_point("before_metrics")
    write_json_atomic(os.path.join(workdir, "metrics.json"), metrics)
    log("Test metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics["test"].items())
        + " (the test split with fixed evaluation noise: the last epoch's val_ figures)")
    if "prior_coverage" in metrics:
        coverage = metrics["prior_coverage"]
        log(f"Prior coverage: {coverage['components_filled']}/{coverage['num_components']} "
            f"components filled (holding >= {coverage['filled_threshold']:.3f} of the codes "
            f"each); shares {coverage['min_share']:.3f}-{coverage['max_share']:.3f}: "
            + " ".join(f"{share:.3f}" for share in coverage["shares"]))
    if "prior_match" in metrics:
        match = metrics["prior_match"]
        log(f"Codes vs prior: MMD^2 {match['mmd2']:.4f} (sum of Gaussian kernels, bandwidths "
            + ", ".join(f"{b:.2f}" for b in match["bandwidths"])
            + f"; {match['num_samples']} test codes vs "
            f"{match['num_reference']} prior samples); two prior samples of these sizes give "
            f"{match['null_mean']:.4f} on average, 95th percentile {match['null_p95']:.4f} "
            f"({match['num_null_draws']} draws)")
    return metrics
