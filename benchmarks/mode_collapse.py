"""Mode-collapse benchmark of VEEGAN's Table 1 (Srivastava et al. 2017, arXiv:1705.07761),
plus the posterior picture and log-likelihood of AVB's toy (Mescheder et al. 2017, Fig. 4).

For each model x data set x seed it trains the model through the library (a validated config
+ `build_run` + `fit` on the run's deterministic data stream), draws 2500 samples from the
generator (decoded prior codes) and scores them with `tfhybrids.evaluation.mode_coverage`: a
sample is high quality within 3 standard deviations of its nearest mode, a mode is captured
when at least one high-quality sample is nearest to it.

Protocol. By default every model is trained alike ("matched"): the hidden widths, batch size
and step count of the VEEGAN config of that data set, so that no model wins by capacity or
compute; the latent size, learning rates and losses stay those of each model's config
(`--config-settings` trains each config exactly as written instead). Each optimizer's
learning-rate schedule is its config's: the shipped toy2d configs (and the AAE's below) divide
the rates by 10 for the last quarter of their steps, without which the samples' spread is set
by the optimizer's step noise rather than by the model. A schedule counts optimizer steps, so
`--steps` changes the run's length, not where its rates drop. It writes, under --out:

    README.md            the table (mean ± std over seeds, the paper's numbers beside ours)
    results.json         every run's figures and CPU seconds
    runs/                one file per finished run, the AVB toy's too (a repeated command
                         reuses those trained with the same settings: a killed benchmark
                         continues; --fresh retrains)
    <model>_<data>.png   samples of the first seed over the data (grey)
    avb_posterior.png    samples of q(z|x) for the 4 inputs of the AVB toy, coloured

Usage (from the repository root):

    python benchmarks/mode_collapse.py                        # the results page, 3 seeds
    python benchmarks/mode_collapse.py --seeds 1 --steps 500  # a quick check
    python benchmarks/mode_collapse.py --models veegan --datasets ring --no-avb
    python benchmarks/mode_collapse.py --workers 2            # two single-threaded runs at once

The models are GAN (configs/gan_toy2d_<data>.yaml), BiGAN and ALI (configs/bigan_toy2d_<data>
.yaml, ALI with model.encoder_type=gaussian), VEEGAN (configs/veegan_toy2d_<data>.yaml) and
the AAE, whose decoder of prior codes is a generator too (its config is below, in this file).
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# VEEGAN paper, Table 1 (5 runs each): modes captured and % high-quality samples.
PAPER = {
    "ring": {"GAN": (1.0, 99.3), "ALI": (2.8, 0.13), "Unrolled GAN": (7.6, 35.6),
             "VEEGAN": (8.0, 52.9)},
    "grid": {"GAN": (3.3, 0.5), "ALI": (15.8, 1.6), "Unrolled GAN": (23.6, 16.0),
             "VEEGAN": (24.6, 40.0)},
}

# The AAE has no toy2d config of its own. A 2-D code: decoded prior samples can only look like
# the data where the aggregated posterior fills the prior, which a 2-D data set cannot do in
# more dimensions.
AAE_DOCUMENT = {
    "model": {"class": "AAE", "latent_dim": 2,
              "encoder": {"type": "mlp", "hidden_units": [128, 128]},
              "decoder": {"type": "mlp", "hidden_units": [128, 128]},
              "discriminator": {"type": "mlp", "hidden_units": [128, 128]}},
    "prior": {"name": "gaussian"},
    "data": {"name": "toy2d", "batch_size": 512},
    "optimizers": {player: {"name": "adam", "beta_1": 0.5, "learning_rate": {
        "name": "piecewise", "boundaries": [3750], "values": [0.001, 0.0001]}}
        for player in ("autoencoder_optimizer", "discriminator_optimizer",
                       "generator_optimizer")},
    "train": {"epochs": 10, "steps_per_epoch": 500},
}

# name in the table -> (label, config file pattern or None for AAE_DOCUMENT, overrides,
# paper row, {network: role} for the matched protocol)
MODELS = {
    "gan": ("GAN", "gan_toy2d_{data}.yaml", [], "GAN",
            {"generator": "generator", "discriminator": "discriminator"}),
    "bigan": ("BiGAN", "bigan_toy2d_{data}.yaml", ["model.encoder_type=deterministic"], None,
              {"encoder": "inverse", "generator": "generator",
               "discriminator": "discriminator"}),
    "ali": ("ALI", "bigan_toy2d_{data}.yaml", ["model.encoder_type=gaussian"], "ALI",
            {"encoder": "inverse", "generator": "generator", "discriminator": "discriminator"}),
    "veegan": ("VEEGAN", "veegan_toy2d_{data}.yaml", [], "VEEGAN",
               {"reconstructor": "inverse", "generator": "generator",
                "discriminator": "discriminator"}),
    "aae": ("AAE", None, [], None,
            {"encoder": "inverse", "decoder": "generator", "discriminator": "discriminator"}),
}
DATASETS = ("ring", "grid")
# The results page's models: the paper's Table 1 rows we have (GAN, ALI, VEEGAN) and BiGAN,
# so that every shipped toy2d config has a row to be checked against (configs.md). At 3 seeds
# they and the AVB toy take about 46 CPU minutes; the AAE would add 10 more.
PAGE_MODELS = ("gan", "bigan", "ali", "veegan")
# Seeds per model of the results page (the paper averages 5 runs; 5 seeds of the four
# models would take about 76 CPU minutes, over the hour a results benchmark may take).
PAGE_SEEDS = 3


def read_document(key, data):
    import copy

    from tfhybrids.training.config import read_yaml

    pattern = MODELS[key][1]
    if pattern is None:
        document = copy.deepcopy(AAE_DOCUMENT)
        document["data"]["dataset"] = data
        return document
    return read_yaml(os.path.join(REPO, "configs", pattern.format(data=data)))


def matched_protocol(data):
    """The VEEGAN config's network widths, batch size and step count on `data`: what every
    model gets under the matched protocol. Returns ({role: hidden_units}, batch, steps)."""
    veegan = read_document("veegan", data)
    widths = {role: veegan["model"][network]["hidden_units"]
              for network, role in MODELS["veegan"][4].items()}
    train = veegan["train"]
    return widths, veegan["data"]["batch_size"], train["epochs"] * train["steps_per_epoch"]


def load_document(key, data, overrides, matched):
    """The validated config of model `key` on toy2d `data`, with `overrides` applied (after
    the matched protocol's, when `matched`), and its number of training steps (None: from
    its config)."""
    from tfhybrids.training.config import apply_overrides, validate

    protocol, steps = [], None
    if matched:
        widths, batch_size, steps = matched_protocol(data)
        protocol = [f"model.{network}.hidden_units={json.dumps(widths[role])}"
                    for network, role in MODELS[key][4].items()]
        protocol.append(f"data.batch_size={batch_size}")
    document = apply_overrides(read_document(key, data),
                               MODELS[key][2] + protocol + list(overrides))
    return validate(document), steps


def train_model(config, steps):
    """Builds and trains the model of `config` for `steps` steps (each optimizer on its
    config's schedule); returns (model, bundle, steps, cpu seconds)."""
    from tfhybrids.training.data_stream import train_stream
    from tfhybrids.training.runner import build_run

    start = time.process_time()
    bundle, model, _ = build_run(config)
    if steps is None:
        train = config["train"]
        steps = train["epochs"] * (train["steps_per_epoch"] or bundle.num_train
                                   // bundle.batch_size)
    stream = train_stream(bundle, config["train"]["seed"],
                          shuffle_buffer=config["data"].get("shuffle_buffer", 10000))
    model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0)
    return model, bundle, steps, time.process_time() - start


def generator_samples(model, num, seed):
    import tensorflow as tf

    codes = model.sample_prior(num, tf.constant([seed, 2017], tf.int32))
    return np.asarray(model.decode(codes))


def _single_threaded_worker():
    # Small MLPs gain little from intra-op threads: on a few cores, one run per core trains
    # more runs per hour than all cores on one run.
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    # A single inter-op thread can deadlock (a kernel waiting on work queued behind it);
    # two keep the run on about one core.
    tf.config.threading.set_inter_op_parallelism_threads(2)


def run_one(data, key, seed, args):
    """Trains and scores one (data set, model, seed); returns (run record, seed-0 samples and
    test data for the scatter plot, or None)."""
    from tfhybrids.data import toy2d_modes, toy2d_std
    from tfhybrids.evaluation.mode_coverage import mode_coverage

    label = MODELS[key][0]
    config, steps = load_document(key, data, [f"train.seed={seed}"] + args.set, args.matched)
    model, bundle, steps, cpu = train_model(config, args.steps or steps)
    samples = generator_samples(model, args.num_samples, seed)
    result = mode_coverage(samples, toy2d_modes(config["data"]), toy2d_std(config["data"]))
    run = {"model": label, "key": key, "data": data, "seed": seed, "steps": steps,
           "cpu_seconds": round(cpu, 1), **result}
    picture = None
    if seed == 0:
        picture = (samples, bundle.arrays("test")[0])
    return run, picture


def run_settings(args):
    """What a run's figures depend on besides (data, model, seed): a finished run is reused
    only when these match (see `run_file`)."""
    return {"steps": args.steps, "matched": args.matched,
            "num_samples": args.num_samples, "set": list(args.set)}


def run_file(args, data, key, seed):
    return os.path.join(args.out, "runs", f"{key}_{data}_seed{seed}.json")


def load_finished(args, data, key, seed):
    """The record of a run finished earlier with the same settings, or None. Lets a killed
    benchmark continue where it stopped (the runs are independent)."""
    path = run_file(args, data, key, seed)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        saved = json.load(f)
    if saved.get("settings") != run_settings(args):
        return None
    picture = saved.get("picture")
    if picture is not None:
        picture = (np.asarray(picture["samples"]), np.asarray(picture["reference"]))
    return saved["run"], picture


def save_finished(args, run, picture):
    path = run_file(args, run["data"], run["key"], run["seed"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    saved = {"settings": run_settings(args), "run": run, "picture": None}
    if picture is not None:
        saved["picture"] = {"samples": np.asarray(picture[0]).tolist(),
                            "reference": np.asarray(picture[1]).tolist()}
    with open(path + ".tmp", "w") as f:
        json.dump(saved, f)
    os.replace(path + ".tmp", path)


def run_benchmark(args, log):
    from tfhybrids import plots

    jobs = [(data, key, seed) for data in args.datasets for key in args.models
            for seed in range(args.seeds)]
    runs = []

    def record(run, picture, reused=False):
        runs.append(run)
        if not reused:
            save_finished(args, run, picture)
        log(f"{run['model']:7s} {run['data']:4s} seed {run['seed']}: "
            f"{run['modes_captured']:2d}/{run['num_modes']} modes, "
            f"{run['high_quality_percent']:5.1f}% high quality ({run['steps']} steps, "
            f"{run['cpu_seconds']:.0f} s CPU)" + (" [finished earlier]" if reused else ""))
        if picture is not None:
            samples, reference = picture
            title = (f"{run['model']}, {run['data']}, seed 0: {run['modes_captured']}/"
                     f"{run['num_modes']} modes, {run['high_quality_percent']:.1f}% HQ")
            image = plots.scatter(samples, title=title, reference=reference)
            plots.write_png(os.path.join(args.out, f"{run['key']}_{run['data']}.png"), image)

    pending = []
    for job in jobs:
        finished = None if args.fresh else load_finished(args, *job)
        if finished is not None:
            record(*finished, reused=True)
        else:
            pending.append(job)
    jobs_all, jobs = jobs, pending
    if args.workers <= 1:
        for job in jobs:
            record(*run_one(*job, args))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=args.workers,
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_single_threaded_worker) as pool:
            futures = [pool.submit(run_one, *job, args) for job in jobs]
            for future in as_completed(futures):
                record(*future.result())
    order = {(data, key, seed): i for i, (data, key, seed) in enumerate(jobs_all)}
    runs.sort(key=lambda run: order[(run["data"], run["key"], run["seed"])])
    return runs


def avb_settings(args):
    """What the AVB toy's figures depend on: a finished AVB run is reused only when these
    match."""
    return {"avb_steps": args.avb_steps, "avb_samples": args.avb_samples,
            "set": list(args.set)}


def load_finished_avb(args):
    """The AVB toy's figures from an earlier invocation with the same settings whose picture
    is still there, or None."""
    path = os.path.join(args.out, "runs", "avb.json")
    if args.fresh or not os.path.exists(path) or not os.path.exists(
            os.path.join(args.out, "avb_posterior.png")):
        return None
    with open(path) as f:
        saved = json.load(f)
    return saved["avb"] if saved.get("settings") == avb_settings(args) else None


def save_finished_avb(args, result):
    path = os.path.join(args.out, "runs", "avb.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump({"settings": avb_settings(args), "avb": result}, f)
    os.replace(path + ".tmp", path)


def run_avb(args, log):
    """Trains the AVB toy once; returns its figures and writes the posterior picture. A run
    finished earlier with the same settings is reused (see `load_finished_avb`)."""
    finished = load_finished_avb(args)
    if finished is not None:
        log(f"AVB four points: log p(x) = {finished['log_likelihood']:.3f} "
            f"({finished['steps']} steps, {finished['cpu_seconds']:.0f} s CPU) "
            "[finished earlier]")
        return finished
    from tfhybrids.data.four_points import CLASS_NAMES, four_point_images
    from tfhybrids import plots
    from tfhybrids.models.avb import posterior_picture
    from tfhybrids.training.config import load_config

    config = load_config(os.path.join(REPO, "configs", "avb_four_points.yaml"), args.set)
    model, bundle, steps, cpu = train_model(config, args.avb_steps)
    images = four_point_images()
    log_likelihood = model.log_likelihood(images, num_samples=args.avb_samples, seed=0)
    test = model.evaluate(bundle.test, return_dict=True, verbose=0)
    picture = posterior_picture(model, images, num_samples=1000, class_names=CLASS_NAMES)
    plots.write_png(os.path.join(args.out, "avb_posterior.png"), picture)
    result = {
        "steps": steps,
        "cpu_seconds": round(cpu, 1),
        "log_likelihood_per_image": [round(float(v), 4) for v in log_likelihood],
        "log_likelihood": float(np.mean(log_likelihood)),
        "elbo_with_t": -float(test["loss"]),
        "test": {k: float(v) for k, v in test.items()},
        "importance_samples": args.avb_samples,
    }
    log(f"AVB four points: log p(x) = {result['log_likelihood']:.3f} (importance sampling, "
        f"K={args.avb_samples}; log 1/4 = -1.386), ELBO with T = {result['elbo_with_t']:.3f} "
        f"({steps} steps, {cpu:.0f} s CPU)")
    save_finished_avb(args, result)
    return result


def mean_std(values):
    return f"{np.mean(values):.1f} ± {np.std(values):.1f}"


def protocol_text(args):
    """How every run was trained, in words, for the table's preamble."""
    datasets = args.datasets or ["ring"]
    if args.matched:
        protocols = {data: matched_protocol(data) for data in datasets}
        widths, batch_size, _ = protocols[datasets[0]]
        steps = ", ".join(f"{args.steps or protocols[data][2]} on the {data}"
                          for data in datasets)
        text = (f"Matched protocol: every model trains with the VEEGAN config's hidden widths "
                f"(generator/decoder {widths['generator']}, discriminator "
                f"{widths['discriminator']}, encoder/reconstructor {widths['inverse']}), batch "
                f"size {batch_size} and step count ({steps}); everything else (latent "
                "size, learning rates, losses) comes from its own config.")
    else:
        text = "Each model trains with its own config's networks, batch size and steps."
    rates = "; ".join(
        f"{data}: " + schedule_text(read_document("veegan", data)["optimizers"][
            "generator_optimizer"]["learning_rate"]) for data in datasets)
    text += (" Learning rates and their schedules are each config's (the VEEGAN configs': "
             f"{rates}).")
    return text


def capture_rule(runs):
    """How many HQ samples made a mode count as captured in these runs, in words."""
    counts = sorted({r.get("min_samples_per_mode", 1) for r in runs}) or [1]
    text = " or ".join(f"at least {c} HQ sample{'s' if c > 1 else ''}" for c in counts)
    return text + (" (the VEEGAN and PacGAN convention)" if counts == [1] else "")


CONFIGS_NOTE = ("The shipped configs, trained with `tfhybrids train` and scored from their "
                "exported `generate` signature: [configs.md](configs.md) "
                "(`benchmarks/toy2d_configs.py`). The verdict on each of the paper's claims, "
                "written by hand from these figures: [verdict.md](verdict.md).")


def schedule_text(rate):
    """A learning rate or schedule of a config, in words."""
    if not isinstance(rate, dict):
        return f"{rate:g} throughout"
    if rate.get("name") == "piecewise":
        values, boundaries = rate["values"], rate["boundaries"]
        parts = [f"{values[0]:g} up to step {boundaries[0]}"]
        parts += [f"{value:g} after step {boundary}"
                  for value, boundary in zip(values[1:], boundaries)]
        return ", ".join(parts)
    return ", ".join(f"{key} {value}" for key, value in rate.items())


def markdown(runs, avb, args, cpu_total, wall_total):
    lines = ["# Mode collapse on 2-D mixtures (VEEGAN Table 1 protocol)", "",
             "Generated by `benchmarks/mode_collapse.py` "
             f"(`{' '.join(sys.argv[1:]) or 'defaults'}`). {args.num_samples} samples from "
             "each trained generator; a sample is *high quality* (HQ) within 3 standard "
             "deviations of its nearest mode, a mode is *captured* when it is the nearest mode "
             f"of {capture_rule(runs)}. Ours: mean ± std over "
             f"{args.seeds} seed(s). Paper: Srivastava et al. 2017, Table 1 (5 runs).", "",
             protocol_text(args), "", CONFIGS_NOTE, ""]
    if runs:
        header = "| model |"
        rule = "|---|"
        for data in args.datasets:
            modes = 8 if data == "ring" else 25
            header += (f" {data}: modes (of {modes}) | {data}: % HQ | {data}: paper "
                       "modes / % HQ |")
            rule += "---|---|---|"
        lines += [header, rule]
        labels = [MODELS[key][0] for key in args.models]
        for key, label in zip(args.models, labels):
            row = f"| {label} |"
            for data in args.datasets:
                chosen = [r for r in runs if r["model"] == label and r["data"] == data]
                paper = PAPER[data].get(MODELS[key][3] or "", None)
                paper_text = f"{paper[0]} / {paper[1]}" if paper else "–"
                if chosen:
                    row += (f" {mean_std([r['modes_captured'] for r in chosen])} |"
                            f" {mean_std([r['high_quality_percent'] for r in chosen])} |"
                            f" {paper_text} |")
                else:
                    row += f" – | – | {paper_text} |"
            lines.append(row)
        lines += ["", "Training per run (steps, mean CPU seconds):", ""]
        for key, label in zip(args.models, labels):
            for data in args.datasets:
                chosen = [r for r in runs if r["model"] == label and r["data"] == data]
                if chosen:
                    lines.append(f"- {label} {data}: {chosen[0]['steps']} steps, "
                                 f"{np.mean([r['cpu_seconds'] for r in chosen]):.0f} s CPU")
        lines += ["", "Samples of seed 0 (blue) over test data (grey):", ""]
        for key in args.models:
            for data in args.datasets:
                lines.append(f"![{MODELS[key][0]} {data}]({key}_{data}.png)")
    if avb is not None:
        lines += ["", "## AVB toy (Mescheder et al. 2017, Fig. 4)", "",
                  "Data uniform over the four one-hot 2×2 images, 2-D latent space, N(0, I) "
                  "prior, implicit posterior z = E(x, ε) (`configs/avb_four_points.yaml`, "
                  f"seed 0, {avb['steps']} steps, {avb['cpu_seconds']:.0f} s CPU).", "",
                  f"- log p(x), importance sampling (K = {avb['importance_samples']}, "
                  f"defensive proposal, `AVB.log_likelihood`): **{avb['log_likelihood']:.3f}** "
                  f"nats per image (per image: {avb['log_likelihood_per_image']}); the "
                  "optimum is log(1/4) = −1.386.",
                  f"- ELBO with the learned T in place of the KL (test set): "
                  f"{avb['elbo_with_t']:.3f}.", "",
                  "![AVB posteriors](avb_posterior.png)"]
    lines += ["", f"Total: {cpu_total / 60:.1f} CPU minutes of training, "
              f"{wall_total / 60:.1f} minutes wall clock in the invocation that wrote this page, which "
              f"reuses the runs finished earlier ({os.cpu_count()} CPU cores, {args.workers} run(s) "
              "at a time)."]
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=PAGE_SEEDS,
                        help=f"seeds 0..N-1 per model ({PAGE_SEEDS})")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per run (default: the VEEGAN config's epochs x "
                             "steps_per_epoch, or each config's own with --config-settings)")
    parser.add_argument("--models", default=",".join(PAGE_MODELS),
                        help=f"comma-separated subset of {','.join(MODELS)} (default "
                             f"{','.join(PAGE_MODELS)}: the paper's rows, the results page)")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help="comma-separated subset of ring,grid")
    parser.add_argument("--config-settings", dest="matched", action="store_false",
                        help="train each model with its own config's networks, batch size and "
                             "steps instead of the VEEGAN config's (the matched protocol)")
    parser.add_argument("--num-samples", type=int, default=2500,
                        help="generator samples scored per run (the paper: 2500)")
    parser.add_argument("--no-avb", dest="avb", action="store_false",
                        help="skip the AVB toy")
    parser.add_argument("--avb-steps", type=int, default=None,
                        help="training steps of the AVB toy (default: its config)")
    parser.add_argument("--avb-samples", type=int, default=10000,
                        help="importance samples per image for AVB's log-likelihood")
    parser.add_argument("--workers", type=int, default=1,
                        help="runs trained at once, each in its own single-threaded process "
                             "(e.g. the number of cores); 1 = in this process, all threads")
    parser.add_argument("--fresh", action="store_true",
                        help="retrain every run, even those finished earlier with the same "
                             "settings (by default a repeated command reuses them from "
                             "OUT/runs/, so a killed benchmark continues where it stopped)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override applied to every run, e.g. data.batch_size=256")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks",
                                                      "mode_collapse"),
                        help="output directory (docs/benchmarks/mode_collapse)")
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.datasets = [d for d in args.datasets.split(",") if d]
    for name, given, allowed in (("--models", args.models, MODELS),
                                 ("--datasets", args.datasets, DATASETS)):
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            parser.error(f"{name}: unknown {unknown}; choose from {', '.join(allowed)}")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    wall_start = time.time()

    def log(message):
        print(message, flush=True)

    runs = run_benchmark(args, log) if args.models and args.datasets else []
    avb = run_avb(args, log) if args.avb else None
    wall_total = time.time() - wall_start
    # The training CPU time of every run, wherever (worker processes) and whenever (runs
    # reused from an earlier invocation) it was spent.
    cpu_total = sum(run["cpu_seconds"] for run in runs) + (avb["cpu_seconds"] if avb else 0.0)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"runs": runs, "avb": avb, "argv": sys.argv[1:],
                   "cpu_seconds": round(cpu_total, 1), "wall_seconds": round(wall_total, 1)},
                  f, indent=1)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(markdown(runs, avb, args, cpu_total, wall_total))
    log(f"Done in {wall_total / 60:.1f} min wall clock, {cpu_total / 60:.1f} CPU minutes; "
        f"wrote {args.out}/README.md")


if __name__ == "__main__":
    main()
