"""`tfhybrids bench`: the smoke suite end to end, and the table, CSV and suite discovery."""

import csv
import os

import pytest

from tfhybrids import cli
from tfhybrids.errors import ConfigError
from tfhybrids.evaluation import bench
from tfhybrids.evaluation.feature_networks import build_domain_classifier, classifier_paths


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    feature_dir = str(tmp_path_factory.mktemp("features"))
    build_domain_classifier((28, 28, 1), 10).save(classifier_paths("digits", feature_dir)[0])
    out = str(tmp_path_factory.mktemp("bench"))
    code = cli.main(["bench", "smoke", "--out", out, "--epochs", "1", "--feature-dir",
                     feature_dir, "--set", "train.steps_per_epoch=2"])
    return code, out


def test_smoke_suite_writes_table_csv_and_plot(smoke):
    code, out = smoke
    assert code == 0
    with open(os.path.join(out, "results.md")) as f:
        table = f.read()
    assert "| VAE | vae_digits | 1 |" in table and "| AAE | aae_digits | 1 |" in table
    assert "FD-digits-classifier ↓" in table and "FID" not in table.split("\n\n")[0]
    assert "budget 1 epochs" in table
    assert "real train images vs the test images" in table  # the score's floor
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [r["model"] for r in rows] == ["VAE", "AAE"]
    for row in rows:
        assert float(row["mse"]) > 0 and float(row["fd"]) >= 0
        assert row["fd_name"] == "FD-digits-classifier"
    assert rows[0]["iwae_bound"] and not rows[1]["iwae_bound"]  # only the VAE has a likelihood
    assert os.path.getsize(os.path.join(out, "tradeoff.png")) > 0
    # Every run is an ordinary run directory.
    assert os.path.exists(os.path.join(out, "vae_digits", "seed0", "model.keras"))


def test_missing_classifier_fails_before_training(tmp_path, capsys):
    out = str(tmp_path / "bench")
    assert cli.main(["bench", "smoke", "--out", out, "--feature-dir", str(tmp_path)]) == 2
    assert "scripts/train_domain_classifier.py" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(out, "vae_digits"))


def test_fashion_mnist_suite_discovers_configs(tmp_path):
    for name in ("vae", "dcgan", "avae", "label_regularized_aae", "cycle_gan"):
        (tmp_path / f"{name}_fashion_mnist.yaml").write_text("model: {class: VAE}\n")
    (tmp_path / "vae_digits.yaml").write_text("model: {class: VAE}\n")
    names = [os.path.basename(p) for p in bench.suite_configs("fashion_mnist", str(tmp_path))]
    # Only the image hybrids of the suite: not the AAE family's or CycleGAN's configs.
    assert names == ["avae_fashion_mnist.yaml", "dcgan_fashion_mnist.yaml",
                     "vae_fashion_mnist.yaml"]
    with pytest.raises(ConfigError, match="missing config"):
        bench.suite_configs("dsprites", str(tmp_path))


def test_table_averages_seeds_and_marks_missing_metrics():
    rows = [
        {"config": "vae_x", "model": "VAE", "seed": 0, "epochs": 2, "train_minutes": 1.0,
         "mse": 0.01, "fd": 10.0, "fd_name": "FD-x-classifier"},
        {"config": "vae_x", "model": "VAE", "seed": 1, "epochs": 2, "train_minutes": 1.0,
         "mse": 0.03, "fd": 20.0, "fd_name": "FD-x-classifier"},
        {"config": "gan_x", "model": "GAN", "seed": 0, "epochs": 2, "train_minutes": 2.0,
         "fd": 5.0, "fd_name": "FD-x-classifier"},
    ]
    table = bench.markdown_table("fashion_mnist", rows, "2 epochs")
    assert "| VAE | vae_x | 2 | 1.0 | 0.0200 ± 0.0100 | 15.00 ± 5.00 |" in table
    assert "| GAN | gan_x | 2 | 2.0 | — | 5.00 |" in table
    assert "not an FID" in table


def test_budget_must_be_one_of_epochs_or_minutes(tmp_path):
    with pytest.raises(ConfigError):
        bench.run_suite("smoke", str(tmp_path), epochs=1, minutes=1.0)
    with pytest.raises(ConfigError):
        bench.run_suite("smoke", str(tmp_path), minutes=0)


def test_added_config_must_exist_and_not_clash(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        bench.run_suite("smoke", str(tmp_path), epochs=1,
                        extra_configs=[str(tmp_path / "missing.yaml")])
    clash = tmp_path / "vae_digits.yaml"
    clash.write_text("model: {class: VAE}\n")
    with pytest.raises(ConfigError, match="already has"):
        bench.run_suite("smoke", str(tmp_path), epochs=1, extra_configs=[str(clash)])


def test_a_failed_model_is_a_row_not_a_crash():
    rows = [
        {"config": "vae_x", "model": "VAE", "seed": 0, "epochs": 2, "train_minutes": 1.0,
         "mse": 0.01},
        {"config": "avae_x", "model": "AVAE", "seed": 0, "epochs": 0,
         "train_minutes": float("nan"), "error": "ValueError: broken"},
    ]
    table = bench.markdown_table("fashion_mnist", rows, "1 epochs")
    assert "| AVAE | avae_x | failed | — | — |" in table
    assert "avae_x seed 0 failed: ValueError: broken" in table
