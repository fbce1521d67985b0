"""The `tfhybrids` command line: parse, load the config, call a library function.

Errors a user can cause (a bad config, a missing dataset, a wrong workdir) are printed as one
line on stderr with exit code 2; `--debug` shows the traceback too (and TensorFlow's own
start-up notices, which are filtered out otherwise: see tfhybrids.quiet). Configs are
validated before TensorFlow is imported.
"""

import argparse
import importlib
import os
import sys
import traceback

# Modules that add subcommands (see build_parser); missing ones are skipped.
COMMAND_MODULES = (
    "tfhybrids.evaluation.commands",   # evaluate, explore, bench
    "tfhybrids.serving.commands",      # predict, serving-config
)


def _default_workdir(config_path):
    stem = os.path.splitext(os.path.basename(config_path))[0]
    return os.path.join("runs", stem)


def cmd_train(args):
    from tfhybrids.data.specs import check_data_available
    from tfhybrids.training.checkpoints import check_workdir, completed_message, completed_run
    from tfhybrids.training.config import load_config

    # The config is validated before TensorFlow is imported: a typo costs no import time.
    config = load_config(args.config, args.set)
    workdir = args.workdir or _default_workdir(args.config)
    check_workdir(workdir, config["model"]["class"])
    if not args.retrain and completed_run(workdir, config["train"]["epochs"]) is not None:
        print(completed_message(workdir, config["train"]["epochs"]))
        return 0
    # Data certainly missing (judged from the file system) is reported before the import too.
    check_data_available(config["data"])
    from tfhybrids.training.runner import train

    train(config, workdir, retrain=args.retrain)
    print(f"Done. TensorBoard: tensorboard --logdir {os.path.join(workdir, 'logs')}")
    return 0


def cmd_export(args):
    from tfhybrids.errors import ConfigError
    from tfhybrids.export import export_model
    from tfhybrids.training.run_dir import load_trained_model

    model, config = load_trained_model(args.run_dir)
    base = args.base or os.path.join(args.run_dir, "export")
    name = args.name or config["train"].get("export_name") or type(model).__name__.lower()
    if args.version is not None and args.version < 1:
        raise ConfigError(f"--version must be a positive integer, got {args.version}.")
    path = export_model(model, base, name, version=args.version)
    print(f"Exported {type(model).__name__} to {path}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tfhybrids",
        description="Train, export and compare VAE-GAN hybrid generative models.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="show full tracebacks and TensorFlow logs")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model from a YAML config")
    train.add_argument("config", help="path to a config, e.g. configs/aae_digits.yaml")
    train.add_argument("--workdir", help="run directory (default: runs/<config name>)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config value, e.g. --set train.epochs=5 (repeatable)")
    train.add_argument("--retrain", action="store_true",
                       help="train a completed run again from scratch in the same workdir "
                            "(deletes its checkpoints and logs; the export gets a new "
                            "version). Without it a completed run is left alone")
    train.set_defaults(func=cmd_train)

    export = commands.add_parser("export", help="export a trained run as a SavedModel")
    export.add_argument("run_dir", help="a run directory written by `tfhybrids train`")
    export.add_argument("--base", help="base directory of TF Serving models "
                                       "(default: RUN_DIR/export)")
    export.add_argument("--name", help="model name (default: the model class, lower case)")
    export.add_argument("--version", type=int, help="version number (default: next free)")
    export.set_defaults(func=cmd_export)

    # Further commands live beside the code they drive: each module has
    # `register(subparsers)`, which adds its parsers with `set_defaults(func=...)`.
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if not module_name.startswith(error.name or "\0"):
                raise
            continue
        module.register(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.debug:
        from tfhybrids.quiet import quiet_tensorflow

        # Filtering stderr forks a process: only for the real command line, not for callers
        # (tests, notebooks) that run main() inside their own process.
        quiet_tensorflow(filter_stderr=argv is None)
    from tfhybrids.errors import TfhybridsError

    try:
        return args.func(args)
    except TfhybridsError as error:
        if args.debug:
            traceback.print_exc()
        print(f"tfhybrids: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tfhybrids: interrupted; re-run the same command to resume from the last "
              "checkpoint.", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - last line of defence for the CLI
        if args.debug:
            traceback.print_exc()
            return 1
        print(f"tfhybrids: internal error: {type(error).__name__}: {error}. "
              "Re-run with --debug for the traceback.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
