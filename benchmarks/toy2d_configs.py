"""The shipped toy2d configs as a user runs them: `tfhybrids train`, then 2500 samples from
the exported SavedModel's `generate` signature, scored like VEEGAN's Table 1
(`tfhybrids.evaluation.mode_coverage`). It checks that a config trains what the mode-collapse
results page (docs/benchmarks/mode_collapse, from benchmarks/mode_collapse.py) reports.

Each (config, seed) trains in its own `python -m tfhybrids.cli train` process in
OUT/<config>_seed<seed>; a finished run (one with metrics.json) is scored again, not
retrained, so a killed check continues where it stopped. `--report` writes the table of every
finished run beside the results page's figures.

Usage (from the repository root):

    python benchmarks/toy2d_configs.py --configs veegan_toy2d_ring --seeds 0,1,2
    python benchmarks/toy2d_configs.py --configs bigan_toy2d_ring --set model.encoder_type=gaussian
    python benchmarks/toy2d_configs.py --seeds "" --report docs/benchmarks/mode_collapse/configs.md
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = [f"{model}_toy2d_{data}" for model in ("gan", "bigan", "veegan")
           for data in ("ring", "grid")]


# A worker's TensorFlow thread pools (read by TensorFlow at start-up): small MLPs gain little
# from threads inside an op, so on a few shared cores one run per core trains more runs per
# CPU-hour; two inter-op threads, because one can deadlock (as in mode_collapse.py).
SINGLE_THREADED = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "2"}


def train(config, seed, workdir, overrides, single_threaded=False):
    """Trains config `config` with `seed` into `workdir` through the CLI; returns (wall
    seconds, CPU seconds of the train process), or None for a run finished earlier. A run
    killed earlier resumes from its last checkpoint (the CLI's own resume)."""
    if os.path.exists(os.path.join(workdir, "metrics.json")):
        return None
    command = [sys.executable, "-m", "tfhybrids.cli", "train",
               os.path.join(REPO, "configs", f"{config}.yaml"), "--workdir", workdir,
               "--set", f"train.seed={seed}", "--set", "train.verbose=0"]
    for override in overrides:
        command += ["--set", override]
    environment = {**os.environ, **(SINGLE_THREADED if single_threaded else {})}
    start = time.time()
    os.makedirs(os.path.dirname(workdir), exist_ok=True)
    with open(os.path.join(os.path.dirname(workdir), f"{os.path.basename(workdir)}.log"),
              "a") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   env=environment)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{config} seed {seed}: train exited {process.returncode}; see the "
                         f"log next to {workdir}")
    return time.time() - start, usage.ru_utime + usage.ru_stime


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


def page_figures(config, overrides):
    """(modes, % HQ) mean ± std of the results page's row for this config, or None."""
    import numpy as np

    model, _, data = config.split("_", 2)
    data = data.split("_")[-1]
    label = {"gan": "GAN", "veegan": "VEEGAN",
             "bigan": "ALI" if "model.encoder_type=gaussian" in overrides else "BiGAN"}[model]
    with open(os.path.join(REPO, "docs", "benchmarks", "mode_collapse", "results.json")) as f:
        runs = [r for r in json.load(f)["runs"] if r["model"] == label and r["data"] == data]
    if not runs:
        return None
    fewest = [min(r["samples_per_mode"]) for r in runs]
    return tuple(f"{np.mean([r[k] for r in runs]):.1f} ± {np.std([r[k] for r in runs]):.1f}"
                 for k in ("modes_captured", "high_quality_percent")) + (
        f"{min(fewest)}-{max(fewest)}", len(runs))


def command_line():
    """This script's arguments, without the text of --note."""
    words, skip = [], False
    for word in sys.argv[1:]:
        if skip or word.startswith("--note="):
            skip = False
            continue
        skip = word == "--note"
        if not skip:
            words.append(word)
    return words


def markdown(rows, args):
    import numpy as np

    lines = ["# The shipped toy2d configs, trained as a user trains them", "",
             "Generated by `benchmarks/toy2d_configs.py` "
             f"(`{' '.join(command_line()) or 'defaults'}`): each config trained by "
             "`tfhybrids train CONFIG --set train.seed=S`, then "
             f"{args.num_samples} samples from the exported SavedModel's `generate` signature "
             f"(seeds 0..{args.num_samples - 1}), scored as on the results page ([README.md](README.md)): high "
             "quality within 3 standard deviations of the nearest mode, a mode captured when "
             "it holds at least one high-quality sample.", "",
             "| config | seed | runs | modes | % HQ | fewest HQ samples in a mode (fair share) "
             "| train CPU s |",
             "|---|---|---|---|---|---|---|"]
    groups = {}
    for row in rows:
        groups.setdefault((row["config"], tuple(row["set"])), []).append(row)
    for (config, overrides), chosen in groups.items():
        name = config + "".join(f" `{o}`" for o in overrides)
        for row in chosen:
            hq = row["high_quality"]
            lines.append(f"| {name} | {row['seed']} | {row['runs']} | {row['modes_captured']}/"
                         f"{row['num_modes']} | {row['high_quality_percent']:.1f} | "
                         f"{min(row['samples_per_mode'])} ({hq / row['num_modes']:.0f}) | "
                         f"{row.get('cpu_seconds') or '–'} |")
    lines += ["", "| config | runs | modes | % HQ | fewest HQ in a mode | results page: "
              "modes | % HQ | fewest HQ in a mode |", "|---|---|---|---|---|---|---|---|"]
    for (config, overrides), chosen in groups.items():
        name = config + "".join(f" `{o}`" for o in overrides)
        page = page_figures(config, overrides)
        page_text = (f"{page[0]} | {page[1]} ({page[3]} seeds) | {page[2]}" if page
                     else "– | – | –")
        fewest = [min(r["samples_per_mode"]) for r in chosen]
        lines.append(
            f"| {name} | {len(chosen)} | "
            f"{np.mean([r['modes_captured'] for r in chosen]):.1f} ± "
            f"{np.std([r['modes_captured'] for r in chosen]):.1f} | "
            f"{np.mean([r['high_quality_percent'] for r in chosen]):.1f} ± "
            f"{np.std([r['high_quality_percent'] for r in chosen]):.1f} | "
            f"{min(fewest)}-{max(fewest)} | {page_text} |")
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated subset of {','.join(CONFIGS)}")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated train.seed values")
    parser.add_argument("--num-samples", type=int, default=2500)
    parser.add_argument("--workers", type=int, default=1,
                        help="train runs at once, each single-threaded (e.g. the number of "
                             "cores); 1 = one run at a time with TensorFlow's default threads")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override for every run (e.g. model.encoder_type=gaussian)")
    parser.add_argument("--out", default=os.path.join(REPO, "runs", "toy2d_configs"),
                        help="where the runs go (runs/toy2d_configs)")
    parser.add_argument("--report", default=None,
                        help="also write the table of every finished run under --out (any "
                             "config, seed and --set) to this markdown file")
    parser.add_argument("--also", action="append", default=[], metavar="DIR",
                        help="the report also reads the finished runs of this --out directory "
                             "(e.g. runs made with another checkout of the code)")
    parser.add_argument("--note", default="",
                        help="a paragraph for the report, e.g. which code the runs come from")
    args = parser.parse_args(argv)
    configs = [c for c in args.configs.split(",") if c]
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"--configs: unknown {unknown}; choose from {', '.join(CONFIGS)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    # Only letters, digits, "_" and "-" in the folder name: TensorFlow's SavedModel loader
    # reads its path as a glob pattern, in which "[" or "*" of a value would match nothing.
    suffix = "".join("_" + re.sub(r"[^A-Za-z0-9_]+", "-", o).strip("-") for o in args.set)
    jobs = [(config, seed, os.path.join(args.out, f"{config}{suffix}_seed{seed}"))
            for config in configs for seed in seeds]

    def trained(job):
        config, seed, workdir = job
        return train(config, seed, workdir, args.set, single_threaded=args.workers > 1)

    if args.workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=args.workers)
        times = pool.map(trained, jobs)
    else:
        times = map(trained, jobs)
    for (config, seed, workdir), done in zip(jobs, times):
        seconds, cpu = done or (None, None)
        result = score_export(workdir, args.num_samples)
        row = {"config": config, "set": args.set, "seed": seed, **result}
        scored = os.path.join(workdir, "mode_coverage.json")
        if seconds is None and os.path.exists(scored):
            # Trained by an earlier invocation: keep the time it was trained in.
            with open(scored) as f:
                earlier = json.load(f)
            seconds, cpu = earlier.get("wall_seconds"), earlier.get("cpu_seconds")
            row.update(wall_seconds=seconds, cpu_seconds=cpu,
                       threads=earlier.get("threads"))
        elif done is None:
            # Trained by a train command this script did not see finish: times unknown.
            row.update(wall_seconds=None, cpu_seconds=None, threads=None)
        else:
            row.update(wall_seconds=round(seconds), cpu_seconds=round(cpu, 1),
                       threads="1 per run" if args.workers > 1 else "default")
        with open(scored, "w") as f:
            json.dump(row, f, indent=1)
        print(f"{config}{' ' + ' '.join(args.set) if args.set else ''} seed {seed}: "
              f"{result['modes_captured']}/{result['num_modes']} modes, "
              f"{result['high_quality_percent']:.1f}% high quality, HQ per mode "
              f"{result['samples_per_mode']}"
              + (f" ({cpu:.0f} s CPU train)" if done else " (trained earlier)"),
              flush=True)
    if args.report:
        rows = []
        for folder in [args.out, *args.also]:
            for path in sorted(glob.glob(os.path.join(folder, "*", "mode_coverage.json"))):
                with open(path) as f:
                    rows.append({**json.load(f), "runs": os.path.basename(folder)})
        order = {name: i for i, name in enumerate(CONFIGS)}
        rows.sort(key=lambda r: (order[r["config"]], r["set"], r["seed"], r["runs"]))
        with open(args.report, "w") as f:
            f.write(markdown(rows, args))
        print(f"wrote {args.report}")


if __name__ == "__main__":
    main()
