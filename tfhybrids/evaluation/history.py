"""The metric against training time: a time-budget run's kept checkpoints, evaluated.

`tfhybrids bench dsprites --cpu-minutes M` keeps one checkpoint per epoch (with the budget
spent when it was written, see `bench.train_for_minutes`). After the run's own evaluation,
`checkpoint_history` loads each earlier checkpoint into the model and computes what the
table reports for the final one: the test losses (reconstruction NLL, KL) and the beta-VAE
disentanglement metric with the same protocol and seed. The last point is the run's own row
(the same weights). `write_suite_history` gathers the runs into `history.csv` and the figure
`metric_vs_cpu.png`, which shows whether the figure has stopped moving within the budget.

Each run caches its points in RUN/history.json by epoch, so a suite killed while evaluating
does not evaluate the same checkpoint twice.
"""

import io
import os

import numpy as np

from tfhybrids.training.checkpoints import read_json

HISTORY_FILE = "history.json"
# The figures of a point, with the row keys of the final one (bench.result_row).
POINT_KEYS = ("disentanglement", "test_recon_loss", "test_kl_loss")


def checkpoint_history(model, bundle, workdir, history, options, log=print, final=None):
    """Evaluates the checkpoint of every epoch in `history` (dicts with epoch, steps and
    minutes of budget spent) that `workdir/checkpoints` holds; returns the points.

    The model's weights are replaced by each checkpoint's in turn (call this after the run's
    own evaluation). `final`, the run's result row, gives the last epoch's figures.
    """
    from tfhybrids.data.dsprites import DSPRITES
    from tfhybrids.evaluation.disentanglement import beta_vae_score
    from tfhybrids.evaluation.evaluate import deterministic_codes
    from tfhybrids.training.checkpoints import write_json_atomic
    from tfhybrids.training.runner import evaluate_run

    path = os.path.join(workdir, HISTORY_FILE)
    protocol = {"num_train": options.disentanglement_train,
                "num_eval": options.disentanglement_eval,
                "pairs_per_point": options.disentanglement_pairs, "seed": options.seed}
    cached = read_json(path)
    done = ({p["epoch"]: p for p in cached.get("points", [])}
            if cached.get("protocol") == protocol else {})
    points = []
    for index, entry in enumerate(history):
        epoch = entry["epoch"]
        point = {"epoch": epoch, "steps": entry["steps"], "minutes": entry["minutes"]}
        if index == len(history) - 1 and final is not None:
            point.update({k: final[k] for k in POINT_KEYS if k in final})
        elif epoch in done:
            point = done[epoch]
        else:
            weights = os.path.join(workdir, "checkpoints", f"epoch-{epoch:05d}.weights.h5")
            if not os.path.exists(weights):
                continue
            model.load_weights(weights)
            test = evaluate_run(model, bundle)["test"]
            point.update({f"test_{k}": float(v) for k, v in test.items()
                          if f"test_{k}" in POINT_KEYS})
            point["disentanglement"] = beta_vae_score(
                DSPRITES, lambda images: deterministic_codes(model, images), **protocol)[
                    "accuracy"]
            log(f"bench: {workdir} epoch {epoch} ({point['minutes']:.2f} min): beta-VAE "
                f"metric {point['disentanglement']:.3f}")
        points.append(point)
        write_json_atomic(path, {"protocol": protocol, "points": points})
    return points


def suite_history(out_dir, rows):
    """[(config, seed, points)] of the suite's runs that have a history."""
    runs = []
    for row in rows:
        if "error" in row:
            continue
        points = read_json(os.path.join(out_dir, row["config"], f"seed{row['seed']}",
                                    HISTORY_FILE)).get("points")
        if points:
            runs.append((row["config"], row["seed"], points))
    return runs


def write_suite_history(out_dir, rows, log=print):
    """Writes history.csv (one line per run and epoch) and metric_vs_cpu.png in `out_dir`;
    returns the runs (see `suite_history`), [] when no run kept a history."""
    runs = suite_history(out_dir, rows)
    if not runs:
        return runs
    keys = ("epoch", "steps", "minutes") + POINT_KEYS
    lines = ["config,seed," + ",".join(keys)]
    for config, seed, points in runs:
        for point in points:
            lines.append(f"{config},{seed}," + ",".join(
                "" if point.get(k) is None else f"{point[k]:.6g}" for k in keys))
    with open(os.path.join(out_dir, "history.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    history_plot(os.path.join(out_dir, "metric_vs_cpu.png"), runs)
    log(f"bench: the metric against training time: {os.path.join(out_dir, 'history.csv')}, "
        f"{os.path.join(out_dir, 'metric_vs_cpu.png')}")
    return runs


def history_plot(path, runs):
    """The beta-VAE metric (and the test KL) against the budget spent: one thin line per
    seed, the mean over seeds (epoch by epoch) in bold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tfhybrids.plots import png_to_array, write_png

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    configs = list(dict.fromkeys(config for config, _, _ in runs))
    for colour, config in zip(("C0", "C1", "C2", "C3", "C4"), configs):
        group = [points for c, _, points in runs if c == config]
        for axis, key in zip(axes, ("disentanglement", "test_kl_loss")):
            for points in group:
                xs = [p["minutes"] for p in points if key in p]
                axis.plot(xs, [p[key] for p in points if key in p], color=colour, alpha=0.35,
                          linewidth=1, marker=".")
            depth = min(len(points) for points in group)
            if depth:
                xs = [np.mean([points[i]["minutes"] for points in group]) for i in range(depth)]
                ys = [np.mean([points[i].get(key, np.nan) for points in group])
                      for i in range(depth)]
                axis.plot(xs, ys, color=colour, linewidth=2.5,
                          label=f"{config} (mean of {len(group)})")
    axes[0].axhline(0.2, color="0.5", linestyle=":", linewidth=1)
    axes[0].set_ylabel("beta-VAE metric (held-out accuracy; chance 0.2)")
    axes[1].set_ylabel("test KL(q(z|x) || p(z)) (nats)")
    for axis in axes:
        axis.set_xlabel("training budget spent (CPU-minutes)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("bench dsprites: the figures against training time")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_png(path, png_to_array(buffer.getvalue()))
