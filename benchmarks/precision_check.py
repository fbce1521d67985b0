"""Does mixed_bfloat16 change what a config's training reaches? Losses after training, fp32
against bf16, beside the seed-to-seed spread of each.

For each config and each seed (train.seed), builds the run under each precision (train.
mixed_precision), trains it as `tfhybrids train` does (train_stream, the config's epochs and
steps per epoch) and evaluates it on the test split. Prints per metric the mean and standard
deviation over the seeds of each precision and the gap between the means in units of the
fp32 spread; a gap within about 2 spreads is noise at this number of seeds.

    python benchmarks/precision_check.py configs/tiny/vae_digits.yaml ... [--seeds 0 1 2]
        [--steps N] [--epochs E]   (override the config's budget)
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

PRECISIONS = ("float32", "mixed_bfloat16")


def final_losses(path, seed, precision, steps=None, epochs=None):
    import tfhybrids
    from tfhybrids.training.data_stream import batches_per_data_epoch, train_stream
    from tfhybrids.training.runner import dtype_policy

    overrides = [f"train.seed={seed}", f"train.mixed_precision={precision}"]
    if steps:
        overrides.append(f"train.steps_per_epoch={steps}")
    if epochs:
        overrides.append(f"train.epochs={epochs}")
    with dtype_policy(precision):
        run = tfhybrids.build(path, overrides)
    train = run.config["train"]
    steps_per_epoch = train["steps_per_epoch"] or batches_per_data_epoch(run.data)
    run.model.fit(train_stream(run.data, train["seed"]), epochs=train["epochs"],
                  steps_per_epoch=steps_per_epoch, verbose=0)
    return run.model.evaluate(run.data.test, verbose=0, return_dict=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, help="steps per epoch instead of the config's")
    parser.add_argument("--epochs", type=int, help="epochs instead of the config's")
    args = parser.parse_args(argv)
    print("| config | metric | fp32 mean ± sd | bf16 mean ± sd | gap / fp32 sd |")
    print("|---|---|---|---|---|")
    for path in args.configs:
        results = {p: [final_losses(path, seed, p, args.steps, args.epochs) for seed in args.seeds]
                   for p in PRECISIONS}
        for metric in results["float32"][0]:
            fp32 = np.array([r[metric] for r in results["float32"]])
            bf16 = np.array([r[metric] for r in results["mixed_bfloat16"]])
            spread = fp32.std(ddof=1) if len(fp32) > 1 else float("nan")
            gap = abs(bf16.mean() - fp32.mean()) / spread if spread > 0 else float("inf")
            print(f"| {os.path.basename(path)} | {metric} | {fp32.mean():.4g} ± {spread:.2g} | "
                  f"{bf16.mean():.4g} ± {bf16.std(ddof=1):.2g} | {gap:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
