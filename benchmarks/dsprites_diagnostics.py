"""Why the beta-VAE metric says what it says: per-factor accuracy and active code units.

For each finished `tfhybrids bench dsprites` run given, prints
  - the beta-VAE metric (Higgins et al. 2017) with the protocol given here, and the held-out
    accuracy of its linear classifier for each fixed factor (shape, scale, orientation,
    pos_x, pos_y): which factors the code keeps apart;
  - the active units: the mean KL(q(z_j|x) || N(0, 1)) of each code unit over test images
    (a unit the KL term has switched off carries < 0.05 nats).

    python benchmarks/dsprites_diagnostics.py bench/dsprites/*/seed0 --points 300 --pairs 64
"""

import argparse
import json

import numpy as np


def unit_kl(model, images, batch_size=500):
    """Mean over `images` of each unit's KL(N(mean, exp(log_var)) || N(0, 1)), in nats."""
    import tensorflow as tf

    totals = []
    for start in range(0, len(images), batch_size):
        outputs = model.encode_outputs(tf.convert_to_tensor(images[start:start + batch_size]))
        mean, log_var = (np.asarray(outputs[k], np.float64) for k in ("mean", "log_var"))
        totals.append(0.5 * (mean ** 2 + np.exp(log_var) - 1.0 - log_var))
    return np.concatenate(totals).mean(axis=0)


def diagnose(run_dir, points, pairs, seed=0):
    from tfhybrids.data import load_data
    from tfhybrids.data.dsprites import DSPRITES
    from tfhybrids.evaluation.disentanglement import beta_vae_score
    from tfhybrids.evaluation.evaluate import deterministic_codes
    from tfhybrids.training.run_dir import load_trained_model

    model, config = load_trained_model(run_dir)
    score = beta_vae_score(DSPRITES, lambda x: deterministic_codes(model, x), num_train=points,
                           num_eval=points // 2, pairs_per_point=pairs, seed=seed)
    test, _ = load_data(config["data"], seed=config["train"]["seed"]).arrays("test")
    kl = unit_kl(model, test)
    return {"run": run_dir, "beta": config["model"].get("beta"),
            "metric": score["accuracy"],
            "per_factor": dict(zip(DSPRITES.factor_names, score["per_factor_accuracy"])),
            "unit_kl": [float(v) for v in kl], "active_units": int((kl > 0.05).sum())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories of `tfhybrids bench dsprites`")
    parser.add_argument("--points", type=int, default=300, help="classifier training points "
                                                                "(half as many held out)")
    parser.add_argument("--pairs", type=int, default=64, help="L, pairs per point")
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    results = []
    for run in args.runs:
        result = diagnose(run, args.points, args.pairs)
        results.append(result)
        factors = ", ".join(f"{k} {v:.2f}" for k, v in result["per_factor"].items())
        print(f"{run} (beta {result['beta']:g}): metric {result['metric']:.3f}; per fixed "
              f"factor: {factors}; active units {result['active_units']}/"
              f"{len(result['unit_kl'])} (KL per unit: "
              + " ".join(f"{v:.2f}" for v in sorted(result["unit_kl"], reverse=True)) + ")")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
