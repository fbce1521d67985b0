"""`tfhybrids bench`: the smoke suite end to end, and the table, CSV and suite discovery."""

import csv
import os
import shutil

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
    # A CPU budget far below one epoch of 1000 steps: each run stops within its first epoch.
    code = cli.main(["bench", "smoke", "--workdir", out, "--cpu-minutes", "0.002",
                     "--feature-dir", feature_dir, "--set", "train.steps_per_epoch=1000"])
    return code, out, feature_dir


def test_smoke_suite_writes_table_csv_and_plot(smoke):
    code, out, _ = smoke
    assert code == 0
    with open(os.path.join(out, "results.md")) as f:
        table = f.read()
    assert "| VAE | vae_digits | 1 |" in table and "| AAE | aae_digits | 1 |" in table
    assert "FD-digits-classifier ↓" in table and "FID" not in table.split("\n\n")[0]
    assert "budget 0.002 CPU-minutes of training" in table and "CPU min" in table
    assert "real train images vs the test images" in table  # the score's floor
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [r["model"] for r in rows] == ["VAE", "AAE"]
    for row in rows:
        # The budget stopped the run, which still finished: evaluated and saved.
        assert row["epochs"] == "1" and 1 <= int(row["steps"]) < 1000
        assert float(row["train_cpu_minutes"]) > 0
        assert float(row["mse"]) > 0 and float(row["fd"]) >= 0
        assert row["fd_name"] == "FD-digits-classifier"
    assert rows[0]["iwae_bound"] and not rows[1]["iwae_bound"]  # only the VAE has a likelihood
    assert os.path.getsize(os.path.join(out, "tradeoff.png")) > 0
    # Every run is an ordinary run directory.
    assert os.path.exists(os.path.join(out, "vae_digits", "seed0", "model.keras"))


@pytest.mark.slow  # a second smoke suite: its evaluations cost more than the default run affords
def test_rerun_reuses_finished_runs_and_retrains_a_killed_one(smoke, tmp_path, capsys):
    _, out, feature_dir = smoke
    copy = str(tmp_path / "bench")
    shutil.copytree(out, copy)
    # A run killed during training has neither its budget marker nor its model.
    for name in ("bench.json", "model.keras"):
        os.remove(os.path.join(copy, "aae_digits", "seed0", name))
    vae_model = os.path.join(copy, "vae_digits", "seed0", "model.keras")
    before = os.path.getmtime(vae_model)
    capsys.readouterr()
    code = cli.main(["bench", "smoke", "--workdir", copy, "--cpu-minutes", "0.002",
                     "--feature-dir", feature_dir,
                     "--set", "train.steps_per_epoch=1000"])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"reusing the finished 0.002 CPU-min run in {os.path.dirname(vae_model)}" in printed
    assert "training AAE (aae_digits), seed 0" in printed
    assert os.path.getmtime(vae_model) == before
    with open(os.path.join(copy, "results.csv")) as f:
        assert [r["model"] for r in csv.DictReader(f)] == ["VAE", "AAE"]


def _fake_classifier_training(calls):
    """Stands in for the minutes of training a domain classifier: saves an untrained one."""
    def train(dataset, feature_dir=None, log=print, **kwargs):
        calls.append(dataset)
        build_domain_classifier((28, 28, 1), 10).save(classifier_paths(dataset, feature_dir)[0])
        log(f"{dataset} domain classifier: test accuracy 0.1000 after 6 epochs (0 s)")
        return {"test_accuracy": 0.1}
    return train


def test_bench_trains_a_missing_fashion_mnist_classifier_on_first_use(tmp_path, monkeypatch):
    from tfhybrids.evaluation import evaluate

    calls, lines = [], []
    monkeypatch.setattr(evaluate, "train_domain_classifier", _fake_classifier_training(calls))
    options = bench.EvaluationOptions(feature_dir=str(tmp_path))
    # `tfhybrids evaluate` leaves Fashion-MNIST's minutes of training to the script ...
    network, reason = evaluate.feature_network_for(options, "fashion_mnist", train_missing=True)
    assert network is None and "scripts/train_domain_classifier.py" in reason and not calls
    # ... while bench, which trains for many minutes anyway, trains it with a progress line.
    network, reason = bench.suite_feature_network(options, "fashion_mnist", log=lines.append)
    assert reason is None and calls == ["fashion_mnist"]
    assert network.score_name == "FD-fashion_mnist-classifier"
    assert any(line.startswith("First use of FD-fashion_mnist-classifier") for line in lines)
    assert any("test accuracy 0.1000" in line for line in lines)
    bench.suite_feature_network(options, "fashion_mnist", log=lines.append)
    assert calls == ["fashion_mnist"]  # cached: trained once


def test_models_option_narrows_the_fashion_mnist_suite(tmp_path, capsys):
    for name in bench.FASHION_MNIST_MODELS:
        (tmp_path / f"{name}_fashion_mnist.yaml").write_text("model: {class: VAE}\n")
    paths = bench.suite_configs("fashion_mnist", str(tmp_path),
                                models=["vae", "dcgan", "vae_gan", "bigan", "avae"])
    # The order given (the AVAE paper's table), not the alphabetical one.
    assert [os.path.basename(p) for p in paths] == [
        f"{m}_fashion_mnist.yaml" for m in ("vae", "dcgan", "vae_gan", "bigan", "avae")]
    for wrong in (["vae", "gan"], ["vae", "vae"], []):
        with pytest.raises(ConfigError, match="--models takes distinct names"):
            bench.suite_configs("fashion_mnist", str(tmp_path), models=wrong)
    with pytest.raises(ConfigError, match="only chooses among the fashion_mnist"):
        bench.suite_configs("smoke", models=["vae"])
    assert cli.main(["bench", "fashion_mnist", "--models", "vae,gan", "--epochs", "1",
                     "--workdir", str(tmp_path / "out"), "--config-dir", str(tmp_path)]) == 2
    assert "--models takes distinct names" in capsys.readouterr().err


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
         "train_cpu_minutes": 1.9, "mse": 0.01, "fd": 10.0, "fd_name": "FD-x-classifier"},
        {"config": "vae_x", "model": "VAE", "seed": 1, "epochs": 2, "train_minutes": 1.0,
         "train_cpu_minutes": 2.1, "mse": 0.03, "fd": 20.0, "fd_name": "FD-x-classifier"},
        {"config": "gan_x", "model": "GAN", "seed": 0, "epochs": 2, "train_minutes": 2.0,
         "train_cpu_minutes": 4.0, "fd": 5.0, "fd_name": "FD-x-classifier"},
    ]
    rows[0].update(laplacian_variance_ratio=0.5, gradient_energy_ratio=0.6,
                   real_laplacian_variance=0.0812, real_gradient_energy=0.0334)
    rows[1].update(laplacian_variance_ratio=0.7, gradient_energy_ratio=0.8,
                   real_laplacian_variance=0.0812, real_gradient_energy=0.0334)
    table = bench.markdown_table("fashion_mnist", rows, "2 epochs")
    assert ("| VAE | vae_x | 2 | 1.0 | 2.00 ± 0.10 | 0.0200 ± 0.0100 | 15.00 ± 5.00 | "
            "0.60 ± 0.10 | 0.70 ± 0.10 |") in table
    assert "Laplacian variance 0.0812, gradient energy 0.0334" in table
    assert "| GAN | gan_x | 2 | 2.0 | 4.00 | — | 5.00 | — | — |" in table
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


def _tiny_fit(budget, steps_per_epoch=20, epochs=3):
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 2), "float32")
    dataset = __import__("tensorflow").data.Dataset.from_tensor_slices((x, x[:, :1])).batch(
        4).repeat()
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=[budget],
              verbose=0)
    return budget


def test_cpu_budget_stops_fit_on_process_cpu_time(monkeypatch):
    # An exhausted budget stops fit after the first batch, not after 3 x 20.
    budget = _tiny_fit(bench._TimeBudget.make(0.0, "cpu"))
    assert budget.steps_run == 1 and budget.epochs_run == 1
    # The CPU budget reads the process CPU clock (a fake one advancing 1 s per reading
    # here), not the wall clock: 3 s of it last exactly 3 batches.
    ticks = iter(range(10**6))
    monkeypatch.setitem(bench.CLOCKS, "cpu", lambda: float(next(ticks)))
    budget = _tiny_fit(bench._TimeBudget.make(3.0, "cpu"))
    assert budget.steps_run == 3 and budget.seconds_used == 3.0
    assert bench.CLOCKS["wall"] is __import__("time").time


@pytest.mark.slow
def test_several_seeds_give_mean_and_std_rows(tmp_path):
    out = str(tmp_path / "bench")
    code = cli.main(["bench", "smoke", "--workdir", out, "--epochs", "1", "--seeds", "0,1",
                     "--feature-network", "none", "--set", "train.steps_per_epoch=2"])
    assert code == 0
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [(r["model"], r["seed"]) for r in rows] == [("VAE", "0"), ("VAE", "1"),
                                                       ("AAE", "0"), ("AAE", "1")]
    assert all(float(r["train_cpu_minutes"]) > 0 for r in rows)
    with open(os.path.join(out, "results.md")) as f:
        table = f.read()
    assert "budget 1 epochs" in table
    vae_line = next(line for line in table.splitlines() if line.startswith("| VAE |"))
    assert vae_line.count("±") >= 3  # CPU minutes and each metric: mean ± std over seeds


def test_out_is_a_deprecated_alias_of_workdir(tmp_path, capsys):
    out = str(tmp_path / "bench")
    # (--epochs 0 stops the command after the option has been read, before any training.)
    assert cli.main(["bench", "smoke", "--out", out, "--epochs", "0"]) == 2
    err = capsys.readouterr().err
    assert "--out is deprecated" in err and "--workdir" in err


def test_budgets_and_workers_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="--minutes and --cpu-minutes"):
        bench.run_suite("smoke", str(tmp_path), minutes=1.0, cpu_minutes=1.0)
    with pytest.raises(ConfigError, match="--cpu-minutes must be positive"):
        bench.run_suite("smoke", str(tmp_path), cpu_minutes=-1.0)
    with pytest.raises(ConfigError, match="--workers"):
        bench.run_suite("smoke", str(tmp_path), epochs=1, workers=0)
    with pytest.raises(ConfigError, match="--threads"):
        bench.run_suite("smoke", str(tmp_path), epochs=1, threads=1)


@pytest.mark.slow
def test_parallel_workers_each_get_a_fixed_thread_count(tmp_path):
    out = str(tmp_path / "bench")
    rows, table = bench.run_suite("smoke", out, cpu_minutes=0.002, seeds=(0, 1),
                                  overrides=["train.steps_per_epoch=1000"],
                                  options=bench.EvaluationOptions(feature_network="none",
                                                                  **bench.SMOKE_OPTIONS),
                                  workers=2, threads=1)
    assert [(r["model"], r["seed"]) for r in rows] == [("VAE", 0), ("VAE", 1), ("AAE", 0),
                                                       ("AAE", 1)]
    assert all("error" not in r and r["train_cpu_minutes"] > 0 for r in rows)
    assert all(r["threads"] == 1 for r in rows)
    assert "CPU min" in table


def test_toy2d_refuses_the_budget_flags_it_would_ignore(capsys):
    assert cli.main(["bench", "toy2d", "--cpu-minutes", "1"]) == 2
    err = capsys.readouterr().err
    assert "benchmarks/mode_collapse.py" in err and "--cpu-minutes" in err and "'--'" in err


@pytest.mark.slow  # ~12 s: two tiny runs, their evaluation and their history
def test_a_killed_cpu_budget_run_resumes_with_the_budget_left(tmp_path, monkeypatch):
    # A fake CPU clock (1 s per reading: one per batch) makes the 6-s budget exactly 6 steps
    # of 2 per epoch. The first attempt dies after its second checkpoint; repeated, the run
    # resumes at epoch 2 with 2 s left and ends where an uninterrupted run ends.
    from tfhybrids.evaluation.evaluate import EvaluationOptions
    from tfhybrids.evaluation.history import HISTORY_FILE
    from tfhybrids.training.checkpoints import CheckpointStore

    ticks = iter(range(10**6))
    monkeypatch.setitem(bench.CLOCKS, "cpu", lambda: float(next(ticks)))
    options = EvaluationOptions(**bench.SMOKE_OPTIONS, disentanglement_train=20,
                                disentanglement_eval=10, disentanglement_pairs=2)
    config = os.path.join(bench.repository_root(), "configs", "tiny", "vae_dsprites.yaml")
    save = CheckpointStore.save

    def dies_after_the_second_checkpoint(self, model, epoch, extra=None):
        save(self, model, epoch, extra)
        if epoch == 2:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(CheckpointStore, "save", dies_after_the_second_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        bench.run_model(config, str(tmp_path), 0, cpu_minutes=0.1, options=options)
    monkeypatch.setattr(CheckpointStore, "save", save)
    messages = []
    row = bench.run_model(config, str(tmp_path), 0, cpu_minutes=0.1, options=options,
                          log=messages.append)
    assert any("resuming" in m and "at epoch 2 (4 steps" in m for m in messages)
    assert row["steps"] == 6 and row["epochs"] == 3
    points = bench._read_json(os.path.join(tmp_path, "vae_dsprites", "seed0",
                                           HISTORY_FILE))["points"]
    assert [(p["epoch"], p["steps"]) for p in points] == [(1, 2), (2, 4), (3, 6)]
    assert all(0.0 <= p["disentanglement"] <= 1.0 for p in points)
    assert points[-1]["disentanglement"] == row["disentanglement"]
