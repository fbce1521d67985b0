"""`tfhybrids evaluate` end to end on a tiny trained VAE, and its errors."""

import json
import os

import pytest

from conftest import REPO
from tfhybrids import cli
from tfhybrids.evaluation.feature_networks import build_domain_classifier, classifier_paths


@pytest.fixture(scope="module")
def feature_dir(tmp_path_factory):
    # An untrained classifier is enough to exercise the loading and embedding path.
    directory = str(tmp_path_factory.mktemp("features"))
    build_domain_classifier((28, 28, 1), 10).save(classifier_paths("digits", directory)[0])
    return directory


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("evaluate") / "vae")
    assert cli.main(["train", os.path.join(REPO, "configs", "tiny", "vae_digits.yaml"),
                     "--workdir", workdir, "--set", "train.export=false"]) == 0
    return workdir


def test_evaluate_merges_every_metric_into_metrics_json(vae_run, feature_dir):
    assert cli.main(["evaluate", vae_run, "--feature-dir", feature_dir, "--fd-samples",
                     "100"]) == 0
    with open(os.path.join(vae_run, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["model_class"] == "VAE" and set(metrics["test"]) == {"loss", "recon_loss",
                                                                        "kl_loss"}
    evaluation = metrics["evaluation"]
    assert 0 < evaluation["reconstruction"]["mse"] < 1
    assert 0 < evaluation["reconstruction"]["ssim"] <= 1
    assert evaluation["frechet"]["name"] == "FD-digits-classifier"
    assert evaluation["frechet"]["value"] >= 0 and evaluation["frechet"]["num_generated"] == 100
    assert 0 <= evaluation["linear_probe"]["accuracy"] <= 1
    assert evaluation["iwae"]["log_likelihood_bound"] < 0
    assert "mode_coverage" not in evaluation


def test_evaluate_without_classifier_names_the_script(vae_run, tmp_path, capsys):
    assert cli.main(["evaluate", vae_run, "--feature-dir", str(tmp_path)]) == 2
    assert "scripts/train_domain_classifier.py" in capsys.readouterr().err


def test_evaluate_can_skip_the_frechet_distance(vae_run):
    assert cli.main(["evaluate", vae_run, "--feature-network", "none"]) == 0
    with open(os.path.join(vae_run, "metrics.json")) as f:
        evaluation = json.load(f)["evaluation"]
    assert "frechet" not in evaluation and "frechet" in evaluation["skipped"]


def test_evaluate_refuses_a_directory_that_is_not_a_run(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path)]) == 2
    assert "not a tfhybrids run directory" in capsys.readouterr().err
