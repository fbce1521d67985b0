"""`tfhybrids evaluate` end to end on a tiny trained VAE, and its errors."""

import json
import os

import pytest

from conftest import REPO
from tfhybrids import cli
from tfhybrids.evaluation import feature_networks


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("evaluate") / "vae")
    assert cli.main(["train", os.path.join(REPO, "configs", "tiny", "vae_digits.yaml"),
                     "--workdir", workdir, "--set", "train.export=false"]) == 0
    return workdir


def test_evaluate_merges_every_metric_into_metrics_json(vae_run, tmp_path, capsys,
                                                        monkeypatch):
    # As on a fresh machine, there is no digits classifier yet: evaluate trains it on first
    # use (one epoch instead of 40 here, to keep the test short) and caches it.
    monkeypatch.setitem(feature_networks.DEFAULT_EPOCHS, "digits", 1)
    features = tmp_path / "features"
    with open(os.path.join(vae_run, "metrics.json")) as f:
        trained = json.load(f)["test"]
    assert cli.main(["evaluate", vae_run, "--feature-dir", str(features), "--fd-samples",
                     "100"]) == 0
    out = capsys.readouterr().out
    assert "First use of FD-digits-classifier: training the digits domain classifier" in out
    assert "digits domain classifier: test accuracy" in out
    with open(features / "digits_classifier.json") as f:
        assert 0 < json.load(f)["test_accuracy"] <= 1
    assert "frechet: name=FD-digits-classifier" in out and "skipped" not in out
    with open(os.path.join(vae_run, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["model_class"] == "VAE" and set(metrics["test"]) == {"loss", "recon_loss",
                                                                        "kl_loss"}
    # One figure: evaluate's test losses are the training summary's (fixed evaluation noise,
    # though the VAE's losses depend on sampled codes).
    for name, value in trained.items():
        assert metrics["test"][name] == pytest.approx(value, rel=1e-5), name
    evaluation = metrics["evaluation"]
    assert 0 < evaluation["reconstruction"]["mse"] < 1
    assert 0 < evaluation["reconstruction"]["ssim"] <= 1
    assert evaluation["frechet"]["name"] == "FD-digits-classifier"
    assert evaluation["frechet"]["value"] >= 0 and evaluation["frechet"]["num_generated"] == 100
    assert 0 <= evaluation["linear_probe"]["accuracy"] <= 1
    assert evaluation["iwae"]["log_likelihood_bound"] < 0
    assert "mode_coverage" not in evaluation


def test_a_missing_fashion_mnist_classifier_skips_the_frechet_distance_with_the_fix(tmp_path):
    from tfhybrids.evaluation.evaluate import EvaluationOptions, feature_network_for

    network, reason = feature_network_for(EvaluationOptions(feature_dir=str(tmp_path)),
                                          "fashion_mnist", train_missing=True)
    assert network is None
    assert "scripts/train_domain_classifier.py --dataset fashion_mnist" in reason
    assert not os.listdir(tmp_path)


def test_evaluate_can_skip_the_frechet_distance(vae_run):
    assert cli.main(["evaluate", vae_run, "--feature-network", "none"]) == 0
    with open(os.path.join(vae_run, "metrics.json")) as f:
        evaluation = json.load(f)["evaluation"]
    assert "frechet" not in evaluation and "frechet" in evaluation["skipped"]


def test_evaluate_refuses_a_directory_that_is_not_a_run(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path)]) == 2
    assert "not a tfhybrids run directory" in capsys.readouterr().err
