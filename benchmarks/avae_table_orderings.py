"""Checks the AVAE paper's orderings (seed 001) and Larsen et al.'s sharpness claim (seed 000)
one by one on the results of

    tfhybrids bench fashion_mnist --models vae,dcgan,vae_gan,bigan,avae --cpu-minutes M \
        --seeds 0,1,2 --workers 2 --workdir DIR

    python benchmarks/avae_table_orderings.py DIR/results.csv [--out orderings.md] \
        [--figure sharpness.png --workdir DIR --seed 0]

Each claim "A < B" (lower is better for MSE and FD; for sharpness "A > B", closer to the real
images' 1) is checked on the means over seeds and seed by seed (A and B of the same seed):
"holds" when the means are so ordered and every seed agrees, "holds on the mean only (k of n
seeds)" when the means are but some seeds are not, "does not hold" when the means are not.
`--figure` draws 12 test images and 12 samples of each model of one seed, one row each,
labelled with the row's Laplacian variance over the test images' (the figure behind the
sharpness claim). The orderings are those of the paper's table (Plumerault et al. 2020), not its figures: ours
are on other data, networks and budgets.
"""

import argparse
import csv
import sys

import numpy as np

# The model classes our configs train for the paper's columns.
LABEL = {"VAE": "VAE", "DCGAN": "GAN (DCGAN)", "VAEGAN": "VAE/GAN", "BiGAN": "BiGAN",
         "AVAE": "AVAE"}
# (metric, better, chain of model classes from best to worst as the source claims it).
CLAIMS = [
    ("mse", "lower", ["VAE", "AVAE", "VAEGAN", "BiGAN"],
     "seed 001: MSE VAE < AVAE < VAE/GAN < BiGAN"),
    ("fd", "lower", ["DCGAN", "AVAE", "BiGAN", "VAEGAN", "VAE"],
     "seed 001: FID GAN < AVAE < BiGAN < VAE/GAN < VAE"),
    ("fd", "lower", ["VAEGAN", "VAE"], "seed 000: VAE/GAN samples better (FD) than the VAE's"),
    ("laplacian_variance_ratio", "higher", ["VAEGAN", "VAE"],
     "seed 000: VAE/GAN samples sharper than the VAE's (Laplacian variance / real)"),
    ("gradient_energy_ratio", "higher", ["VAEGAN", "VAE"],
     "seed 000: VAE/GAN samples sharper than the VAE's (gradient energy / real)"),
]


def read_rows(path):
    with open(path) as f:
        rows = [r for r in csv.DictReader(f) if not r.get("error")]
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model"], {})[int(r["seed"])] = r
    return by_model


def values(by_model, model, metric):
    """{seed: value} of a metric for a model (seeds where it was measured)."""
    return {seed: float(r[metric]) for seed, r in by_model.get(model, {}).items()
            if r.get(metric) not in (None, "")}


def check_pair(by_model, metric, better, a, b):
    """The verdict on "a is better than b" and the figures behind it."""
    va, vb = values(by_model, a, metric), values(by_model, b, metric)
    if not va or not vb:
        return "not measured", ""
    ma, mb = np.mean(list(va.values())), np.mean(list(vb.values()))
    sa, sb = np.std(list(va.values())), np.std(list(vb.values()))
    seeds = sorted(set(va) & set(vb))
    wins = sum((va[s] < vb[s]) if better == "lower" else (va[s] > vb[s]) for s in seeds)
    mean_holds = ma < mb if better == "lower" else ma > mb
    if mean_holds and wins == len(seeds):
        verdict = f"holds (every seed: {wins} of {len(seeds)})"
    elif mean_holds:
        verdict = f"holds on the mean only ({wins} of {len(seeds)} seeds)"
    else:
        verdict = f"does not hold ({wins} of {len(seeds)} seeds)"
    figures = f"{LABEL[a]} {ma:.4g} ± {sa:.2g} vs {LABEL[b]} {mb:.4g} ± {sb:.2g}"
    return verdict, figures


def orderings(by_model):
    lines = ["| claim | pair | ours (mean ± std over seeds) | verdict |", "|---|---|---|---|"]
    for metric, better, chain, claim in CLAIMS:
        sign = "<" if better == "lower" else ">"
        for a, b in zip(chain, chain[1:]):
            verdict, figures = check_pair(by_model, metric, better, a, b)
            lines.append(f"| {claim} | {LABEL[a]} {sign} {LABEL[b]} ({metric}) | {figures} | "
                         f"{verdict} |")
    return "\n".join(lines)


def sharpness_figure(path, workdir, seed, by_model, num=12):
    """Rows of real test images and of each model's samples (seed `seed`), labelled with
    the row's mean Laplacian variance over the test images'."""
    import os

    from tfhybrids.data import load_data
    from tfhybrids.evaluation.evaluate import generate
    from tfhybrids.evaluation.image_metrics import laplacian_variance
    from tfhybrids.plots import annotate, image_grid, upscale, write_png
    from tfhybrids.training.run_dir import load_trained_model

    rows, labels, real = [], [], None
    for model_class, runs in by_model.items():
        if seed not in runs:
            continue
        model, config = load_trained_model(os.path.join(workdir, runs[seed]["config"],
                                                        f"seed{seed}"))
        if real is None:
            real = load_data(config["data"], seed=seed).arrays("test", limit=num)[0]
            rows.append(real)
            labels.append("test images: 1.00")
        samples = generate(model, num, seed=1000 + seed)
        rows.append(samples)
        ratio = laplacian_variance(samples).mean() / laplacian_variance(real).mean()
        labels.append(f"{LABEL.get(model_class, model_class)}: {ratio:.2f}")
    grid = upscale(image_grid(np.concatenate(rows), columns=num), 2)
    write_png(path, annotate(grid, f"Samples of seed {seed} (rows: {num} each); label: mean "
                                   f"Laplacian variance of the row over the test images'",
                             row_labels=labels))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_csv")
    parser.add_argument("--out", help="also write the table to this markdown file")
    parser.add_argument("--figure", help="write the sharpness figure (PNG) here")
    parser.add_argument("--workdir", help="the bench workdir (for --figure)")
    parser.add_argument("--seed", type=int, default=0, help="the seed --figure shows")
    args = parser.parse_args(argv)
    by_model = read_rows(args.results_csv)
    seeds = sorted({s for runs in by_model.values() for s in runs})
    text = (f"Orderings checked on {args.results_csv} (seeds {', '.join(map(str, seeds))}):\n\n"
            + orderings(by_model) + "\n")
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if args.figure:
        if not args.workdir:
            parser.error("--figure needs --workdir, the bench's run directories")
        sharpness_figure(args.figure, args.workdir, args.seed, by_model)
        print(f"Wrote {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
