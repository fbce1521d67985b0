"""End to end: `tfhybrids train` on a tiny config writes everything a run promises, resumes,
exports a SavedModel that TF Serving's loader path can run, and fails cleanly on bad input."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from conftest import REPO
from tfhybrids import cli

TINY_AAE = os.path.join(REPO, "configs", "tiny", "aae_digits.yaml")


def _tensor_tags(directory):
    tags = set()
    for name in os.listdir(directory):
        if name.startswith("events.out.tfevents"):
            accumulator = event_accumulator.EventAccumulator(
                os.path.join(directory, name), size_guidance={"tensors": 0})
            accumulator.Reload()
            tags |= set(accumulator.Tags()["tensors"])
    return tags


def _steps(directory, tag):
    steps = []
    for name in sorted(os.listdir(directory)):
        accumulator = event_accumulator.EventAccumulator(
            os.path.join(directory, name), size_guidance={"tensors": 0})
        accumulator.Reload()
        if tag in accumulator.Tags()["tensors"]:
            steps += [e.step for e in accumulator.Tensors(tag)]
    return steps


def _last_scalar(directory, tag):
    values = []
    for name in sorted(os.listdir(directory)):
        accumulator = event_accumulator.EventAccumulator(
            os.path.join(directory, name), size_guidance={"tensors": 0})
        accumulator.Reload()
        if tag in accumulator.Tags()["tensors"]:
            values.extend(accumulator.Tensors(tag))
    return float(tf.make_ndarray(values[-1].tensor_proto)), [e.step for e in values]


@pytest.fixture(scope="module")
def aae_run(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("run") / "aae")
    assert cli.main(["train", TINY_AAE, "--workdir", workdir]) == 0
    return workdir


def test_train_writes_every_output(aae_run):
    for name in ("config.yaml", "run.json", "model.keras", "metrics.json", "samples.png",
                 "reconstructions.png", "latent.png", "checkpoints/state.json",
                 "export/aae/1/saved_model.pb"):
        assert os.path.exists(os.path.join(aae_run, name)), name
    with open(os.path.join(aae_run, "metrics.json")) as f:
        metrics = json.load(f)
    assert set(metrics["test"]) == {"recon_loss", "d_loss", "g_loss"}
    assert all(np.isfinite(v) for v in metrics["test"].values())
    coverage = metrics["prior_coverage"]
    assert coverage["num_components"] == 10 and coverage["num_codes"] == 360
    assert abs(sum(coverage["shares"]) - 1.0) < 1e-3
    assert coverage["components_filled"] == sum(
        share >= coverage["filled_threshold"] for share in coverage["shares"])
    # The two-sample check: test codes vs prior samples, beside two prior samples' null.
    match = metrics["prior_match"]
    assert match["num_samples"] == 360 and match["num_null_draws"] == 20
    assert match["null_mean"] < match["null_p95"] <= match["null_max"]
    with open(os.path.join(aae_run, "checkpoints", "state.json")) as f:
        assert json.load(f)["epoch"] == 2


def test_tensorboard_has_losses_and_pictures(aae_run):
    logs = os.path.join(aae_run, "logs")
    train_tags = _tensor_tags(os.path.join(logs, "train"))
    assert {"epoch_recon_loss", "epoch_d_loss", "epoch_g_loss"} <= train_tags
    assert {"epoch_recon_loss", "epoch_d_loss", "epoch_g_loss"} <= _tensor_tags(
        os.path.join(logs, "validation"))
    assert {"samples", "reconstructions", "latent"} <= _tensor_tags(os.path.join(logs, "images"))
    value, steps = _last_scalar(os.path.join(logs, "train"), "epoch_recon_loss")
    assert np.isfinite(value) and steps == [0, 1]
    # An epoch's pictures sit at the step of its losses.
    for tag in ("samples", "reconstructions", "latent"):
        assert _steps(os.path.join(logs, "images"), tag) == steps, tag


def test_rerun_resumes_from_the_last_checkpoint(aae_run, capsys):
    assert cli.main(["train", TINY_AAE, "--workdir", aae_run, "--set", "train.epochs=3"]) == 0
    out = capsys.readouterr().out
    assert "Resuming AAE from epoch 2" in out
    # The end-of-run summary: shares per component, filled count, MMD^2 beside its null.
    assert "components filled (holding >= 0.050 of the codes each); shares" in out
    assert "Codes vs prior: MMD^2" in out and "95th percentile" in out
    with open(os.path.join(aae_run, "checkpoints", "state.json")) as f:
        assert json.load(f)["epoch"] == 3
    # Only the third epoch was trained: the scalar logs gain exactly one step.
    _, steps = _last_scalar(os.path.join(aae_run, "logs", "train"), "epoch_recon_loss")
    assert steps == [0, 1, 2]
    # Finishing again exported a second version beside the first.
    assert os.path.isdir(os.path.join(aae_run, "export", "aae", "2"))


@pytest.mark.slow  # the default run stays under 10 minutes
def test_export_command_adds_a_version_and_serving_loaders_run_it(aae_run, tmp_path):
    base = str(tmp_path / "serving")
    assert cli.main(["export", aae_run, "--base", base]) == 0
    assert cli.main(["export", aae_run, "--base", base]) == 0
    assert sorted(os.listdir(os.path.join(base, "aae"))) == ["1", "2"]
    export = os.path.join(base, "aae", "2")

    saved_model_cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    shown = subprocess.run([saved_model_cli, "show", "--dir", export, "--all"],
                           capture_output=True, text=True, check=True).stdout
    for signature in ("serving_default", "encode", "decode", "generate", "reconstruct"):
        assert f"signature_def['{signature}']" in shown

    images = np.random.default_rng(0).uniform(0, 1, (3, 8, 8, 1)).astype("float32")
    np.save(tmp_path / "images.npy", images)
    run = subprocess.run(
        [saved_model_cli, "run", "--dir", export, "--tag_set", "serve",
         "--signature_def", "encode", "--inputs", f"images={tmp_path / 'images.npy'}",
         "--outdir", str(tmp_path / "out")],
        capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    served_codes = np.load(tmp_path / "out" / "code.npy")
    assert served_codes.shape == (3, 2)
    # The signature refuses NaN in the graph: TF Serving answers INVALID_ARGUMENT.
    np.save(tmp_path / "nan_codes.npy", np.array([[np.nan, 0.0], [1.0, 2.0]], np.float32))
    refused = subprocess.run(
        [saved_model_cli, "run", "--dir", export, "--tag_set", "serve",
         "--signature_def", "decode", "--inputs", f"codes={tmp_path / 'nan_codes.npy'}",
         "--outdir", str(tmp_path / "refused")],
        capture_output=True, text=True)
    assert refused.returncode != 0
    assert "InvalidArgumentError" in refused.stderr
    assert "input 'codes' holds NaN or Inf values" in refused.stderr
    assert not os.path.exists(tmp_path / "refused" / "images.npy")

    # A fresh process that never imports tfhybrids gets the same codes as the Keras model.
    script = textwrap.dedent(f"""
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({export!r})
        images = np.load({str(tmp_path / 'images.npy')!r})
        out = loaded.signatures["encode"](images=tf.constant(images))
        np.save({str(tmp_path / 'fresh.npy')!r}, out["code"].numpy())
        gen = loaded.signatures["generate"](seeds=tf.constant([1, 2, 1], tf.int64))
        assert gen["images"].shape == (3, 8, 8, 1), gen["images"].shape
        np.testing.assert_array_equal(gen["images"][0], gen["images"][2])
        assert not np.allclose(gen["images"][0], gen["images"][1])
        for bad in (np.nan, np.inf):
            try:
                loaded.signatures["decode"](codes=tf.constant([[bad, 0.0]], tf.float32))
            except tf.errors.InvalidArgumentError as error:
                assert "input 'codes' holds NaN or Inf values" in error.message, error.message
            else:
                raise AssertionError(f"decode accepted {{bad}}")
        all_nan = np.full(images.shape, np.nan, np.float32)
        try:
            loaded.signatures["encode"](images=tf.constant(all_nan))
        except tf.errors.InvalidArgumentError as error:
            assert "input 'images' holds NaN or Inf values" in error.message, error.message
        else:
            raise AssertionError("encode accepted all-NaN images")
    """)
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    from tfhybrids.training.run_dir import load_trained_model

    model, _ = load_trained_model(aae_run)
    expected = model.encode_outputs(images * 2.0 - 1.0)["code"]
    np.testing.assert_allclose(np.load(tmp_path / "fresh.npy"), expected, atol=1e-5)
    np.testing.assert_allclose(served_codes, expected, atol=1e-5)


def test_rerunning_a_complete_run_does_nothing_without_retrain(aae_run, capsys):
    # After the resume test the run has 3 epochs: asking for 3 again finds it complete.
    versions = sorted(os.listdir(os.path.join(aae_run, "export", "aae")))
    assert cli.main(["train", TINY_AAE, "--workdir", aae_run, "--set", "train.epochs=3"]) == 0
    out = capsys.readouterr().out
    assert "is complete" in out and "--retrain" in out
    assert sorted(os.listdir(os.path.join(aae_run, "export", "aae"))) == versions


def test_the_summary_test_losses_are_the_last_validation_losses(aae_run):
    # One figure, not three: validation, metrics.json and `evaluate` use the same fixed
    # evaluation noise (the adversarial losses depend on prior samples).
    with open(os.path.join(aae_run, "metrics.json")) as f:
        test = json.load(f)["test"]
    value, _ = _last_scalar(os.path.join(aae_run, "logs", "validation"), "epoch_d_loss")
    np.testing.assert_allclose(test["d_loss"], value, rtol=1e-5)
    # (That `evaluate` recomputes the same figures is checked in test_evaluation_commands.py.)


def test_workdir_of_another_model_is_refused(aae_run, capsys):
    vae_config = os.path.join(REPO, "configs", "tiny", "vae_digits.yaml")
    assert cli.main(["train", vae_config, "--workdir", aae_run]) == 2
    err = capsys.readouterr().err
    assert "holds a run of AAE, not VAE" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("override, message", [
    ("model.latnet_dim=2", "unknown key 'latnet_dim'. Did you mean 'latent_dim'?"),
    ("model.class=VAEE", "Did you mean 'VAE'?"),
    ("data.name=mnits", "unknown value 'mnits'"),
    ("prior.name=gausian", "Did you mean 'gaussian'?"),
    ("train.epochs=-1", "train.epochs: must be at least 1"),
    ("train.strategy=mirored", "Did you mean 'mirrored'?"),
    ("optimizers.autoencoder_optimizer.learning_rate=fast", "expected a number"),
    ("model.encoder.type=transformer", "model.encoder.type: unknown value 'transformer'"),
    ("model.encoder.hidden_units=[8,x]", "model.encoder.hidden_units[1]: expected an integer"),
    ("model.discriminator.dropout=2", "model.discriminator.dropout: must be at most"),
    ("prior.num_components=0", "prior.num_components: must be at least 1"),
    ("data.bogus=1", "data: unknown key 'bogus'"),
])
def test_bad_config_gives_one_line_error_and_exit_code_2(override, message, capsys, tmp_path):
    code = cli.main(["train", TINY_AAE, "--workdir", str(tmp_path / "w"), "--set", override])
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    # Found before any work: no workdir, no "Training ..." line.
    assert not os.path.exists(tmp_path / "w")
    assert "Training" not in captured.out


def test_config_errors_are_reported_before_tensorflow_is_imported(tmp_path):
    # A network spec's, a prior's and a data source's mistakes, and a TFDS dataset that was
    # never prepared, in one process (one interpreter start).
    script = textwrap.dedent(f"""
        import sys
        from tfhybrids import cli
        for override in ("model.encoder.hidden_units=[8,x]", "prior.radius=-1",
                         "data.image_size=x", "data={{name: tfds:mnist, data_dir: .}}"):
            code = cli.main(["train", {TINY_AAE!r}, "--workdir", {str(tmp_path / 'w')!r},
                             "--set", override])
            print("exit", code, "tensorflow imported:", "tensorflow" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["exit 2 tensorflow imported: False"] * 4
    assert result.stderr.splitlines() == [
        "tfhybrids: error: model.encoder.hidden_units[1]: expected an integer, got str ('x').",
        "tfhybrids: error: prior.radius: must be at least 0.0, got -1.0.",
        "tfhybrids: error: data.image_size: expected an integer, got str ('x').",
        "tfhybrids: error: TFDS dataset 'mnist' is not prepared in ., and tfhybrids never "
        "downloads; prepare it once with `tfds build mnist --data_dir .`."]
    assert not os.path.exists(tmp_path / "w")


def test_the_model_catalog_matches_the_model_classes():
    from tfhybrids.models import MODELS
    from tfhybrids.training.catalog import model_catalog
    from tfhybrids.training.config import constructor_arguments

    catalog = model_catalog()
    assert set(catalog) == set(MODELS)
    for name, cls in MODELS.items():
        assert catalog[name].arguments == tuple(constructor_arguments(cls)), name
        assert catalog[name].network_names == tuple(cls.network_names), name
        assert catalog[name].optimizer_names == tuple(cls.optimizer_names), name


def test_debug_shows_the_traceback_and_keeps_exit_code_2(capsys):
    assert cli.main(["--debug", "train", "configs/nope.yaml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "config file not found" in err


def test_missing_config_file_is_a_clear_error(capsys):
    assert cli.main(["train", "configs/nope.yaml"]) == 2
    assert "config file not found: configs/nope.yaml" in capsys.readouterr().err


def test_cli_subprocess_has_no_traceback_for_bad_input(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {class: AAE, latent_dim: 2}\ndata: {name: digits}\ntrian: {}\n")
    result = subprocess.run([sys.executable, "-m", "tfhybrids.cli", "train", str(bad)],
                            capture_output=True, text=True, cwd=str(tmp_path))
    assert result.returncode == 2
    assert "unknown key 'trian'. Did you mean 'train'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_tensorflow_notices_are_kept_off_stderr(tmp_path):
    # A mistake found after TensorFlow is imported (only the loaded data shows that a batch
    # is larger than the training set): TensorFlow's oneDNN, CUDA and cuInit notices are not
    # shown, only the one error line.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "tfhybrids.cli", "train", TINY_AAE,
                             "--workdir", str(tmp_path / "w"), "--set", "data.batch_size=5000"],
                            capture_output=True, text=True, cwd=str(tmp_path), env=env)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "tfhybrids: error: data source 'digits': the train split has 1437 examples, fewer "
        "than one batch of 5000"), result.stderr
    assert not os.path.exists(tmp_path / "w")
