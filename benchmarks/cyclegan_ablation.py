"""The CycleGAN ablation of Zhu et al. 2017 (Table 4) on the offline pair `fashion_mnist_style`.

Trains four variants with the same networks, data, step budget and seed:
    cycle alone     both cycle terms, no GAN term
    GAN alone       both GAN terms, no cycle term
    GAN + forward   both GAN terms and the forward cycle x -> G -> F -> x
    full CycleGAN   everything
and measures each on the test pairs (x, T(x)) with tfhybrids.evaluation.translation: G(x)
against the true T(x), the cycle error F(G(x)) vs x, the backward error F(T(x)) vs x, the
diversity of G(x) relative to that of T(x) (near 0 = mode collapse), and whether the
Fashion-MNIST domain classifier recognises the class of x in T^{-1}(G(x)) and in F(T(x)).
Two reference rows need no training: "identity" (G(x) = x) and "truth" (G = T).

Writes docs/benchmarks/cyclegan_ablation/README.md (the table, settings and CPU times) and
one PNG per variant: rows of x, G(x), T(x) and F(G(x)) for 8 test images.

Single-threaded (TF_NUM_INTRAOP_THREADS=1 and 1 inter-op thread), so the CPU time is the
time of one core:

    python benchmarks/cyclegan_ablation.py            # about 6 CPU minutes
    # or in two processes (half the wall time on 2 cores), then the table:
    python benchmarks/cyclegan_ablation.py --variants cycle_alone gan_alone &
    python benchmarks/cyclegan_ablation.py --variants gan_forward full; wait
    python benchmarks/cyclegan_ablation.py --report
    # a smoke run:
    python benchmarks/cyclegan_ablation.py --steps 5 --train-limit 256 --test-limit 64 \
        --out /tmp/ablation
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

from tfhybrids.data import load_data  # noqa: E402
from tfhybrids.data.unpaired import inverse_style_transform, style_transform  # noqa: E402
from tfhybrids import plots  # noqa: E402
from tfhybrids.evaluation.translation import (  # noqa: E402
    batch_diversity,
    evaluate_translation,
    load_classifier,
)
from tfhybrids.training.config import validate  # noqa: E402
from tfhybrids.training.data_stream import train_stream  # noqa: E402
from tfhybrids.training.runner import build_model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "docs", "benchmarks", "cyclegan_ablation")

VARIANTS = {
    "cycle_alone": ("Cycle alone", dict(use_gan_xy=False, use_gan_yx=False)),
    "gan_alone": ("GAN alone", dict(use_forward_cycle=False, use_backward_cycle=False)),
    "gan_forward": ("GAN + forward cycle", dict(use_backward_cycle=False)),
    "full": ("CycleGAN (full)", dict()),
}
GENERATOR = {"type": "resnet", "filters": 16, "downsamples": 2, "residual_blocks": 3}
DISCRIMINATOR = {"type": "patch", "filters": [32, 64]}


def config_for(switches, args):
    """The run config of one variant: everything but the switches is shared."""
    adam = {"name": "adam", "learning_rate": 2e-4, "beta_1": 0.5}
    return validate({
        "model": {"class": "CycleGAN", "generator_xy": GENERATOR, "generator_yx": GENERATOR,
                  "discriminator_x": DISCRIMINATOR, "discriminator_y": DISCRIMINATOR,
                  "cycle_weight": 10.0, "history_size": 50, **switches},
        "data": {"name": "fashion_mnist_style", "train_limit": args.train_limit,
                 "test_limit": args.test_limit, "batch_size": args.batch_size},
        "optimizers": {name: adam for name in (
            "generator_xy_optimizer", "generator_yx_optimizer",
            "discriminator_x_optimizer", "discriminator_y_optimizer")},
        "train": {"seed": args.seed},
    })


class _Fixed:
    """A 'model' whose translations are fixed functions: the reference rows."""

    def __init__(self, forward, backward):
        self.translate_x_to_y = forward
        self.translate_y_to_x = backward


def picture(model, x, truth):
    """Rows: x, G(x), T(x), F(G(x)) for the given test images, as a uint8 grid."""
    translated = np.asarray(model.translate_x_to_y(x))
    back = np.asarray(model.translate_y_to_x(translated))
    grid = plots.image_grid(np.concatenate([x, translated, truth, back]), columns=len(x))
    return plots.upscale(grid, 3)


def measure(model, test_x, truth, labels, classify):
    results = evaluate_translation(model, test_x, truth, labels, classify,
                                   inverse=inverse_style_transform)
    translated = np.concatenate([np.asarray(model.translate_x_to_y(test_x[i:i + 500]))
                                 for i in range(0, len(test_x), 500)])
    results["diversity"] = batch_diversity(translated) / batch_diversity(truth)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="train steps per variant")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--train-limit", type=int, default=10000, help="images per domain")
    parser.add_argument("--test-limit", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS),
                        help="variants to train (several processes may share --out)")
    parser.add_argument("--report", action="store_true",
                        help="train nothing; write the README from the variants in --out")
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    settings = {"steps": args.steps, "batch_size": args.batch_size,
                "train_limit": args.train_limit, "test_limit": args.test_limit,
                "seed": args.seed, "generator": GENERATOR, "discriminator": DISCRIMINATOR}

    bundle = load_data(config_for({}, args)["data"], seed=args.seed)
    pairs, labels = bundle.arrays("test")
    test_x, truth = pairs[:, 0], pairs[:, 1]
    classify = load_classifier("fashion_mnist")
    if not args.report:
        train_variants(args, settings, bundle, test_x, truth, labels, classify)
    # A --report process is all report; a training process counts from here.
    report_start = 0.0 if args.report else time.process_time()
    rows = {}
    references = {
        "identity": ("Reference: G = identity", _Fixed(lambda x: x, lambda y: y)),
        "truth": ("Reference: G = T (the truth)",
                  _Fixed(style_transform, inverse_style_transform)),
    }
    for key, (title, model) in references.items():
        rows[key] = {"title": title, **measure(model, test_x, truth, labels, classify)}
    missing = []
    for key in VARIANTS:
        path = os.path.join(args.out, f"results_{key}.json")
        if not os.path.exists(path):
            missing.append(key)
            continue
        with open(path) as f:
            saved = json.load(f)
        if saved["settings"] != settings:
            raise SystemExit(f"{path} was made with other settings ({saved['settings']}); "
                             "rerun that variant.")
        rows[key] = saved["row"]
    cpu_files = [n for n in sorted(os.listdir(args.out)) if n.startswith("cpu_")]
    processes = {}
    for name in cpu_files:
        with open(os.path.join(args.out, name)) as f:
            processes[name[4:-5]] = json.load(f)["cpu_seconds"]
    if missing:
        print(f"not writing the README yet: no results for {', '.join(missing)}")
        return
    report_cpu = time.process_time() - report_start
    write_readme(args, rows, settings, processes, report_cpu)
    print(f"wrote {os.path.join(args.out, 'README.md')} (report CPU {report_cpu:.0f} s)")


def train_variants(args, settings, bundle, test_x, truth, labels, classify):
    """Trains and measures each variant of args.variants; one results_<key>.json each."""
    shown = slice(0, 8)
    for key in args.variants:
        title, switches = VARIANTS[key]
        config = config_for(switches, args)
        cpu, wall = time.process_time(), time.time()
        model = build_model(config, bundle.element_shape, bundle.num_classes)
        stream = train_stream(bundle, args.seed)
        history = model.fit(stream, epochs=1, steps_per_epoch=args.steps, verbose=0).history
        train_cpu = time.process_time() - cpu
        train_wall = time.time() - wall
        result = measure(model, test_x, truth, labels, classify)
        plots.write_png(os.path.join(args.out, f"{key}.png"),
                        picture(model, test_x[shown], truth[shown]))
        row = {"title": title, **result, "cpu_seconds": train_cpu,
               "variant_cpu_seconds": time.process_time() - cpu, "wall_seconds": train_wall,
               "train_logs": {k: float(v[-1]) for k, v in history.items()}}
        with open(os.path.join(args.out, f"results_{key}.json"), "w") as f:
            json.dump({"settings": settings, "row": row}, f, indent=2)
        print(f"{title}: " + ", ".join(f"{k}={v:.4f}" for k, v in result.items())
              + f"; train CPU {train_cpu:.0f} s", flush=True)
    with open(os.path.join(args.out, f"cpu_{'+'.join(args.variants)}.json"), "w") as f:
        json.dump({"cpu_seconds": time.process_time(), "argv": sys.argv[1:]}, f)


def write_readme(args, rows, settings, processes, report_cpu):
    columns = [("translation_mse", "MSE G(x) vs T(x)"), ("translation_l1", "L1 G(x) vs T(x)"),
               ("cycle_l1", "cycle L1 F(G(x)) vs x"), ("backward_l1", "L1 F(T(x)) vs x"),
               ("diversity", "diversity G(x) / T(x)"),
               ("recognition_xy", "class kept x->y"), ("recognition_yx", "class kept y->x"),
               ("cpu_seconds", "train CPU s")]
    lines = [
        "# CycleGAN ablation on fashion_mnist_style",
        "",
        "Produced by `benchmarks/cyclegan_ablation.py` (single-threaded), in "
        f"{len(processes)} training process(es) sharing this folder:",
        "",
        *[f"- `python benchmarks/cyclegan_ablation.py --variants {name.replace('+', ' ')}`: "
          f"{cpu / 60:.1f} CPU minutes (data, classifier, training, measures)"
          for name, cpu in processes.items()],
        f"- the reference rows and this table (`--report`, or the end of the last run): "
        f"{report_cpu / 60:.1f} CPU minutes",
        "",
        "Domain X: Fashion-MNIST train images [0, n); domain Y: `style_transform` (negative "
        "with gamma 1/2, t = 1 - sqrt(u)) of the disjoint images [30000, 30000 + n); test: the "
        "real pairs (x, T(x)) of the first test images. No pair is ever shown in training.",
        "",
        f"Settings: {settings['steps']} steps of batch {settings['batch_size']} per variant, "
        f"n = {settings['train_limit']} images per domain, {settings['test_limit']} test "
        f"pairs, seed {settings['seed']}, generators {settings['generator']}, PatchGAN "
        f"discriminators {settings['discriminator']}, lambda = 10, history 50, "
        "Adam(2e-4, beta_1 0.5) for all four players.",
        "",
        "| variant | " + " | ".join(title for _, title in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for row in rows.values():
        cells = []
        for key, _ in columns:
            value = row.get(key)
            if value is None:
                cells.append("-")
            elif key == "cpu_seconds":
                cells.append(f"{value:.0f}" if value else "-")
            else:
                cells.append(f"{value:.3f}")
        lines.append(f"| {row['title']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Classifier recognition of the untouched test images x (its ceiling): "
        f"{rows['identity']['recognition_x']:.3f}. \"class kept x->y\" classifies "
        "T^{-1}(G(x)); \"class kept y->x\" classifies F(T(x)). Diversity is the mean per-pixel "
        "standard deviation over the test translations divided by that of the true T(x): "
        "near 0 means every x is mapped to nearly the same image (mode collapse).",
        "",
        f"Total CPU time: {(sum(processes.values()) + report_cpu) / 60:.1f} CPU minutes "
        "(\"train CPU s\" above is the training alone).",
        "",
        "Pictures (rows: x, G(x), T(x), F(G(x))): "
        + ", ".join(f"[{VARIANTS[k][0]}]({k}.png)" for k in VARIANTS) + ".",
        "",
    ]
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
