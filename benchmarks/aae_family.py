"""Trains the adversarial-autoencoder family on a small CPU budget and writes its figures.

    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/aae_family.py

Writes docs/benchmarks/aae_family/README.md (the tables) and PNGs, and prints every figure
and how long (wall and CPU seconds) each part took. Each model is trained from its config in
configs/ (so the script runs what a user would), for the number of steps given below instead
of the configs' epochs: the whole script is sized for about an hour of CPU on one core,
far below the paper's training (hundreds of epochs).

Parts (`--parts`, default all):
  semi        SemiSupervisedAAE, Fashion-MNIST, 100 and 1000 labels, next to the "NN baseline":
              the same encoder network trained as a classifier on the labelled examples alone.
  clustering  ClusteringAAE, Fashion-MNIST, 16 and 30 clusters (the paper's labelling).
  prior       AAE vs VAE with the mixture of ten 2-D Gaussians on Fashion-MNIST: share of test
              codes per component and the MMD^2 between test codes and prior samples.
  labelreg    LabelRegularizedAAE on Fashion-MNIST (1000 labels per class), mixture and
              Swiss-roll priors: latent scatter.
  supervised  SupervisedAAE on digits: style grid (rows: a test digit's style, columns: labels).
  dimred      DimensionalityReductionAAE on Fashion-MNIST, 1000 labels: 2-D map by label.
"""

import argparse
import glob
import json
import os
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


def setup_threads():
    import tensorflow as tf

    intra = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1"))
    inter = int(os.environ.get("TF_NUM_INTEROP_THREADS", "1"))
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)


class Timer:
    def __init__(self, name, timings):
        self.name, self.timings = name, timings

    def __enter__(self):
        self.wall, self.cpu = time.time(), time.process_time()
        return self

    def __exit__(self, *exc):
        wall, cpu = time.time() - self.wall, time.process_time() - self.cpu
        self.timings[self.name] = (wall, cpu)
        print(f"[time] {self.name}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)


def fit_config(name, steps, overrides=()):
    """Builds the run of configs/<name>.yaml and trains it for `steps` batches."""
    import tensorflow as tf

    from tfhybrids.training.config import load_config
    from tfhybrids.training.data_stream import train_stream
    from tfhybrids.training.runner import build_run

    config = load_config(os.path.join(CONFIGS, f"{name}.yaml"), list(overrides))
    bundle, model, _ = build_run(config, strategy=tf.distribute.get_strategy())
    stream = train_stream(bundle, config["train"]["seed"],
                          shuffle_buffer=config["data"].get("shuffle_buffer", 10000))
    history = model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0)
    last = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
    print(f"  {name}: {steps} steps, last-epoch means {last}", flush=True)
    return model, bundle, config


def predict(function, x, batch=1000):
    return np.concatenate([np.asarray(function(x[i:i + batch])) for i in range(0, len(x), batch)])


def codes_of(model, x):
    from tfhybrids.training.callbacks import latent_codes

    return latent_codes(model, x)


# ------------------------------------------------------------------------------- parts
def part_semi(results, pictures):
    import keras
    import tensorflow as tf

    from tfhybrids.evaluation.classification import semi_supervised_error
    from tfhybrids.networks import build_encoder

    rows = []
    for labels, name in ((100, "ssaae_fashion_mnist_100"), (1000, "ssaae_fashion_mnist_1000")):
        model, bundle, config = fit_config(name, STEPS["semi"])
        test_x, test_y = bundle.arrays("test")
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
        classifier.fit(labelled, epochs=1, steps_per_epoch=STEPS["baseline"], verbose=0)
        baseline = semi_supervised_error(predict(classifier, test_x), test_y)
        print(f"  {labels} labels: SSAAE test error {100 * error:.2f}%, NN baseline "
              f"{100 * baseline:.2f}%", flush=True)
        rows.append((labels, baseline, error))
    results["semi"] = rows


def part_clustering(results, pictures):
    from tfhybrids.evaluation.classification import cluster_labels, clustering_error

    rows = []
    for clusters in (16, 30):
        model, bundle, _ = fit_config(f"clustering_aae_fashion_mnist_{clusters}",
                                      STEPS["clustering"])
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
    results["clustering"] = rows


def part_prior(results, pictures):
    import tensorflow as tf

    from tfhybrids import plots
    from tfhybrids.coverage import component_shares
    from tfhybrids.two_sample import mmd_squared

    rows = {}
    for label, name in (("AAE", "aae_mixture_fashion_mnist"),
                        ("VAE", "vae_mixture_fashion_mnist")):
        model, bundle, _ = fit_config(name, STEPS["prior"])
        test_x, test_y = bundle.arrays("test")
        codes = codes_of(model, test_x)
        prior = model.prior
        samples = np.asarray(prior.sample(2000, tf.constant([7, 7])))
        shares = component_shares(codes, prior.component_means())
        # MMD on the first 2000 test codes: its kernel matrices grow with the square.
        mmd = mmd_squared(codes[:SHOWN], samples)
        print(f"  {label}: component shares {np.round(shares, 3).tolist()}, MMD^2 {mmd:.4f}",
              flush=True)
        rows[label] = (shares, mmd)
        pictures[f"prior_{label.lower()}_codes.png"] = plots.scatter(
            codes[:SHOWN], test_y[:SHOWN], title=f"{label}, mixture prior: test codes",
            reference=samples,
            class_names=bundle.class_names)
    results["prior"] = rows


def part_labelreg(results, pictures):
    import tensorflow as tf

    from tfhybrids import plots

    rows = {}
    for label, name in (("mixture", "label_regularized_aae_fashion_mnist"),
                        ("swiss_roll", "label_regularized_aae_swissroll_fashion_mnist")):
        model, bundle, _ = fit_config(name, STEPS["labelreg"])
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
        pictures[f"label_regularized_{label}.png"] = plots.scatter(
            codes[:SHOWN], test_y[:SHOWN], title=f"label-regularized AAE, {label} prior: test codes",
            reference=samples, class_names=bundle.class_names)
    results["labelreg"] = rows


def part_supervised(results, pictures):
    from tfhybrids import plots

    model, bundle, _ = fit_config("supervised_aae_digits", STEPS["supervised"])
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
    pictures["supervised_style_grid.png"] = plots.upscale(image, 2)
    recon = model.evaluate(bundle.test, return_dict=True, verbose=0)["recon_loss"]
    print(f"  supervised: test recon_loss {recon:.3f}", flush=True)
    results["supervised"] = recon


def part_dimred(results, pictures):
    from tfhybrids import plots
    from tfhybrids.evaluation.classification import semi_supervised_error

    model, bundle, _ = fit_config("dim_reduction_aae_fashion_mnist", STEPS["dimred"])
    test_x, test_y = bundle.arrays("test")
    codes = codes_of(model, test_x)
    error = semi_supervised_error(predict(model.classify, test_x), test_y)
    heads = np.asarray(model.cluster_heads)
    distances = np.sqrt(((heads[:, None] - heads[None]) ** 2).sum(-1))
    closest = float(distances[np.triu_indices(len(heads), 1)].min())
    print(f"  dimred: 2-D, 1000 labels: test error {100 * error:.2f}%, closest heads "
          f"{closest:.2f} apart (threshold {model.head_threshold})", flush=True)
    results["dimred"] = (error, closest, model.head_threshold)
    pictures["dim_reduction_2d.png"] = plots.scatter(
        codes, test_y, title="dimensionality-reduction AAE: 2-D test representation",
        class_names=bundle.class_names)


PARTS = {"semi": part_semi, "clustering": part_clustering, "prior": part_prior,
         "labelreg": part_labelreg, "supervised": part_supervised, "dimred": part_dimred}


# ------------------------------------------------------------------------------- report
def summary(results, timings):
    lines = ["# The adversarial-autoencoder family: benchmark",
             "",
             "Written by `benchmarks/aae_family.py` (run with "
             "`TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1`). Each model is trained "
             "from its config in `configs/` for the number of steps given below, on one CPU "
             "core: a budget of tens of CPU-minutes in all, far below the paper's (which "
             "trained for hundreds of epochs on GPUs), so the figures show what the models "
             "do after a short training, not their converged performance.",
             "",
             f"Steps (batches): {STEPS}.", ""]
    if "semi" in results:
        lines += ["## Semi-supervised classification, Fashion-MNIST (test error, 10000 "
                  "test images)", "",
                  "| labels | NN baseline | semi-supervised AAE |", "|---|---|---|"]
        lines += [f"| {n} | {100 * b:.2f}% | {100 * e:.2f}% |" for n, b, e in results["semi"]]
        lines += ["", "NN baseline: the SSAAE's encoder network trained as a classifier "
                  "(cross-entropy, Adam) on the labelled examples alone, for as many steps.",
                  ""]
    if "clustering" in results:
        lines += ["## Unsupervised clustering, Fashion-MNIST (test error)", "",
                  "| clusters | test error | clusters used on the test set |", "|---|---|---|"]
        lines += [f"| {k} | {100 * e:.2f}% | {u} |" for k, e, u in results["clustering"]]
        lines += ["", "Each cluster takes the label of the train example (first 10000) that "
                  "maximises q(y_k|x) (paper §6), and test images get their cluster's label.",
                  ""]
    if "prior" in results:
        aae, vae = results["prior"]["AAE"], results["prior"]["VAE"]
        lines += ["## AAE vs VAE with the mixture of ten 2-D Gaussians (Fashion-MNIST, 10000 "
                  "test images)", "",
                  "| component | " + " | ".join(str(k) for k in range(len(aae[0]))) + " | "
                  "MMD^2 to prior samples |",
                  "|---|" + "---|" * (len(aae[0]) + 1)]
        for name, (shares, mmd) in (("AAE", aae), ("VAE", vae)):
            lines.append(f"| {name} share | " + " | ".join(f"{s:.3f}" for s in shares)
                         + f" | {mmd:.4f} |")
        lines += ["", "Share: the fraction of test codes whose nearest component mean is that "
                  "component (1/10 each if the codes fill the prior evenly). MMD^2: unbiased, "
                  "Gaussian kernel with the median-distance bandwidth, the first 2000 test "
                  "codes against 2000 prior samples (0 for identical distributions). The "
                  "plots show the first 2000 test codes over prior samples (grey).", "",
                  "![AAE codes](prior_aae_codes.png) ![VAE codes](prior_vae_codes.png)", ""]
    if "labelreg" in results:
        lines += ["## Label-regularized AAE (Fashion-MNIST, 1000 labels per class)", "",
                  "| prior | test codes nearest their class's component | labelled train "
                  "codes nearest it (first 2000) | labelled train examples | median distance "
                  "of test codes to the roll |",
                  "|---|---|---|---|---|"]
        for k, (a, t, n, *rest) in results["labelreg"].items():
            distance = rest[0] if rest and rest[0] is not None else None
            lines.append(f"| {k} | {100 * a:.1f}% | {100 * t:.1f}% | {n} | "
                         + ("—" if distance is None else f"{distance:.3f}") + " |")
        lines += ["", "For the Swiss roll the component of a code is the segment whose "
                  "midpoint on the roll is nearest (segments are curved, so this is "
                  "approximate). Chance is 10%. The distance to the roll is measured to its "
                  "noise-free curve, for the first 2000 test codes; the roll's own noise has "
                  "standard deviation 0.05, and its arms are 2 apart."]
        lines += ["", "![mixture](label_regularized_mixture.png) "
                  "![swiss roll](label_regularized_swiss_roll.png)", ""]
    if "supervised" in results:
        lines += ["## Supervised AAE (digits): style grid", "",
                  "Each row: a test digit (first column) and its style code decoded as each "
                  f"label 0-9. Test recon_loss {results['supervised']:.3f}.", "",
                  "![style grid](supervised_style_grid.png)", ""]
    if "dimred" in results:
        error, closest, threshold = results["dimred"]
        lines += ["## Dimensionality reduction (Fashion-MNIST, 1000 labels, 2-D)", "",
                  f"Test error of q(y|x): {100 * error:.2f}%; closest pair of cluster heads "
                  f"{closest:.2f} apart (threshold {threshold}).", "",
                  "![2-D map](dim_reduction_2d.png)", ""]
    lines += ["## Time", "", "| part | wall s | CPU s |", "|---|---|---|"]
    lines += [f"| {k} | {w:.0f} | {c:.0f} |" for k, (w, c) in timings.items()]
    total = sum(c for _, c in timings.values())
    lines += ["", f"Total CPU: {total / 60:.1f} min.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated parts of {list(PARTS)}")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every step count (e.g. 0.01 for a smoke run)")
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--summary-only", action="store_true",
                        help="only rewrite README.md from the stored results-*.json")
    args = parser.parse_args(argv)
    if args.summary_only:
        print(write_summary(args.out))
        return
    for key in STEPS:
        STEPS[key] = max(1, int(round(STEPS[key] * args.scale)))
    setup_threads()
    from tfhybrids import plots

    os.makedirs(args.out, exist_ok=True)
    results, pictures, timings = {}, {}, {}
    parts = [p for p in args.parts.split(",") if p]
    for part in parts:
        if part not in PARTS:
            sys.exit(f"unknown part {part!r}; choose from {list(PARTS)}")
        print(f"== {part}", flush=True)
        with Timer(part, timings):
            PARTS[part](results, pictures)
    for name, image in pictures.items():
        plots.write_png(os.path.join(args.out, name), image)
    # Each run stores its parts' results, and the summary is written from every stored part,
    # so parts may run as separate processes (one core each) and still make one summary.
    with open(os.path.join(args.out, f"results-{'-'.join(parts)}.json"), "w") as f:
        json.dump({"results": results, "timings": timings, "steps": STEPS}, f, default=_plain)
    print(write_summary(args.out))


def write_summary(out):
    """Writes out/README.md from every stored results-*.json; returns its text."""
    merged_results, merged_timings = {}, {}
    for path in sorted(glob.glob(os.path.join(out, "results-*.json"))):
        with open(path) as f:
            stored = json.load(f)
        merged_results.update(stored["results"])
        merged_timings.update(stored["timings"])
        STEPS.update(stored["steps"])
    ordered = {k: merged_timings[k] for k in PARTS if k in merged_timings}
    text = summary(merged_results, ordered)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)
    return text


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__}")


if __name__ == "__main__":
    main()
