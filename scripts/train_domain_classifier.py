"""Trains the domain classifier whose features give the FD-<dataset>-classifier scores.

    python scripts/train_domain_classifier.py --dataset fashion_mnist
    python scripts/train_domain_classifier.py --dataset digits

writes `<dataset>_classifier.keras` and `<dataset>_classifier.json` (test accuracy, seed,
epochs, input size, seconds) to `$TFHYBRIDS_FEATURE_DIR`, or `~/.cache/tfhybrids/feature_networks/`
when it is unset (or to --out DIR). The network is `build_domain_classifier` in
tfhybrids/evaluation/feature_networks.py (three stride-2 convs, a 128-unit "features" layer),
trained by `train_domain_classifier` there. `tfhybrids evaluate` trains the digits classifier
itself on first use (the same function, without op determinism); Fashion-MNIST's takes a few
minutes, so `evaluate` leaves it to this script (`tfhybrids bench` trains it on first use).

Reproducible: the seed fixes the initial weights and the batch order, and TensorFlow's op
determinism is on, so the same command on the same machine gives the same file. Fashion-MNIST
takes about three minutes on 2 CPU cores, digits (at 28x28) under a minute.
"""

import argparse
import os
import sys

from tfhybrids.evaluation.feature_networks import DEFAULT_EPOCHS

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
    from tfhybrids.evaluation.feature_networks import train_domain_classifier

    train_domain_classifier(args.dataset, args.out, args.epochs, args.seed,
                            train_limit=args.train_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
