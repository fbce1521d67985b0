"""Trains the domain classifier whose features give the FD-<dataset>-classifier scores.

    python scripts/train_domain_classifier.py --dataset fashion_mnist
    python scripts/train_domain_classifier.py --dataset digits

writes `<dataset>_classifier.keras` and `<dataset>_classifier.json` (test accuracy, seed,
epochs, input size, seconds) to `$TFHYBRIDS_FEATURE_DIR`, or `~/.cache/tfhybrids/feature_networks/`
when it is unset (or to --out DIR). The network is `build_domain_classifier` in
tfhybrids/evaluation/feature_networks.py (three stride-2 convs, a 128-unit "features" layer).

Reproducible: the seed fixes the initial weights and the batch order, and TensorFlow's op
determinism is on, so the same command on the same machine gives the same file. Fashion-MNIST
takes about three minutes on 2 CPU cores, digits (at 28x28) under a minute.
"""

import argparse
import os
import sys
import time

DEFAULT_EPOCHS = {"fashion_mnist": 6, "digits": 40}


def train(dataset, out_dir=None, epochs=None, seed=0, batch_size=128, train_limit=None,
          log=print):
    """Trains and saves the classifier of `dataset`; returns its metadata dict."""
    import keras
    import tensorflow as tf

    from tfhybrids.data import load_data
    from tfhybrids.evaluation.feature_networks import (
        CLASSIFIER_DATASETS, build_domain_classifier, classifier_paths)
    from tfhybrids.training.checkpoints import write_json_atomic

    if dataset not in CLASSIFIER_DATASETS:
        raise SystemExit(f"--dataset must be one of {', '.join(CLASSIFIER_DATASETS)}")
    epochs = epochs or DEFAULT_EPOCHS[dataset]
    size = CLASSIFIER_DATASETS[dataset]
    data_config = {"name": dataset, "image_size": size}
    if train_limit:
        data_config["train_limit"] = train_limit
    bundle = load_data(data_config, seed=seed)
    x_train, y_train = bundle.arrays("train")
    x_test, y_test = bundle.arrays("test")

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_domain_classifier(bundle.element_shape, bundle.num_classes)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.time()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=2)
    seconds = time.time() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)

    model_path, meta_path = classifier_paths(dataset, out_dir)
    os.makedirs(os.path.dirname(model_path), exist_ok=True)
    tmp = f"{model_path}.tmp-{os.getpid()}.keras"
    model.save(tmp)
    os.replace(tmp, model_path)
    meta = {
        "dataset": dataset,
        "test_accuracy": round(float(accuracy), 4),
        "num_train": int(len(x_train)),
        "num_test": int(len(x_test)),
        "input_shape": list(bundle.element_shape),
        "epochs": epochs,
        "seed": seed,
        "batch_size": batch_size,
        "train_seconds": round(seconds, 1),
        "parameters": int(model.count_params()),
        "feature_layer": "features",
        "script": "scripts/train_domain_classifier.py",
    }
    write_json_atomic(meta_path, meta)
    log(f"{dataset}: test accuracy {accuracy:.4f} after {epochs} epochs ({seconds:.0f} s); "
        f"saved {model_path}")
    return meta


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, choices=sorted(DEFAULT_EPOCHS))
    parser.add_argument("--out", help="output directory (default: $TFHYBRIDS_FEATURE_DIR or "
                                      "~/.cache/tfhybrids/feature_networks)")
    parser.add_argument("--epochs", type=int, help="default: 6 (fashion_mnist), 40 (digits)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-limit", type=int, help="use only the first N train images")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    train(args.dataset, args.out, args.epochs, args.seed, train_limit=args.train_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
