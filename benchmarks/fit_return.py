"""How long `fit` takes to return after its last training step, on a shipped config.

`fit` as the trainer calls it (the config's endless training stream, its test split as
validation data), timed by a callback: from the last `on_train_batch_end` to `fit` returning,
less the validation pass that follows the last step (real work, timed from `on_test_begin` to
`on_test_end`). The process's CPU time over the same span tells waiting from computing on a
shared machine. That span used to reach 20-58 s with the CPU idle: deleting an iterator of an
autotuned tf.data pipeline could sleep out its optimisation thread's period (see
`tfhybrids.data.base.without_autotune_model`).

    python benchmarks/fit_return.py [--config vae_fashion_mnist] [--runs 3] [--steps 200]
        [--epochs 2] [--set key=value ...]
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ReturnTimer(keras.callbacks.Callback):
    """Wall and CPU clocks at the last training step and around each validation pass."""

    def on_train_batch_end(self, batch, logs=None):
        self.last_step = (time.perf_counter(), time.process_time())
        self.validation = (0.0, 0.0)

    def on_test_begin(self, logs=None):
        self.test_begin = (time.perf_counter(), time.process_time())

    def on_test_end(self, logs=None):
        if hasattr(self, "last_step"):
            end = (time.perf_counter(), time.process_time())
            self.validation = tuple(e - b for e, b in zip(end, self.test_begin))


def time_fit_return(config_path, steps, epochs, overrides=()):
    """Trains a config for `epochs` epochs of `steps` steps as the trainer does.

    Returns:
        dict: `wall` and `cpu`, seconds from the last step to `fit` returning less the
        validation after it; `validation`, that validation's wall seconds; `fit`, the
        whole `fit` call's wall seconds.
    """
    from tfhybrids.training.config import load_config
    from tfhybrids.training.data_stream import train_stream
    from tfhybrids.training.runner import build_run

    config = load_config(config_path, [f"train.epochs={epochs}",
                                       f"train.steps_per_epoch={steps}", *overrides])
    bundle, model, _ = build_run(config)
    stream = train_stream(bundle, config["train"]["seed"],
                          shuffle_buffer=config["data"].get("shuffle_buffer", 10000))
    timer = ReturnTimer()
    start = time.perf_counter()
    model.fit(stream, epochs=epochs, steps_per_epoch=steps, validation_data=bundle.test,
              shuffle=False, callbacks=[timer], verbose=0)
    end = (time.perf_counter(), time.process_time())
    wall, cpu = (e - s - v for e, s, v in zip(end, timer.last_step, timer.validation))
    return {"wall": wall, "cpu": cpu, "validation": timer.validation[0], "fit": end[0] - start}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="vae_fashion_mnist", help="config file stem")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config overrides")
    args = parser.parse_args(argv)
    path = os.path.join(REPO, "configs", f"{args.config}.yaml")
    if not os.path.exists(path):
        parser.error(f"no such config: {path}")
    worst = 0.0
    for run in range(args.runs):
        result = time_fit_return(path, args.steps, args.epochs, args.set)
        worst = max(worst, result["wall"])
        print(f"{args.config} run {run + 1}: fit {result['fit']:.1f} s; last step to fit "
              f"returning, less the last validation ({result['validation']:.1f} s): "
              f"{result['wall']:.2f} s wall, {result['cpu']:.2f} s CPU", flush=True)
    print(f"worst of {args.runs}: {worst:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
