"""The `evaluate`, `explore` and `bench` subcommands (registered by tfhybrids.cli)."""

import argparse
import os

from tfhybrids.errors import ConfigError


def _add_feature_options(parser):
    parser.add_argument("--feature-network", choices=("classifier", "inception", "none"),
                        default="classifier",
                        help="features of the Fréchet distance: the dataset's domain "
                             "classifier (FD-<dataset>-classifier, default), InceptionV3 (FID, "
                             "needs --inception-weights) or none")
    parser.add_argument("--feature-dir", help="directory of the domain classifiers (default: "
                                              "$TFHYBRIDS_FEATURE_DIR or "
                                              "~/.cache/tfhybrids/feature_networks)")
    parser.add_argument("--inception-weights", metavar="PATH",
                        help="local InceptionV3 no-top ImageNet weights (.h5) for FID")
    parser.add_argument("--fd-samples", type=int, help="generated images for the Fréchet "
                                                       "distance (default 5000)")
    parser.add_argument("--eval-seed", type=int, default=0, help="seed of samples and draws")
    parser.add_argument("--disentanglement-points", type=int, metavar="N",
                        help="beta-VAE metric (dsprites): N training points for its classifier "
                             "and N/2 held out (default 2000)")
    parser.add_argument("--pairs", type=int, metavar="L",
                        help="beta-VAE metric: image pairs averaged per point (default 64)")


def _options(args, **defaults):
    from tfhybrids.evaluation.evaluate import EvaluationOptions

    settings = dict(defaults)
    settings.update(feature_network=args.feature_network, feature_dir=args.feature_dir,
                    inception_weights=args.inception_weights, seed=args.eval_seed)
    if args.fd_samples is not None:
        if args.fd_samples < 2:
            raise ConfigError(f"--fd-samples must be at least 2, got {args.fd_samples}.")
        settings["num_fd_samples"] = args.fd_samples
    if args.disentanglement_points is not None:
        if args.disentanglement_points < 2:
            raise ConfigError(f"--disentanglement-points must be at least 2, got "
                              f"{args.disentanglement_points}.")
        settings["disentanglement_train"] = args.disentanglement_points
        settings["disentanglement_eval"] = args.disentanglement_points // 2
    if args.pairs is not None:
        if args.pairs < 1:
            raise ConfigError(f"--pairs must be at least 1, got {args.pairs}.")
        settings["disentanglement_pairs"] = args.pairs
    return EvaluationOptions(**settings)


def cmd_evaluate(args):
    from tfhybrids.evaluation.evaluate import evaluate_run_dir

    metrics = evaluate_run_dir(args.run_dir, _options(args))
    print("test losses: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics["test"].items())
          + " (as at the end of training: fixed evaluation noise)")
    evaluation = metrics["evaluation"]
    for key, value in evaluation.items():
        if key in ("skipped", "seconds"):
            continue
        shown = {k: v for k, v in value.items() if isinstance(v, (int, float, str))}
        print(f"{key}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                     for k, v in shown.items()))
    for key, reason in evaluation["skipped"].items():
        print(f"{key}: skipped ({reason})")
    print(f"Wrote {os.path.join(args.run_dir, 'metrics.json')}")
    return 0


def cmd_explore(args):
    from tfhybrids.evaluation.explore import explore_run

    explore_run(args.run_dir, out_dir=args.out, seed=args.seed, steps=args.steps,
                max_units=args.units, num_pairs=args.pairs, arithmetic=args.arithmetic)
    return 0


def cmd_bench(args):
    from tfhybrids.evaluation.bench import SMOKE_OPTIONS, run_suite, run_toy2d

    if args.out is not None:
        import sys

        print("bench: --out is deprecated; it is now --workdir (the name `train` uses).",
              file=sys.stderr)
    out = args.workdir or args.out or os.path.join("bench", args.suite)
    if args.suite == "toy2d":
        ignored = [flag for flag, value in (
            ("--epochs", args.epochs), ("--minutes", args.minutes),
            ("--cpu-minutes", args.cpu_minutes), ("--seeds", args.seeds),
            ("--threads", args.threads), ("--workers", None if args.workers == 1 else 1))
            if value is not None]
        if ignored:
            raise ConfigError(f"bench toy2d runs benchmarks/mode_collapse.py, which has its own "
                              f"options for {', '.join(ignored)}: pass them after '--', e.g. "
                              f"`tfhybrids bench toy2d -- --workers 2 --steps 2000`.")
        return run_toy2d(args.workdir or args.out, args.passthrough)
    if args.passthrough:
        raise ConfigError(f"bench {args.suite}: unexpected arguments {args.passthrough}.")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()] if args.seeds else [0]
    options = _options(args, **(SMOKE_OPTIONS if args.suite == "smoke" else {}))
    _, table = run_suite(args.suite, out, epochs=args.epochs, minutes=args.minutes,
                         cpu_minutes=args.cpu_minutes, seeds=seeds, overrides=args.set,
                         options=options, config_dir=args.config_dir,
                         extra_configs=args.add_config, workers=args.workers,
                         threads=args.threads, models=args.models)
    print(table)
    print(f"Wrote {os.path.join(out, 'results.md')}, results.csv and tradeoff.png")
    return 0


def register(subparsers):
    """Adds `evaluate`, `explore` and `bench` to the `tfhybrids` command."""
    evaluate = subparsers.add_parser(
        "evaluate", help="compute every applicable metric of a trained run into metrics.json")
    evaluate.add_argument("run_dir", help="a run directory written by `tfhybrids train`")
    _add_feature_options(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    explore = subparsers.add_parser(
        "explore", help="latent traversals, interpolations and code arithmetic as PNGs and "
                        "TensorBoard images")
    explore.add_argument("run_dir", help="a run directory written by `tfhybrids train`")
    explore.add_argument("--out", help="directory of the PNGs (default: RUN_DIR/explore)")
    explore.add_argument("--steps", type=int, default=10, help="columns of traversals and "
                                                               "interpolations")
    explore.add_argument("--units", type=int, default=10, help="latent units traversed")
    explore.add_argument("--pairs", type=int, default=6, help="interpolated pairs")
    explore.add_argument("--arithmetic", action="append", default=[], metavar="A-B+C",
                         help="class arithmetic on mean codes, by index or name, e.g. "
                              "'Sneaker-Sandal+Ankle boot' (repeatable)")
    explore.add_argument("--seed", type=int, default=0)
    explore.set_defaults(func=cmd_explore)

    bench = subparsers.add_parser(
        "bench", help="train every model of a suite on one budget and write the comparison "
                      "table (results.md, results.csv, tradeoff.png)")
    bench.add_argument("suite", choices=("fashion_mnist", "dsprites", "toy2d", "smoke"))
    bench.add_argument("--workdir", help="directory of the runs and the table (default: "
                                         "bench/SUITE)")
    bench.add_argument("--out", help=argparse.SUPPRESS)  # the old name of --workdir
    budget = bench.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, help="epochs per model (default: each config's)")
    budget.add_argument("--cpu-minutes", type=float, metavar="M",
                        help="training budget per model and seed in process CPU minutes "
                             "(all threads): equal computation however busy the machine is")
    budget.add_argument("--minutes", type=float, help="training budget per model and seed in "
                                                      "wall-clock minutes")
    bench.add_argument("--workers", type=int, default=1,
                       help="runs trained at once, each in its own process (default 1)")
    bench.add_argument("--threads", type=int, help="TensorFlow threads of each worker process "
                                                   "(default: the cores divided by --workers)")
    bench.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2 (default 0)")
    bench.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override every config, e.g. --set data.train_limit=20000")
    bench.add_argument("--models", type=lambda text: [m.strip() for m in text.split(",")
                                                      if m.strip()],
                       help="fashion_mnist only: run just these models, in this order, e.g. "
                            "vae,dcgan,vae_gan,bigan,avae (the AVAE paper's table)")
    bench.add_argument("--config-dir", help="configs directory (default: the repository's)")
    bench.add_argument("--add-config", action="append", default=[], metavar="PATH",
                       help="also run this config (repeatable)")
    bench.add_argument("passthrough", nargs="*", help="toy2d only: arguments for "
                                                      "benchmarks/mode_collapse.py")
    _add_feature_options(bench)
    bench.set_defaults(func=cmd_bench)
