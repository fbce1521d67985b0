"""Records, or checks against a stored record, the exact training figures of every model.

For each tiny config (configs/tiny/*.yaml) and each model-harness case (the CASES of the
`ModelContract` classes in tests/), a fixed seed, a few `fit` steps: the per-step logs as
float64 reprs, a SHA-256 of every weight after training, and the results of `evaluate`.
A refactoring of the training code that claims to change nothing must reproduce them bit
for bit.

The reference must be recorded from the unchanged code (e.g. a `git archive` copy of the
commit before the change, with PYTHONPATH pointing at it). Bit-identity holds only on the same kind of machine (CPU, instruction set, TensorFlow
build), so this is a script to run before and after a change, not a test of the default
run:

    python scripts/training_reference.py record scripts/training_reference.json  # before
    python scripts/training_reference.py check scripts/training_reference.json   # after
    python scripts/training_reference.py check REF.json --only aae,tiny/aae_digits

`--only` takes names of entries (tiny/<config> or <TestClass>/<case>) or substrings of them.
"""

import argparse
import glob
import hashlib
import importlib
import inspect
import json
import os
import sys

import keras
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 3


class BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append({k: repr(float(v)) for k, v in sorted(logs.items())})


def weights_digest(model):
    digest = hashlib.sha256()
    for variable in model.weights:
        if "seed_generator" in variable.path:
            continue
        # Values only: auto-generated layer names in the paths depend on what the process
        # built before, so they differ between a full run and an --only run.
        digest.update(np.ascontiguousarray(variable.numpy()).tobytes())
    return digest.hexdigest()


def figures(model, train_data, test_data, steps):
    logs = BatchLogs()
    model.fit(train_data, epochs=1, steps_per_epoch=steps, callbacks=[logs], verbose=0,
              shuffle=False)
    weights = weights_digest(model)
    evaluated = model.evaluate(test_data, return_dict=True, verbose=0)
    return {"train": logs.steps, "weights": weights,
            "evaluate": {k: repr(float(v)) for k, v in sorted(evaluated.items())}}


def tiny_config_entries():
    from tfhybrids.training.config import load_config
    from tfhybrids.training.data_stream import train_stream
    from tfhybrids.training.runner import build_run

    for path in sorted(glob.glob(os.path.join(REPO, "configs", "tiny", "*.yaml"))):
        name = "tiny/" + os.path.splitext(os.path.basename(path))[0]

        def run(path=path):
            config = load_config(path)
            config["train"]["strategy"] = "default"
            bundle, model, _ = build_run(config)
            stream = train_stream(bundle, config["train"]["seed"], prefetch=False)
            return figures(model, stream, bundle.test.take(2), STEPS)

        yield name, run


def harness_entries():
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from model_harness import ModelContract, make_dataset, make_model

    for path in sorted(glob.glob(os.path.join(REPO, "tests", "test_*.py"))):
        module = importlib.import_module(os.path.splitext(os.path.basename(path))[0])
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, ModelContract) or cls is ModelContract:
                continue
            if cls.__module__ != module.__name__:
                continue
            for case_name, case in cls.CASES.items():

                def run(case=case):
                    model = make_model(case)
                    return figures(model, make_dataset(case, num_batches=STEPS),
                                   make_dataset(case, num_batches=2, seed=1), STEPS)

                yield f"{cls.__name__}/{case_name}", run


def selected(name, only):
    return not only or any(part == name or part in name for part in only)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("record", "check"))
    parser.add_argument("reference", help="the JSON file to write or to compare with")
    parser.add_argument("--only", default="", help="comma-separated entry names or parts")
    args = parser.parse_args(argv)
    only = [part for part in args.only.split(",") if part]

    from tfhybrids.data import fashion_mnist

    have_fashion = os.path.isdir(fashion_mnist.DEFAULT_PATH)
    stored = {}
    if args.mode == "check" or only:
        if os.path.exists(args.reference):
            with open(args.reference) as f:
                stored = json.load(f)
    results, mismatches = {}, []
    for name, run in [*tiny_config_entries(), *harness_entries()]:
        if not selected(name, only):
            continue
        if "fashion_mnist" in name and not have_fashion:
            print(f"skip  {name} (no Fashion-MNIST)")
            continue
        results[name] = run()
        if args.mode == "check":
            if name not in stored:
                print(f"NEW   {name}")
            elif stored[name] != results[name]:
                mismatches.append(name)
                print(f"DIFF  {name}\n  was {stored[name]}\n  now {results[name]}")
            else:
                print(f"same  {name}")
        else:
            print(f"done  {name}")
        sys.stdout.flush()
    if args.mode == "record":
        stored.update(results)
        with open(args.reference, "w") as f:
            json.dump(stored, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {len(results)} entries to {args.reference}")
        return 0
    print(f"{len(results) - len(mismatches)} of {len(results)} identical")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
