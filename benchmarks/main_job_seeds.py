"""The main job over several seeds: does `tfhybrids train configs/aae_digits.yaml` fill its
prior for every seed, and how long does it take?

    python benchmarks/main_job_seeds.py                       # seeds 0, 1, 2
    python benchmarks/main_job_seeds.py --seeds 0,1,2 --env TF_ENABLE_ONEDNN_OPTS=0

Each seed is one `tfhybrids train` process (a fresh run directory under --workdir, so nothing
is resumed), timed in wall-clock seconds and in that process's CPU time (user + system, all
threads). The table gives, per seed, the smallest and largest share of the 360 test codes per
mixture component (uniform: 0.10; the target is 0.05-0.15), the components filled (holding at
least half of their uniform share), and MMD^2 of test codes vs prior samples beside its null:
the mean and 95th percentile of MMD^2 between two prior samples of the same sizes
(`tfhybrids.training.runner.prior_match`).
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_seed(config, seed, workdir, env):
    if os.path.exists(workdir):
        shutil.rmtree(workdir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    subprocess.run([sys.executable, "-m", "tfhybrids.cli", "train", config, "--workdir", workdir,
                    "--set", f"train.seed={seed}", "--set", "train.verbose=0"],
                   check=True, cwd=REPO, env=env)
    wall = time.time() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(os.path.join(workdir, "metrics.json")) as f:
        metrics = json.load(f)
    return metrics, wall, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=os.path.join(REPO, "configs", "aae_digits.yaml"))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--workdir", default=os.path.join(REPO, "runs", "main_job_seeds"))
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment of the runs, e.g. TF_ENABLE_ONEDNN_OPTS=0")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    for item in args.env:
        name, _, value = item.partition("=")
        env[name] = value
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    lines = ["| seed | shares (min-max) | filled | MMD^2 | null mean | null 95th pct | "
             "wall s | CPU min |", "|---|---|---|---|---|---|---|---|"]
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        metrics, wall, cpu = run_seed(args.config, seed, os.path.join(args.workdir, f"seed{seed}"),
                                      env)
        coverage, match = metrics["prior_coverage"], metrics["prior_match"]
        lines.append(f"| {seed} | {coverage['min_share']:.3f}-{coverage['max_share']:.3f} | "
                     f"{coverage['components_filled']}/{coverage['num_components']} | "
                     f"{match['mmd2']:.4f} | {match['null_mean']:.4f} | {match['null_p95']:.4f} | "
                     f"{wall:.0f} | {cpu / 60:.2f} |")
        print(lines[-1], flush=True)
    print(f"\n{os.path.relpath(args.config, REPO)}, environment {args.env or 'as is'}, "
          f"{os.cpu_count()} CPU cores; pictures: {args.workdir}/seed<k>/latent.png\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
