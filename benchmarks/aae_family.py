"""Trains the adversarial-autoencoder family on a small CPU budget and writes its figures.

    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/aae_family.py

Writes docs/benchmarks/aae_family/README.md (the tables) and PNGs, and prints every figure
and how long (wall and CPU seconds) each part took. Each model is trained from its config in
configs/ (so the script runs what a user would), for the number of steps given below instead
of the configs' epochs: far below the paper's training (hundreds of epochs).

Parts (`--parts`, default all):
  semi        SemiSupervisedAAE, Fashion-MNIST, 100 and 1000 labels, next to the "NN baseline":
              the same encoder network trained as a classifier on the labelled examples alone.
              Also the test error at SEMI_CURVE_POINTS evenly spaced steps, to see whether
              it still moves.
  clustering  ClusteringAAE, Fashion-MNIST, 16 and 30 clusters (the paper's labelling).
  prior       AAE vs VAE with the mixture of ten 2-D Gaussians on Fashion-MNIST: share of test
              codes per component and the MMD^2 between test codes and prior samples.
  labelreg    LabelRegularizedAAE on Fashion-MNIST (1000 labels per class), mixture and
              Swiss-roll priors: latent scatter.
  supervised  SupervisedAAE on digits: style grid (rows: a test digit's style, columns: labels).
  dimred      DimensionalityReductionAAE on Fashion-MNIST, 1000 labels: 2-D map by label.

Seeds (`--seeds 0,1,2`; by default DEFAULT_SEEDS, one seed for the parts not named there):
seed s sets `train.seed=s` of every config, and for the semi part also `data.labels_seed=s`
(which labelled examples the SSAAE and its baseline get), so that its spread includes the
choice of the labelled subset. Seed 0 is the configs' own setting.

Each (part, seed) is stored as out/results-<part>-seed<s>.json as soon as it has finished, and
a run skips every (part, seed) already stored with the same step counts: a killed run resumes
where it stopped, and parts may run as separate processes (one core each). README.md is
written from every stored result (`--summary-only` rewrites it alone).
"""

import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "docs", "benchmarks", "aae_family")
CONFIGS = os.path.join(REPO, "configs")

# Test codes shown in scatter plots and used for the MMD.
SHOWN = 2000
# Training steps per model (batches of the config's batch size).
STEPS = {
    # 15000: the 1000-label error fell from 18.9% at 2500 steps to 17.8% at 15000 (probe).
    "semi": 15000,
    "baseline": 15000,
    "clustering": 5000,
    "prior": 4000,
    "labelreg": 4000,
    "supervised": 4000,
    "dimred": 5000,
}
DEFAULT_STEPS = dict(STEPS)
# The semi part records the test error of both classifiers this many times during training
# (every 2500 steps of the default 15000).
SEMI_CURVE_POINTS = 6
# The parts whose claims the results pages check over several seeds; the others run seed 0.
DEFAULT_SEEDS = {"semi": (0, 1, 2), "prior": (0, 1, 2)}


def setup_threads():
    import tensorflow as tf

    intra = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1"))
    inter = int(os.environ.get("TF_NUM_INTEROP_THREADS", "1"))
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)


def seed_overrides(part, seed):
    """The config overrides that make `seed` of `part`."""
    overrides = [f"train.seed={seed}"]
    if part == "semi":
        overrides.append(f"data.labels_seed={seed}")
    return overrides


def fit_config(name, steps, overrides=(), callbacks=()):
    """Builds the run of configs/<name>.yaml and trains it for `steps` batches."""
    import tensorflow as tf

    from tfhybrids.training.config import load_config
    from tfhybrids.training.data_stream import train_stream
    from tfhybrids.training.runner import build_run

    config = load_config(os.path.join(CONFIGS, f"{name}.yaml"), list(overrides))
    bundle, model, _ = build_run(config, strategy=tf.distribute.get_strategy())
    stream = train_stream(bundle, config["train"]["seed"],
                          shuffle_buffer=config["data"].get("shuffle_buffer", 10000))
    history = model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0,
                        callbacks=list(callbacks))
    last = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
    print(f"  {name} {list(overrides)}: {steps} steps, last-epoch means {last}", flush=True)
    return model, bundle, config


def predict(function, x, batch=1000):
    return np.concatenate([np.asarray(function(x[i:i + batch])) for i in range(0, len(x), batch)])


def codes_of(model, x):
    from tfhybrids.training.callbacks import latent_codes

    return latent_codes(model, x)


def picture_name(stem, seed):
    """Seed 0's pictures keep the plain names the pages show; other seeds' get a suffix."""
    return f"{stem}.png" if seed == 0 else f"{stem}-seed{seed}.png"


def error_curve_callback(classify, x, y, every):
    """A callback that appends (step, test error of `classify(model, x)`) to its `points`
    every `every` training steps of the model it is fitted with."""
    import keras

    from tfhybrids.evaluation.classification import semi_supervised_error

    class ErrorCurve(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.points = []

        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % every == 0:
                probabilities = predict(lambda part: classify(self.model, part), x)
                self.points.append([batch + 1, float(semi_supervised_error(probabilities, y))])

    return ErrorCurve()


# ------------------------------------------------------------------------------- parts
def part_semi(seed, pictures):
    import keras

    from tfhybrids.data import load_data
    from tfhybrids.evaluation.classification import semi_supervised_error
    from tfhybrids.networks import build_encoder
    from tfhybrids.training.config import load_config

    rows = []
    for labels, name in ((100, "ssaae_fashion_mnist_100"), (1000, "ssaae_fashion_mnist_1000")):
        overrides = seed_overrides("semi", seed)
        test_x, test_y = load_data(load_config(os.path.join(CONFIGS, f"{name}.yaml"),
                                               overrides)["data"]).arrays("test")
        every = max(1, STEPS["semi"] // SEMI_CURVE_POINTS)
        ssaae_curve = error_curve_callback(lambda model, x: model.classify(x), test_x, test_y,
                                           every)
        model, bundle, config = fit_config(name, STEPS["semi"], overrides, [ssaae_curve])
        error = semi_supervised_error(predict(model.classify, test_x), test_y)

        # The NN baseline: the same encoder network as a plain classifier, labelled data only.
        keras.utils.set_random_seed(config["train"]["seed"])
        classifier = build_encoder(config["model"]["encoder"], bundle.element_shape,
                                   bundle.num_classes, name="baseline")
        classifier.compile(optimizer=keras.optimizers.Adam(5e-4, beta_1=0.5),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        labelled = (bundle.examples["labeled"].cache().repeat()
                    .shuffle(1000, seed=config["train"]["seed"])
                    .batch(bundle.labeled_batch_size, drop_remainder=True))
        baseline_curve = error_curve_callback(lambda model, x: model(x), test_x, test_y,
                                              max(1, STEPS["baseline"] // SEMI_CURVE_POINTS))
        classifier.fit(labelled, epochs=1, steps_per_epoch=STEPS["baseline"], verbose=0,
                       callbacks=[baseline_curve])
        baseline = semi_supervised_error(predict(classifier, test_x), test_y)
        print(f"  seed {seed}, {labels} labels: SSAAE test error {100 * error:.2f}%, NN "
              f"baseline {100 * baseline:.2f}% (curves: SSAAE {ssaae_curve.points}, "
              f"baseline {baseline_curve.points})", flush=True)
        rows.append({"labels": labels, "baseline": float(baseline), "ssaae": float(error),
                     "ssaae_curve": ssaae_curve.points,
                     "baseline_curve": baseline_curve.points})
    return rows


def part_clustering(seed, pictures):
    from tfhybrids.evaluation.classification import cluster_labels, clustering_error

    rows = []
    for clusters in (16, 30):
        model, bundle, _ = fit_config(f"clustering_aae_fashion_mnist_{clusters}",
                                      STEPS["clustering"],
                                      seed_overrides("clustering", seed))
        train_x, train_y = bundle.arrays("train", limit=10000)
        test_x, test_y = bundle.arrays("test")
        train_probs = predict(model.classify, train_x)
        test_probs = predict(model.classify, test_x)
        error = clustering_error(train_probs, train_y, test_probs, test_y)
        used = len(np.unique(test_probs.argmax(1)))
        names = cluster_labels(train_probs, train_y)
        print(f"  {clusters} clusters: test error {100 * error:.2f}% ({used} clusters used, "
              f"cluster labels {names.tolist()})", flush=True)
        rows.append((clusters, error, used))
    return rows


def part_prior(seed, pictures):
    import tensorflow as tf

    from tfhybrids import plots
    from tfhybrids.coverage import prior_coverage
    from tfhybrids.training.runner import prior_match
    from tfhybrids.two_sample import mmd_squared

    rows = {}
    for label, name in (("AAE", "aae_mixture_fashion_mnist"),
                        ("VAE", "vae_mixture_fashion_mnist")):
        model, bundle, _ = fit_config(name, STEPS["prior"], seed_overrides("prior", seed))
        test_x, test_y = bundle.arrays("test")
        codes = codes_of(model, test_x)
        prior = model.prior
        samples = np.asarray(prior.sample(2000, tf.constant([7, 7])))
        coverage = prior_coverage(codes, prior.component_means())
        # MMD on the first 2000 test codes: its kernel matrices grow with the square.
        mmd = mmd_squared(codes[:SHOWN], samples)
        # The main job's statistic (multi-scale kernel, beside two independent prior samples).
        match = prior_match(codes, prior)
        print(f"  seed {seed}, {label}: component shares {coverage['shares']}, "
              f"{coverage['components_filled']} filled, MMD^2 {mmd:.4f}; multi-scale MMD^2 "
              f"{match['mmd2']:.4f} (null p95 {match['null_p95']:.4f})", flush=True)
        rows[label] = {"shares": coverage["shares"], "mmd2": float(mmd),
                       "coverage": coverage, "match": match}
        pictures[picture_name(f"prior_{label.lower()}_codes", seed)] = plots.scatter(
            codes[:SHOWN], test_y[:SHOWN], title=f"{label}, mixture prior: test codes "
            f"(seed {seed})", reference=samples, class_names=bundle.class_names)
    # What MMD^2 two independent prior samples of the same sizes give: near 0 by chance.
    other = np.asarray(prior.sample(2000, tf.constant([8, 8])))
    rows["prior_pair_mmd2"] = float(mmd_squared(other[:SHOWN], samples))
    return rows


def part_labelreg(seed, pictures):
    import tensorflow as tf

    from tfhybrids import plots

    rows = {}
    for label, name in (("mixture", "label_regularized_aae_fashion_mnist"),
                        ("swiss_roll", "label_regularized_aae_swissroll_fashion_mnist")):
        model, bundle, _ = fit_config(name, STEPS["labelreg"], seed_overrides("labelreg", seed))
        test_x, test_y = bundle.arrays("test")
        codes = codes_of(model, test_x)
        means = model.prior.component_means()
        nearest = ((codes[:, None] - means[None]) ** 2).sum(-1).argmin(1)
        agreement = float(np.mean(nearest == test_y))
        labelled_x, labelled_y = next(bundle.examples["labeled"].batch(SHOWN)
                                      .as_numpy_iterator())
        labelled_codes = codes_of(model, labelled_x)
        train_nearest = ((labelled_codes[:, None] - means[None]) ** 2).sum(-1).argmin(1)
        train_agreement = float(np.mean(train_nearest == labelled_y))
        print(f"  {label}: {100 * agreement:.1f}% of test codes nearest their own class's "
              f"component ({100 * train_agreement:.1f}% of the first {len(labelled_y)} "
              f"labelled train codes; {bundle.num_labeled} labelled train examples)",
              flush=True)
        # How far the codes are from the prior's support: for the Swiss roll, the distance of
        # each test code to the noise-free roll (the roll's own noise has std 0.05).
        off_support = None
        if label == "swiss_roll":
            curve = np.asarray(model.prior.distribution.curve(
                np.linspace(0.0, 1.0, 4000, dtype="float32")))
            shown = codes[:SHOWN]
            off_support = float(np.median(np.sqrt(
                ((shown[:, None] - curve[None]) ** 2).sum(-1)).min(1)))
            print(f"  swiss_roll: median distance of test codes to the roll {off_support:.3f}",
                  flush=True)
        rows[label] = (agreement, train_agreement, bundle.num_labeled, off_support)
        samples = np.asarray(model.prior.sample(2000, tf.constant([3, 3])))
        pictures[picture_name(f"label_regularized_{label}", seed)] = plots.scatter(
            codes[:SHOWN], test_y[:SHOWN], title=f"label-regularized AAE, {label} prior: test codes",
            reference=samples, class_names=bundle.class_names)
    return rows


def part_supervised(seed, pictures):
    from tfhybrids import plots

    model, bundle, _ = fit_config("supervised_aae_digits", STEPS["supervised"],
                                  seed_overrides("supervised", seed))
    test_x, test_y = bundle.arrays("test")
    picks = np.concatenate([np.flatnonzero(test_y == k)[:1] for k in range(8)])
    styles = np.asarray(model.encode(test_x[picks]))
    grid = np.asarray(model.style_grid(styles))
    # Column 0: the test digit whose style the row takes; then its style in each class.
    rows = []
    for r in range(len(picks)):
        rows.append(np.concatenate([test_x[picks[r]][None],
                                    grid[r * model.num_classes:(r + 1) * model.num_classes]]))
    image = plots.image_grid(np.concatenate(rows), columns=model.num_classes + 1)
    pictures[picture_name("supervised_style_grid", seed)] = plots.upscale(image, 2)
    recon = model.evaluate(bundle.test, return_dict=True, verbose=0)["recon_loss"]
    print(f"  supervised: test recon_loss {recon:.3f}", flush=True)
    return recon


def part_dimred(seed, pictures):
    from tfhybrids import plots
    from tfhybrids.evaluation.classification import semi_supervised_error

    model, bundle, _ = fit_config("dim_reduction_aae_fashion_mnist", STEPS["dimred"],
                                  seed_overrides("dimred", seed))
    test_x, test_y = bundle.arrays("test")
    codes = codes_of(model, test_x)
    error = semi_supervised_error(predict(model.classify, test_x), test_y)
    heads = np.asarray(model.cluster_heads)
    distances = np.sqrt(((heads[:, None] - heads[None]) ** 2).sum(-1))
    closest = float(distances[np.triu_indices(len(heads), 1)].min())
    print(f"  dimred: 2-D, 1000 labels: test error {100 * error:.2f}%, closest heads "
          f"{closest:.2f} apart (threshold {model.head_threshold})", flush=True)
    pictures[picture_name("dim_reduction_2d", seed)] = plots.scatter(
        codes, test_y, title="dimensionality-reduction AAE: 2-D test representation",
        class_names=bundle.class_names)
    return error, closest, model.head_threshold


PARTS = {"semi": part_semi, "clustering": part_clustering, "prior": part_prior,
         "labelreg": part_labelreg, "supervised": part_supervised, "dimred": part_dimred}


# ------------------------------------------------------------------------------- storage
def part_steps(part, steps):
    """The step counts that (part, seed) results depend on."""
    keys = ("semi", "baseline") if part == "semi" else (part,)
    return {key: steps[key] for key in keys}


def result_path(out, part, seed):
    return os.path.join(out, f"results-{part}-seed{seed}.json")


def stored_result(out, part, seed, steps=None):
    """The stored record of (part, seed), or None if there is none, it cannot be read (a run
    killed while writing it), or it was trained for other step counts than `steps`."""
    try:
        with open(result_path(out, part, seed)) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    if steps is not None and record.get("steps") != part_steps(part, steps):
        return None
    return record


def pending(out, seeds_of, steps):
    """The (part, seed) pairs of `seeds_of` ({part: seeds}) that have no stored result for
    these step counts, in order."""
    return [(part, seed) for part, seeds in seeds_of.items() for seed in seeds
            if stored_result(out, part, seed, steps) is None]


def store_result(out, record):
    """Writes the record of one (part, seed) whole or not at all (a kill while writing leaves
    the previous file), so that a stored file always means a finished result."""
    path = result_path(out, record["part"], record["seed"])
    with open(path + ".tmp", "w") as f:
        json.dump(record, f, default=_plain, indent=1)
    os.replace(path + ".tmp", path)


def claim(out, part, seed):
    """Takes (part, seed) for this process unless a live process has it: True if taken.

    The claim is a file holding the process id, created exclusively; a claim whose process
    has died (a killed run) is taken over."""
    path = result_path(out, part, seed) + ".running"
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                with open(path) as f:
                    owner = int(f.read().strip() or 0)
                os.kill(owner, 0)
                return owner == os.getpid()
            except (OSError, ValueError):
                _remove(path)
                continue
        with os.fdopen(descriptor, "w") as f:
            f.write(str(os.getpid()))
        return True
    return False


def release(out, part, seed):
    _remove(result_path(out, part, seed) + ".running")


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def code_version():
    """The commit the code ran at, marked '+changes' when the code differs from it."""
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--",
                                  "tfhybrids", "configs", "benchmarks/aae_family.py"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if changed else "")


def machine():
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import tensorflow as tf

    return (f"{name}, {os.cpu_count()} cores; TensorFlow {tf.__version__}; threads intra "
            f"{os.environ.get('TF_NUM_INTRAOP_THREADS', '1')}, inter "
            f"{os.environ.get('TF_NUM_INTEROP_THREADS', '1')}")


def parse_steps(text):
    steps = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        if key.strip() not in STEPS or not value.strip().isdigit() or int(value) < 1:
            raise argparse.ArgumentTypeError(
                f"--steps expects key=count pairs with keys of {list(STEPS)} and counts >= 1, "
                f"such as semi=5000,baseline=5000; got {item!r}")
        steps[key.strip()] = int(value)
    return steps


def parse_seeds(text):
    try:
        seeds = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        seeds = ()
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(
            f"--seeds expects comma-separated integers >= 0 such as 0,1,2, got {text!r}")
    return seeds


# ------------------------------------------------------------------------------- report
def mean_std(values, scale=1.0, digits=2, suffix=""):
    """'mean ± std (n seeds)' with the sample standard deviation; the value alone for one."""
    values = np.asarray(values, dtype=float) * scale
    if len(values) == 1:
        return f"{values[0]:.{digits}f}{suffix}"
    return (f"{values.mean():.{digits}f}{suffix} ± {values.std(ddof=1):.{digits}f}"
            f"{suffix}")


def total_variation(shares):
    """Half the L1 distance between the shares and the uniform spread: 0 when even."""
    shares = np.asarray(shares, dtype=float)
    return float(0.5 * np.abs(shares - 1.0 / len(shares)).sum())


def late_mean(curve):
    """The mean error over the checkpoints of the second half of training, or None."""
    if not curve:
        return None
    last = max(step for step, _ in curve)
    return float(np.mean([error for step, error in curve if step > last / 2]))


def claim_checks(records):
    """{claim: {seed: holds}} for the claims the semi and prior parts test."""
    checks = {}
    for seed, record in sorted(records.get("semi", {}).items()):
        for row in record["result"]:
            claim = f"SSAAE beats the NN baseline, {row['labels']} labels (lower test error)"
            checks.setdefault(claim, {})[seed] = row["ssaae"] < row["baseline"]
            # The error at one step is noisy: between checkpoints 2500 steps apart it moved by
            # up to 3.5 points (the baseline on 100 labels, 30.5% -> 34.0%, and the SSAAE on
            # 1000, 18.1% -> 20.3%, both at the last checkpoint of a 15000-step run). The mean
            # over the second half of the checkpoints compares the two with less of that noise.
            ssaae_late, baseline_late = (late_mean(row.get(key, []))
                                         for key in ("ssaae_curve", "baseline_curve"))
            if ssaae_late is not None and baseline_late is not None:
                claim = (f"SSAAE beats the NN baseline, {row['labels']} labels (mean test "
                         "error over the second half of the checkpoints)")
                checks.setdefault(claim, {})[seed] = ssaae_late < baseline_late
    for seed, record in sorted(records.get("prior", {}).items()):
        aae, vae = record["result"]["AAE"], record["result"]["VAE"]
        checks.setdefault("AAE fills the ten components more evenly than the VAE (total "
                          "variation of the shares from uniform)", {})[seed] = (
            total_variation(aae["shares"]) < total_variation(vae["shares"]))
        checks.setdefault("AAE's test codes are closer to prior samples than the VAE's "
                          "(MMD^2)", {})[seed] = aae["mmd2"] < vae["mmd2"]
    return checks


def verdict(per_seed):
    held = sum(per_seed.values())
    if held == len(per_seed):
        return f"holds ({held} of {len(per_seed)} seeds)"
    return f"does not hold ({held} of {len(per_seed)} seeds)"


def seeds_label(records):
    seeds = sorted(records)
    return (f"{len(seeds)} seeds ({', '.join(map(str, seeds))})" if len(seeds) > 1
            else f"1 seed (seed {seeds[0]})")


def semi_section(records):
    seeds = sorted(records)
    lines = ["## Semi-supervised classification, Fashion-MNIST (test error, 10000 test "
             f"images; {seeds_label(records)})", "",
             "| labels | NN baseline | semi-supervised AAE | baseline − SSAAE (points) |",
             "|---|---|---|---|"]
    by_labels = {}
    for seed in seeds:
        for row in records[seed]["result"]:
            by_labels.setdefault(row["labels"], []).append(row)
    for labels, rows in by_labels.items():
        baseline = [r["baseline"] for r in rows]
        ssaae = [r["ssaae"] for r in rows]
        lines.append(f"| {labels} | {mean_std(baseline, 100, suffix='%')} | "
                     f"{mean_std(ssaae, 100, suffix='%')} | "
                     f"{mean_std(np.subtract(baseline, ssaae), 100)} |")
    lines += ["", "Per seed:", "", "| seed | labels | NN baseline | SSAAE | SSAAE lower |",
              "|---|---|---|---|---|"]
    for seed in seeds:
        for row in records[seed]["result"]:
            lines.append(f"| {seed} | {row['labels']} | {100 * row['baseline']:.2f}% | "
                         f"{100 * row['ssaae']:.2f}% | "
                         f"{'yes' if row['ssaae'] < row['baseline'] else 'no'} |")
    curves = [(labels, kind) for labels in by_labels for kind in ("ssaae", "baseline")]
    steps = sorted({point[0] for rows in by_labels.values() for r in rows
                    for kind in ("ssaae", "baseline") for point in r.get(f"{kind}_curve", [])})
    if steps:
        names = {"ssaae": "SSAAE", "baseline": "baseline"}
        lines += ["", "Test error at checkpoints during training (mean ± std over the "
                  "seeds; the tables above are after the last step):", "",
                  "| steps | " + " | ".join(f"{names[k]}, {n} labels" for n, k in curves)
                  + " |", "|---|" + "---|" * len(curves)]
        for step in steps:
            cells = []
            for labels, kind in curves:
                values = [dict(map(tuple, r.get(f"{kind}_curve", []))).get(step)
                          for r in by_labels[labels]]
                values = [v for v in values if v is not None]
                cells.append(mean_std(values, 100, suffix="%") if values else "—")
            lines.append(f"| {step} | " + " | ".join(cells) + " |")
    lines += ["", "NN baseline: the SSAAE's encoder network trained as a classifier "
              "(cross-entropy, Adam) on the labelled examples alone, for as many steps. Seed s "
              "sets the training seed and the labelled subset (`data.labels_seed=s`) of both, "
              "so each seed compares the two on the same labels.", ""]
    return lines


def prior_section(records, out):
    seeds = sorted(records)
    lines = ["## AAE vs VAE with the mixture of ten 2-D Gaussians (Fashion-MNIST, 10000 "
             f"test images; {seeds_label(records)})", "",
             "| model | smallest share | largest share | components filled | total variation "
             "from uniform | MMD^2 to prior samples | multi-scale MMD^2 (null 95th pct.) |",
             "|---|---|---|---|---|---|---|"]

    def column(model, get):
        return [get(records[s]["result"][model]) for s in seeds]

    for model in ("AAE", "VAE"):
        lines.append(
            f"| {model} | {mean_std(column(model, lambda r: min(r['shares'])), digits=3)} | "
            f"{mean_std(column(model, lambda r: max(r['shares'])), digits=3)} | "
            f"{mean_std(column(model, lambda r: r['coverage']['components_filled']), digits=1)}"
            f" | {mean_std(column(model, lambda r: total_variation(r['shares'])), digits=3)} | "
            f"{mean_std(column(model, lambda r: r['mmd2']), digits=4)} | "
            f"{mean_std(column(model, lambda r: r['match']['mmd2']), digits=4)} "
            f"({mean_std(column(model, lambda r: r['match']['null_p95']), digits=4)}) |")
    pair = [records[s]["result"]["prior_pair_mmd2"] for s in seeds]
    lines += [f"| two prior samples | | | | | {mean_std(pair, digits=4)} | |", "",
              "Per seed:", "",
              "| seed | model | shares of components 0-9 | filled | total variation | MMD^2 | "
              "multi-scale MMD^2 (null 95th pct.) |", "|---|---|---|---|---|---|---|"]
    for seed in seeds:
        for model in ("AAE", "VAE"):
            row = records[seed]["result"][model]
            lines.append(f"| {seed} | {model} | " + " ".join(f"{s:.3f}" for s in row["shares"])
                         + f" | {row['coverage']['components_filled']} | "
                         f"{total_variation(row['shares']):.3f} | {row['mmd2']:.4f} | "
                         f"{row['match']['mmd2']:.4f} ({row['match']['null_p95']:.4f}) |")
    match = records[seeds[0]]["result"]["AAE"]["match"]
    lines += ["", "Share: the fraction of test codes whose nearest component mean is that "
              "component (1/10 each if the codes fill the prior evenly); a component is filled "
              "when it holds at least half of that. Total variation: half the summed absolute "
              "difference between the shares and 1/10 (0 when even, 0.9 when all codes sit in "
              "one component). MMD^2: unbiased, Gaussian kernel with the median-distance "
              "bandwidth, the first 2000 test codes against 2000 prior samples (0 for identical "
              "distributions; the row 'two prior samples' is the value chance gives). "
              f"Multi-scale MMD^2: the statistic the main job reports (`prior_match`: "
              f"{match['num_samples']} codes against {match['num_reference']} prior samples, "
              f"Gaussian kernels at 1, 1/2, 1/4 and 1/8 of the prior's median distance), beside "
              f"the 95th percentile of its value between two independent prior samples "
              f"({match['num_null_draws']} pairs).", "",
              f"Test codes of seed {seeds[0]} (the first 2000) over prior samples (grey):", "",
              f"![AAE codes]({picture_name('prior_aae_codes', seeds[0])}) "
              f"![VAE codes]({picture_name('prior_vae_codes', seeds[0])})", ""]
    others = [s for s in seeds[1:]
              if os.path.exists(os.path.join(out, picture_name("prior_aae_codes", s)))]
    if others:
        lines += ["Other seeds: " + ", ".join(
            f"[AAE seed {s}]({picture_name('prior_aae_codes', s)}), "
            f"[VAE seed {s}]({picture_name('prior_vae_codes', s)})" for s in others) + ".", ""]
    return lines


def clustering_section(records):
    lines = [f"## Unsupervised clustering, Fashion-MNIST (test error; {seeds_label(records)})",
             "", "| seed | clusters | test error | clusters used on the test set |",
             "|---|---|---|---|"]
    for seed in sorted(records):
        lines += [f"| {seed} | {k} | {100 * e:.2f}% | {u} |"
                  for k, e, u in records[seed]["result"]]
    lines += ["", "Each cluster takes the label of the train example (first 10000) that "
              "maximises q(y_k|x) (paper §6), and test images get their cluster's label.", ""]
    return lines


def labelreg_section(records):
    lines = ["## Label-regularized AAE (Fashion-MNIST, 1000 labels per class; "
             f"{seeds_label(records)})", "",
             "| seed | prior | test codes nearest their class's component | labelled train "
             "codes nearest it (first 2000) | labelled train examples | median distance "
             "of test codes to the roll |",
             "|---|---|---|---|---|---|"]
    for seed in sorted(records):
        for k, (a, t, n, *rest) in records[seed]["result"].items():
            distance = rest[0] if rest and rest[0] is not None else None
            lines.append(f"| {seed} | {k} | {100 * a:.1f}% | {100 * t:.1f}% | {n} | "
                         + ("—" if distance is None else f"{distance:.3f}") + " |")
    first = sorted(records)[0]
    lines += ["", "For the Swiss roll the component of a code is the segment whose "
              "midpoint on the roll is nearest (segments are curved, so this is "
              "approximate). Chance is 10%. The distance to the roll is measured to its "
              "noise-free curve, for the first 2000 test codes; the roll's own noise has "
              "standard deviation 0.05, and its arms are 2 apart.", "",
              f"![mixture]({picture_name('label_regularized_mixture', first)}) "
              f"![swiss roll]({picture_name('label_regularized_swiss_roll', first)})", ""]
    return lines


def supervised_section(records):
    first = sorted(records)[0]
    recon = ", ".join(f"{records[s]['result']:.3f} (seed {s})" for s in sorted(records))
    return ["## Supervised AAE (digits): style grid " f"({seeds_label(records)})", "",
            "Each row: a test digit (first column) and its style code decoded as each "
            f"label 0-9. Test recon_loss {recon}.", "",
            f"![style grid]({picture_name('supervised_style_grid', first)})", ""]


def dimred_section(records):
    first = sorted(records)[0]
    lines = ["## Dimensionality reduction (Fashion-MNIST, 1000 labels, 2-D; "
             f"{seeds_label(records)})", ""]
    for seed in sorted(records):
        error, closest, threshold = records[seed]["result"]
        lines.append(f"Seed {seed}: test error of q(y|x) {100 * error:.2f}%; closest pair of "
                     f"cluster heads {closest:.2f} apart (threshold {threshold}).")
    return lines + ["", f"![2-D map]({picture_name('dim_reduction_2d', first)})", ""]


SECTIONS = {"semi": semi_section, "clustering": clustering_section,
            "labelreg": labelreg_section, "supervised": supervised_section,
            "dimred": dimred_section}


def rerun_command(part, stored):
    """The command that makes (or resumes) the stored results of one part."""
    seeds = sorted(stored)
    command = f"python benchmarks/aae_family.py --parts {part}"
    if tuple(seeds) != tuple(DEFAULT_SEEDS.get(part, (0,))):
        command += f" --seeds {','.join(map(str, seeds))}"
    steps = stored[seeds[0]]["steps"]
    if any(DEFAULT_STEPS[key] != value for key, value in steps.items()):
        command += " --steps " + ",".join(f"{key}={value}" for key, value in steps.items())
    return command


def summary(records, out):
    """The results page from {part: {seed: stored record}}."""
    lines = ["# The adversarial-autoencoder family: benchmark", "",
             "Written by `benchmarks/aae_family.py`; the stored results come from", "",
             "```bash"]
    lines += [rerun_command(part, records[part]) for part in PARTS if part in records]
    lines += ["python benchmarks/aae_family.py --summary-only   # this page, from the stored "
              "results-*.json",
              "```", "",
              "with `TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1` (one core per process) "
              "under `nice -n 19`. Each model is trained from its config in `configs/` for the "
              "steps given below: a budget of minutes of CPU per model, far below the paper's "
              "(which trained for hundreds of epochs on GPUs), so the figures show what the "
              "models do after a short training, not their converged performance. Each (part, "
              "seed) is stored in `results-<part>-seed<s>.json` as it finishes; the same "
              "command resumes a killed run from the stored ones. Code: the commit the run "
              "started from ('+changes': with uncommitted changes to the script or library).",
              ""]
    changed = {key: value for part in records for record in records[part].values()
               for key, value in record["steps"].items() if value != DEFAULT_STEPS[key]}
    if changed:
        lines += ["Step counts that differ from the script's defaults: " + ", ".join(
            f"{key} {value} (default {DEFAULT_STEPS[key]})" for key, value in changed.items())
            + ".", ""]
    lines += ["| part | seeds | steps (batches) per model | CPU s per seed | code (commit) | "
              "machine |", "|---|---|---|---|---|---|"]
    for part in PARTS:
        if part in records:
            stored = records[part]
            steps = ", ".join(f"{k} {v}" for k, v in stored[min(stored)]["steps"].items())
            cpu = mean_std([r["cpu_seconds"] for r in stored.values()], digits=0)
            commits = ", ".join(sorted({r["commit"] for r in stored.values()}))
            machines = "; ".join(sorted({r["machine"] for r in stored.values()}))
            lines.append(f"| {part} | {seeds_label(stored)} | {steps} | {cpu} | {commits} | "
                         f"{machines} |")
    lines.append("")
    checks = claim_checks(records)
    if checks:
        lines += ["## Verdicts", "", "| claim (Makhzani et al. 2016) | per seed | over the "
                  "seeds |", "|---|---|---|"]
        for claim, per_seed in checks.items():
            cells = ", ".join(f"seed {s}: {'holds' if ok else 'does not hold'}"
                              for s, ok in per_seed.items())
            lines.append(f"| {claim} | {cells} | {verdict(per_seed)} |")
        lines += ["", "A claim holds over the seeds when it holds for every seed.", ""]
    for part in PARTS:
        if part == "prior" and part in records:
            lines += prior_section(records[part], out)
        elif part in records:
            lines += SECTIONS[part](records[part])
    notes = os.path.join(out, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += [f.read().strip(), ""]
    lines += ["## Time", "", "| part | seed | wall s | CPU s |", "|---|---|---|---|"]
    for part in PARTS:
        for seed, record in sorted(records.get(part, {}).items()):
            lines.append(f"| {part} | {seed} | {record['wall_seconds']:.0f} | "
                         f"{record['cpu_seconds']:.0f} |")
    total = sum(r["cpu_seconds"] for stored in records.values() for r in stored.values())
    lines += ["", f"Total CPU of the stored results: {total / 60:.1f} min (wall time is "
              "longer on a shared machine: the runs got only the CPU others left).", ""]
    return "\n".join(lines)


def stored_records(out):
    """{part: {seed: record}} of every results-<part>-seed<s>.json in `out`."""
    records = {}
    for path in sorted(glob.glob(os.path.join(out, "results-*-seed*.json"))):
        with open(path) as f:
            record = json.load(f)
        records.setdefault(record["part"], {})[record["seed"]] = record
    return records


def write_summary(out):
    """Writes out/README.md from every stored result; returns its text."""
    text = summary(stored_records(out), out)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated parts of {list(PARTS)}")
    parser.add_argument("--seeds", type=parse_seeds, default=None,
                        help="comma-separated seeds for every part (default: "
                             f"{DEFAULT_SEEDS}, seed 0 for the other parts)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every step count (e.g. 0.01 for a smoke run)")
    parser.add_argument("--steps", type=parse_steps, default=None,
                        help="step counts that replace the scaled defaults, e.g. "
                             "semi=5000,baseline=5000 (keys of STEPS)")
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--summary-only", action="store_true",
                        help="only rewrite README.md from the stored results-*.json")
    args = parser.parse_args(argv)
    if args.summary_only:
        print(write_summary(args.out))
        return
    parts = [p for p in args.parts.split(",") if p]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        sys.exit(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
    for key in STEPS:
        STEPS[key] = max(1, int(round(STEPS[key] * args.scale)))
    STEPS.update(args.steps or {})
    seeds_of = {part: args.seeds or DEFAULT_SEEDS.get(part, (0,)) for part in parts}
    todo = pending(args.out, seeds_of, STEPS)
    done = [(p, s) for p, seeds in seeds_of.items() for s in seeds if (p, s) not in todo]
    if done:
        print(f"already stored, skipped: {done}", flush=True)
    setup_threads()
    from tfhybrids import plots

    os.makedirs(args.out, exist_ok=True)
    version, where = code_version(), machine()
    for part, seed in todo:
        # Another process (one core each) may have stored it since this one started, or
        # be training it now.
        if stored_result(args.out, part, seed, STEPS) is not None:
            print(f"== {part}, seed {seed}: stored meanwhile, skipped", flush=True)
            continue
        if not claim(args.out, part, seed):
            print(f"== {part}, seed {seed}: another process is training it, skipped",
                  flush=True)
            continue
        print(f"== {part}, seed {seed}", flush=True)
        pictures = {}
        wall, cpu = time.time(), time.process_time()
        result = PARTS[part](seed, pictures)
        wall, cpu = time.time() - wall, time.process_time() - cpu
        print(f"[time] {part} seed {seed}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
        for name, image in pictures.items():
            plots.write_png(os.path.join(args.out, name), image)
        store_result(args.out, {"part": part, "seed": seed,
                                "overrides": seed_overrides(part, seed),
                                "steps": part_steps(part, STEPS), "result": result,
                                "wall_seconds": wall, "cpu_seconds": cpu,
                                "commit": version, "machine": where})
        release(args.out, part, seed)
    print(write_summary(args.out))


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__}")


if __name__ == "__main__":
    main()
