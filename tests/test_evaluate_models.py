"""`evaluate` on a tiny trained model of every model class.

Each case trains a tiny config of configs/tiny/ for one step through the library (what
`tfhybrids train` does, without the run directory) and computes every metric that
`tfhybrids evaluate` computes for it (`evaluate_model`), with small sample counts. One case
per family runs by default; the other classes run with `-m slow`, as does AVB through the CLI
end to end (train, then evaluate the run directory: the command that crashed when evaluation
asked AVB's implicit posterior for an IWAE bound). (The VAE's CLI case is in
test_evaluation_commands.py.)
"""

import json
import os

import pytest

from conftest import REPO
from tfhybrids import cli
from tfhybrids.data import load_data
from tfhybrids.evaluation.evaluate import EvaluationOptions, evaluate_model
from tfhybrids.training.config import load_config
from tfhybrids.training.data_stream import train_stream
from tfhybrids.training.runner import build_model

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

SMALL = EvaluationOptions(feature_network="none", num_probe_train=200, num_eval_images=64,
                          iwae_samples=4, iwae_examples=16, disentanglement_train=20,
                          disentanglement_eval=10, disentanglement_pairs=2)

# tiny config -> metrics evaluate must produce for it (it may produce more).
DEFAULT_CASES = {
    "aae_digits": {"reconstruction", "linear_probe"},
    "avb_four_points": {"reconstruction", "log_likelihood"},
    "gan_toy2d_ring": {"mode_coverage"},
    "bigan_toy2d_ring": {"reconstruction", "mode_coverage"},
    "avae_fashion_mnist": {"reconstruction", "linear_probe"},
    "cycle_gan_fashion_mnist": set(),
}
SLOW_CASES = {
    "vae_dsprites": {"reconstruction", "iwae", "disentanglement"},
    "label_regularized_aae_digits": {"reconstruction", "linear_probe"},
    # Encoders conditioned on the label have no encode_outputs(x): evaluate skips the
    # reconstruction and the probe for them (it says so under "skipped").
    "supervised_aae_digits": set(),
    "ssaae_digits": {"reconstruction", "linear_probe", "semi_supervised"},
    "clustering_aae_digits": {"reconstruction", "linear_probe", "clustering"},
    "dim_reduction_aae_digits": {"reconstruction", "linear_probe", "semi_supervised"},
    "dcgan_fashion_mnist": set(),
    "vae_gan_fashion_mnist": {"reconstruction", "linear_probe"},
    "conditional_vae_gan_fashion_mnist": set(),
    "alpha_gan_fashion_mnist": {"reconstruction", "linear_probe"},
    "bigan_toy2d_grid": {"reconstruction", "mode_coverage"},
    "veegan_toy2d_ring": {"reconstruction", "mode_coverage"},
}


def _needs_fashion_mnist(name):
    return "fashion_mnist" in name and not os.path.isdir(FASHION_MNIST)


def train_tiny(name, steps=1):
    """The model of configs/tiny/<name>.yaml after `steps` training steps, its data and config."""
    config = load_config(os.path.join(REPO, "configs", "tiny", f"{name}.yaml"))
    bundle = load_data(config["data"], seed=config["train"]["seed"])
    model = build_model(config, bundle.element_shape, bundle.num_classes)
    # Eagerly: tracing train_step and test_step costs seconds that one step never repays.
    model.run_eagerly = True
    model.fit(train_stream(bundle, config["train"]["seed"], shuffle_buffer=64), epochs=1,
              steps_per_epoch=steps, verbose=0)
    return model, bundle, config


def check_evaluate(name, expected):
    if _needs_fashion_mnist(name):
        pytest.skip("needs the Debian package dataset-fashion-mnist")
    model, bundle, config = train_tiny(name)
    results = evaluate_model(model, bundle, config["data"], SMALL, log=lambda _: None)
    produced = set(results) - {"skipped", "seconds"}
    assert expected <= produced, (produced, results["skipped"])
    assert "frechet" in results["skipped"]  # feature network "none"
    if "mode_coverage" in expected:
        coverage = results["mode_coverage"]
        assert coverage["num_modes"] == 8 if "ring" in name else 25
        assert coverage["min_samples_per_mode"] == 1 and coverage["num_samples"] == 2500
    if "reconstruction" in expected:
        assert results["reconstruction"]["mse"] >= 0
    if "log_likelihood" in expected:
        # AVB: Bernoulli pixels, so log p(x) <= 0; its implicit posterior has no IWAE bound.
        assert results["log_likelihood"]["log_likelihood"] < 0
        assert "implicit posterior" in results["skipped"]["iwae"] and "iwae" not in results
    return results


@pytest.mark.parametrize("name", sorted(DEFAULT_CASES))
def test_evaluate_runs_on_a_tiny_trained_model_of_each_family(name):
    check_evaluate(name, DEFAULT_CASES[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_CASES))
def test_evaluate_runs_on_a_tiny_trained_model_of_every_other_class(name):
    results = check_evaluate(name, SLOW_CASES[name])
    if name == "vae_dsprites":
        assert results["iwae"]["log_likelihood_bound"] < 0


def test_every_model_class_has_an_evaluate_case():
    from tfhybrids.models import MODELS

    covered = {"VAE"}  # test_evaluation_commands.py
    for name in {**DEFAULT_CASES, **SLOW_CASES}:
        with open(os.path.join(REPO, "configs", "tiny", f"{name}.yaml")) as f:
            covered.add(next(line.split(":")[1].strip() for line in f
                             if line.strip().startswith("class:")))
    assert set(MODELS) - covered == set()


@pytest.mark.slow
def test_evaluate_cli_on_a_tiny_trained_avb_run_reports_its_likelihood(tmp_path):
    workdir = str(tmp_path / "avb")
    config = os.path.join(REPO, "configs", "tiny", "avb_four_points.yaml")
    fast = ["--set", "train.export=false", "--set", "train.image_every=0",
            "--set", "train.epochs=1", "--set", "train.steps_per_epoch=2"]
    assert cli.main(["train", config, "--workdir", workdir, *fast]) == 0
    assert cli.main(["evaluate", workdir, "--feature-network", "none"]) == 0
    with open(os.path.join(workdir, "metrics.json")) as f:
        evaluation = json.load(f)["evaluation"]
    estimate = evaluation["log_likelihood"]
    # Bernoulli pixels: log p(x) <= 0; four one-hot 2x2 images, so at best log(1/4).
    assert estimate["log_likelihood"] < 0 and estimate["num_examples"] == 64
    assert estimate["estimator"].startswith("AVB.log_likelihood")
    assert "implicit posterior" in evaluation["skipped"]["iwae"]
    assert "iwae" not in evaluation
