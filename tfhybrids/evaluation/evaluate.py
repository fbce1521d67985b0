"""`tfhybrids evaluate`: every metric that applies to a trained model, merged into metrics.json.

Which metrics a model gets depends on what it can do and on the data:

| metric | needs | key in metrics.json["evaluation"] |
|---|---|---|
| reconstruction MSE and SSIM of G(E(x)) on the test split ([0, 1] units) | an encoder (`encode_outputs`) and `decode` | `reconstruction` |
| Fréchet distance of samples vs test images (`FD-<dataset>-classifier`, or `FID` with InceptionV3) | `sample_prior` and `decode`, image data | `frechet` |
| sharpness of samples vs test images: Laplacian variance and gradient energy, and their ratios | as the Fréchet distance (the same samples and images) | `sharpness` |
| linear-probe accuracy of frozen codes | an encoder and labels | `linear_probe` |
| importance-weighted bound on log p(x) | an explicit likelihood and Gaussian posterior (the VAE) | `iwae` |
| importance-sampling estimate of log p(x) | an explicit likelihood and the model's own estimator for an implicit posterior (AVB) | `log_likelihood` |
| mode coverage and high-quality share of 2,500 samples | a sampler, `toy2d` ring or grid data | `mode_coverage` |
| beta-VAE disentanglement metric | an encoder, `dsprites` data | `disentanglement` |
| semi-supervised error / clustering error (AAE paper) | `classify(x)` -> q(y|x); `num_clusters` for clustering | `semi_supervised` / `clustering` |

Metrics that do not apply are listed with the reason under `skipped`. Reconstruction uses
the deterministic code (the posterior mean of a VAE), as the papers' reconstruction figures do.
"""

import dataclasses
import os
import time
import weakref

import numpy as np
import tensorflow as tf

from tfhybrids.errors import ConfigError
from tfhybrids.evaluation import classification, frechet, image_metrics, likelihood
from tfhybrids.evaluation.feature_networks import (
    CLASSIFIER_DATASETS,
    DEFAULT_EPOCHS,
    FIRST_USE_DATASETS,
    TRAIN_SCRIPT,
    classifier_paths,
    load_feature_network,
    train_domain_classifier,
)

FEATURE_CHOICES = ("classifier", "inception", "none")


@dataclasses.dataclass
class EvaluationOptions:
    """What `evaluate_model` computes and on how much data.

    Attributes:
        feature_network: str. "classifier" (the dataset's domain classifier; FD-<dataset>-
            classifier), "inception" (FID, needs `inception_weights`) or "none" (no Fréchet
            distance). Defaults to "classifier".
        feature_dir: str or None. Directory of the domain classifiers.
        inception_weights: str or None. Local InceptionV3 no-top weights file.
        num_fd_samples: int. Generated images (and at most this many test images) for the
            Fréchet distance. Defaults to 5000.
        num_probe_train: int. Train codes for the linear probe. Defaults to 10000.
        num_eval_images: int. Test images for reconstruction and the probe's test codes.
            Defaults to 10000.
        iwae_samples: int. K of the IWAE bound (and of a model's own log-likelihood
            estimate). Defaults to 64.
        iwae_examples: int. Test examples the bound is averaged over. Defaults to 500.
        min_samples_per_mode: int. High-quality samples a toy2d mode needs to count as
            captured. Defaults to 1, the VEEGAN and PacGAN convention (see mode_coverage).
        disentanglement_train: int. Training points of the beta-VAE metric. Defaults to 2000.
        disentanglement_eval: int. Held-out points of the beta-VAE metric. Defaults to 1000.
        disentanglement_pairs: int. L, pairs per point. Defaults to 64.
        seed: int. Seeds samples and every random draw. Defaults to 0.
    """

    feature_network: str = "classifier"
    feature_dir: str | None = None
    inception_weights: str | None = None
    num_fd_samples: int = 5000
    num_probe_train: int = 10000
    num_eval_images: int = 10000
    iwae_samples: int = 64
    iwae_examples: int = 500
    min_samples_per_mode: int = 1
    disentanglement_train: int = 2000
    disentanglement_eval: int = 1000
    disentanglement_pairs: int = 64
    seed: int = 0

    def __post_init__(self):
        if self.feature_network not in FEATURE_CHOICES:
            raise ConfigError(f"feature network: unknown value {self.feature_network!r}; "
                              f"choose one of {', '.join(FEATURE_CHOICES)}.")


def has_encoder(model):
    return hasattr(model, "encode_outputs") and hasattr(model, "decode")


def has_sampler(model):
    return hasattr(model, "sample_prior") and hasattr(model, "decode")


_ENCODERS = weakref.WeakKeyDictionary()


def _graph_encoder(model):
    # Metrics encode hundreds of thousands of images (the beta-VAE metric): one traced
    # function per model instead of op-by-op eager calls.
    if model not in _ENCODERS:
        _ENCODERS[model] = tf.function(model.encode_outputs, reduce_retracing=True)
    return _ENCODERS[model]


def deterministic_codes(model, x, batch_size=500):
    """The deterministic code of each input: "code" of `encode_outputs`, else its "mean"."""
    parts = []
    encode = _graph_encoder(model)
    for start in range(0, len(x), batch_size):
        outputs = encode(tf.convert_to_tensor(x[start:start + batch_size], tf.float32))
        code = outputs.get("code", outputs.get("mean"))
        if code is None:
            raise ConfigError(f"{type(model).__name__}.encode_outputs gives "
                              f"{sorted(outputs)}, with no 'code' or 'mean' to evaluate.")
        parts.append(np.asarray(code))
    return np.concatenate(parts) if parts else np.zeros((0, model.latent_dim), np.float32)


def generate(model, num, seed, batch_size=500):
    """`num` samples decode(z), z ~ prior, reproducible from the int seed."""
    parts = []
    for index, start in enumerate(range(0, num, batch_size)):
        count = min(batch_size, num - start)
        codes = model.sample_prior(count, tf.constant([seed, index], tf.int32))
        parts.append(np.asarray(model.decode(codes, training=False)))
    return np.concatenate(parts)


def feature_network_for(options, dataset_name, train_missing=False, log=print,
                        first_use_datasets=FIRST_USE_DATASETS):
    """The feature network the options ask for on this dataset, or (None, reason).

    With `train_missing`, a missing domain classifier of a `first_use_datasets` dataset
    (by default digits: seconds) is trained and cached on first use; a missing one of another
    dataset (Fashion-MNIST: minutes) skips the Fréchet distance with the command that makes
    it. `tfhybrids bench`, which trains for many minutes anyway, passes every
    `CLASSIFIER_DATASETS` dataset.
    """
    if options.feature_network == "none":
        return None, "feature network 'none' was asked for"
    if options.feature_network == "classifier" and dataset_name not in CLASSIFIER_DATASETS:
        return None, (f"no domain classifier for '{dataset_name}' (only "
                      f"{', '.join(sorted(CLASSIFIER_DATASETS))}); use --feature-network "
                      f"inception with local weights")
    if options.feature_network == "classifier" and train_missing and not os.path.exists(
            classifier_paths(dataset_name, options.feature_dir)[0]):
        if dataset_name not in first_use_datasets:
            return None, (f"no {dataset_name} domain classifier yet; train it once (a few "
                          f"minutes) with `python {TRAIN_SCRIPT} --dataset {dataset_name}` "
                          f"to get FD-{dataset_name}-classifier")
        directory = os.path.dirname(classifier_paths(dataset_name, options.feature_dir)[0])
        log(f"First use of FD-{dataset_name}-classifier: training the {dataset_name} domain "
            f"classifier ({DEFAULT_EPOCHS[dataset_name]} epochs), cached in {directory} ...")
        train_domain_classifier(dataset_name, options.feature_dir, deterministic=False,
                                verbose=0, log=log)
    return load_feature_network(options.feature_network, dataset=dataset_name,
                                feature_dir=options.feature_dir,
                                inception_weights=options.inception_weights), None


def evaluate_model(model, bundle, data_config=None, options=None, feature_network=None,
                   log=print, train_missing=False):
    """Computes every metric that applies (see the module docstring).

    Args:
        model: a trained tfhybrids model.
        bundle: its DataBundle.
        data_config: dict or None. The run's `data:` section (for toy2d's modes).
        options: EvaluationOptions or None (defaults).
        feature_network: a FeatureNetwork or None. Given, it replaces the one the options name
            (so a benchmark loads it once).
        log: callable for progress lines.
        train_missing: bool. Train a missing digits domain classifier on first use (see
            `feature_network_for`). Defaults to False (`tfhybrids evaluate` sets it).

    Returns:
        dict of metric name -> result, plus "skipped" {metric: reason} and "seconds".
    """
    options = options or EvaluationOptions()
    started = time.time()
    results, skipped = {}, {}
    is_images = len(bundle.element_shape) == 3
    test_x, test_y = bundle.arrays("test", limit=options.num_eval_images)
    name = type(model).__name__

    if has_encoder(model):
        codes_test = deterministic_codes(model, test_x)
        recon = image_metrics.reconstruction_metrics(
            _Reconstructor(model), test_x) if len(test_x) else None
        if recon:
            results["reconstruction"] = recon
        if bundle.num_classes and bundle.num_classes > 1:
            train_x, train_y = _labelled(*bundle.arrays("train", limit=options.num_probe_train))
            accuracy = classification.linear_probe_accuracy(
                deterministic_codes(model, train_x), train_y, codes_test, test_y,
                seed=options.seed)
            results["linear_probe"] = {"accuracy": accuracy, "num_train": int(len(train_x)),
                                       "num_test": int(len(test_x)),
                                       "classifier": "logistic regression on standardised codes"}
        else:
            skipped["linear_probe"] = "the data has no labels"
    else:
        for key in ("reconstruction", "linear_probe"):
            skipped[key] = f"{name} has no encoder"

    if has_sampler(model) and is_images:
        network, reason = (feature_network, None) if feature_network is not None else \
            feature_network_for(options, bundle.name, train_missing=train_missing, log=log)
        if network is None:
            skipped["frechet"] = skipped["sharpness"] = reason
        else:
            count = options.num_fd_samples
            samples = generate(model, count, options.seed)
            real = test_x[:count]
            results["frechet"] = frechet.frechet_score(network, real, samples)
            log(f"{name}: {results['frechet']['name']} = {results['frechet']['value']:.3f}")
            # Of the same samples and images, so that a reader can set it beside the FD.
            if min(real.shape[1:3]) >= 3:
                results["sharpness"] = image_metrics.sharpness_summary(samples, real)
    elif not is_images:
        skipped["frechet"] = "the data is not images"
    else:
        skipped["frechet"] = f"{name} has no sampler (sample_prior and decode)"

    if likelihood.supports_iwae(model):
        log(f"{name}: IWAE bound, K={options.iwae_samples} on {options.iwae_examples} "
            f"test examples")
        results["iwae"] = likelihood.iwae_summary(model, test_x[:options.iwae_examples],
                                                  options.iwae_samples, options.seed)
    elif likelihood.supports_own_estimate(model):
        log(f"{name}: log-likelihood estimate ({name}.log_likelihood), K={options.iwae_samples} "
            f"on {options.iwae_examples} test examples")
        results["log_likelihood"] = likelihood.log_likelihood_summary(
            model, test_x[:options.iwae_examples], options.iwae_samples, options.seed)
        skipped["iwae"] = (f"{name} has an implicit posterior (no density for the bound); "
                           f"see log_likelihood")
    else:
        skipped["iwae"] = f"{name} has no explicit decoder likelihood"

    toy_dataset = (data_config or {}).get("dataset", "ring") if bundle.name == "toy2d" else None
    if toy_dataset in ("ring", "grid") and has_sampler(model):
        from tfhybrids.data import toy2d_modes, toy2d_std
        from tfhybrids.evaluation.mode_coverage import PAPER_NUM_SAMPLES, mode_coverage

        samples = generate(model, PAPER_NUM_SAMPLES, options.seed)
        results["mode_coverage"] = mode_coverage(
            samples, toy2d_modes(data_config), toy2d_std(data_config),
            min_samples_per_mode=options.min_samples_per_mode)
    elif not is_images:
        skipped["mode_coverage"] = "only for toy2d ring or grid data and a sampler"

    if bundle.name == "dsprites" and has_encoder(model):
        from tfhybrids.data.dsprites import DSPRITES
        from tfhybrids.evaluation.disentanglement import beta_vae_score

        log(f"{name}: beta-VAE metric on {options.disentanglement_train} + "
            f"{options.disentanglement_eval} points of {options.disentanglement_pairs} pairs")
        results["disentanglement"] = beta_vae_score(
            DSPRITES, lambda images: deterministic_codes(model, images),
            num_train=options.disentanglement_train, num_eval=options.disentanglement_eval,
            pairs_per_point=options.disentanglement_pairs, seed=options.seed)
        log(f"{name}: beta-VAE disentanglement metric = "
            f"{results['disentanglement']['accuracy']:.3f}")

    if hasattr(model, "classify") and bundle.num_classes:
        results.update(_classifier_metrics(model, bundle, test_x, test_y, options))

    results["skipped"] = skipped
    results["seconds"] = round(time.time() - started, 1)
    return results


class _Reconstructor:
    """G(E(x)) through the deterministic code, callable like a model."""

    def __init__(self, model):
        self.model = model

    def __call__(self, x, training=False):
        codes = tf.convert_to_tensor(deterministic_codes(self.model, np.asarray(x)), tf.float32)
        return self.model.decode(codes, training=False)


def _labelled(x, y):
    """The examples with a label (data.labels_per_class marks the others -1)."""
    keep = y >= 0
    return x[keep], y[keep]


def _classifier_metrics(model, bundle, test_x, test_y, options):
    def probabilities(x):
        return np.concatenate([np.asarray(model.classify(x[s:s + 500]))
                               for s in range(0, len(x), 500)])

    test_probs = probabilities(test_x)
    if getattr(model, "num_clusters", None):
        train_x, train_y = _labelled(*bundle.arrays("train", limit=options.num_probe_train))
        return {"clustering": {
            "error": classification.clustering_error(probabilities(train_x), train_y,
                                                     test_probs, test_y),
            "num_clusters": int(test_probs.shape[1])}}
    return {"semi_supervised": {"error": classification.semi_supervised_error(test_probs,
                                                                              test_y)}}


def evaluate_run_dir(run_dir, options=None, log=print):
    """Evaluates a trained run and merges the results into RUN_DIR/metrics.json (atomically).

    The test losses and prior coverage (`training.runner.evaluate_run`) are recomputed, every
    other key the run wrote is kept, and the metrics of `evaluate_model` go under "evaluation".

    Returns:
        dict: the merged metrics.
    """
    import json

    from tfhybrids.data import load_data
    from tfhybrids.training.checkpoints import write_json_atomic
    from tfhybrids.training.run_dir import load_trained_model
    from tfhybrids.training.runner import evaluate_run

    model, config = load_trained_model(run_dir)
    bundle = load_data(config["data"], seed=config["train"]["seed"])
    path = os.path.join(run_dir, "metrics.json")
    metrics = {}
    if os.path.exists(path):
        with open(path) as f:
            metrics = json.load(f)
    metrics.update(evaluate_run(model, bundle))
    metrics["evaluation"] = evaluate_model(model, bundle, config["data"], options, log=log,
                                           train_missing=True)
    write_json_atomic(path, metrics)
    return metrics
