"""The shipped toy2d configs as a user runs them: `tfhybrids train`, then 2500 samples from
the exported SavedModel's `generate` signature, scored like VEEGAN's Table 1
(`tfhybrids.evaluation.mode_coverage`). It checks that a config trains what the mode-collapse
results page (docs/benchmarks/mode_collapse, from benchmarks/mode_collapse.py) reports.

Each (config, seed) trains in its own `python -m tfhybrids.cli train` process in
OUT/<config>_seed<seed>; a finished run (one with metrics.json) is scored again, not
retrained, so a killed check continues where it stopped.

Usage (from the repository root):

    python benchmarks/toy2d_configs.py --configs veegan_toy2d_ring --seeds 0,1,2
    python benchmarks/toy2d_configs.py --configs bigan_toy2d_ring --set model.encoder_type=gaussian
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = [f"{model}_toy2d_{data}" for model in ("gan", "bigan", "veegan")
           for data in ("ring", "grid")]


def train(config, seed, workdir, overrides, log):
    """Trains config `config` with `seed` into `workdir` through the CLI; returns seconds."""
    if os.path.exists(os.path.join(workdir, "metrics.json")):
        return None
    command = [sys.executable, "-m", "tfhybrids.cli", "train",
               os.path.join(REPO, "configs", f"{config}.yaml"), "--workdir", workdir,
               "--set", f"train.seed={seed}", "--set", "train.verbose=0"]
    for override in overrides:
        command += ["--set", override]
    start = time.time()
    os.makedirs(os.path.dirname(workdir), exist_ok=True)
    with open(os.path.join(os.path.dirname(workdir), f"{os.path.basename(workdir)}.log"),
              "w") as output:
        done = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"{config} seed {seed}: train exited {done.returncode}; see the log "
                         f"next to {workdir}")
    return time.time() - start


def score_export(workdir, num_samples):
    """Mode coverage of `num_samples` samples of the run's exported `generate` signature."""
    import numpy as np
    import tensorflow as tf
    import yaml

    from tfhybrids.data import toy2d_modes, toy2d_std
    from tfhybrids.evaluation.mode_coverage import mode_coverage

    with open(os.path.join(workdir, "config.yaml")) as f:
        data = yaml.safe_load(f)["data"]
    export = sorted(glob.glob(os.path.join(workdir, "export", "*", "*")))[-1]
    generate = tf.saved_model.load(export).signatures["generate"]
    outputs = generate(seeds=tf.range(num_samples, dtype=tf.int64))
    samples = np.asarray([v for k, v in outputs.items() if k != "codes"][0])
    return mode_coverage(samples, toy2d_modes(data), toy2d_std(data))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated subset of {','.join(CONFIGS)}")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated train.seed values")
    parser.add_argument("--num-samples", type=int, default=2500)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override for every run (e.g. model.encoder_type=gaussian)")
    parser.add_argument("--out", default=os.path.join(REPO, "runs", "toy2d_configs"),
                        help="where the runs go (runs/toy2d_configs)")
    args = parser.parse_args(argv)
    configs = [c for c in args.configs.split(",") if c]
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"--configs: unknown {unknown}; choose from {', '.join(CONFIGS)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    suffix = "".join(f"_{o.replace('=', '-').replace('.', '-')}" for o in args.set)
    results = []
    for config in configs:
        for seed in seeds:
            workdir = os.path.join(args.out, f"{config}{suffix}_seed{seed}")
            seconds = train(config, seed, workdir, args.set, print)
            result = score_export(workdir, args.num_samples)
            results.append({"config": config, "set": args.set, "seed": seed,
                            "wall_seconds": seconds and round(seconds), **result})
            print(f"{config}{' ' + ' '.join(args.set) if args.set else ''} seed {seed}: "
                  f"{result['modes_captured']}/{result['num_modes']} modes, "
                  f"{result['high_quality_percent']:.1f}% high quality, HQ per mode "
                  f"{result['samples_per_mode']}"
                  + (f" ({seconds / 60:.1f} min train)" if seconds else " (trained earlier)"),
                  flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"results{suffix}.json"), "a") as f:
        f.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
