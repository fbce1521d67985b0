"""A run killed with SIGKILL at any moment resumes with the same command and ends where an
uninterrupted run ends: the data order, optimizer and seed states all come back."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from tfhybrids import cli

TINY_AAE = os.path.join(REPO, "configs", "tiny", "aae_digits.yaml")
SETTINGS = ["--set", "train.epochs=3", "--set", "train.image_every=0"]


def _train_in_process(workdir, *extra):
    assert cli.main(["train", TINY_AAE, "--workdir", str(workdir), *SETTINGS, *extra]) == 0


def _train_killed_at(workdir, fault, *extra):
    env = {**os.environ, "TFHYBRIDS_FAULT": fault, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "tfhybrids.cli", "train", TINY_AAE, "--workdir", str(workdir),
         *SETTINGS, *extra], env=env, capture_output=True, text=True, timeout=300)


def _final_state(workdir):
    with open(os.path.join(workdir, "metrics.json")) as f:
        metrics = json.load(f)
    with open(os.path.join(workdir, "checkpoints", "state.json")) as f:
        state = json.load(f)
    return metrics, state


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("uninterrupted")
    _train_in_process(workdir)
    return _final_state(workdir)


@pytest.mark.parametrize("fault, epochs_done_when_killed", [
    ("train_batch:6", 1),                     # mid-epoch 2 (4 steps an epoch)
    # The checkpoint-write and export points run with `pytest -m slow` (keeps the default
    # run under 10 minutes); the mid-epoch kill stays in it.
    pytest.param("checkpoint_weights_written:2", 1,  # epoch 2's weights written, not renamed
                 marks=pytest.mark.slow),
    pytest.param("checkpoint_renamed:2", 1,  # renamed, state.json not yet replaced
                 marks=pytest.mark.slow),
    pytest.param("export_written:1", 3,       # training done, SavedModel not yet in place
                 marks=pytest.mark.slow),
])
def test_killed_run_resumes_to_the_uninterrupted_result(fault, epochs_done_when_killed,
                                                        reference, tmp_path):
    killed = _train_killed_at(tmp_path, fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    state_path = os.path.join(tmp_path, "checkpoints", "state.json")
    if epochs_done_when_killed:
        with open(state_path) as f:
            assert json.load(f)["epoch"] == epochs_done_when_killed
    assert not os.path.exists(os.path.join(tmp_path, "metrics.json"))
    # Nothing half-written is visible where a reader looks.
    export_dir = os.path.join(tmp_path, "export", "aae")
    if os.path.isdir(export_dir):
        assert [d for d in os.listdir(export_dir) if not d.startswith(".tmp-")] == []

    _train_in_process(tmp_path)

    metrics, state = _final_state(tmp_path)
    ref_metrics, ref_state = reference
    assert state["epoch"] == ref_state["epoch"] == 3
    assert state["seed_states"] == ref_state["seed_states"]
    for key, value in ref_metrics["test"].items():
        np.testing.assert_allclose(metrics["test"][key], value, rtol=1e-4, err_msg=key)
    assert sorted(os.listdir(os.path.join(tmp_path, "export", "aae"))) == ["1"]


# A streamed source (ArrayRecord, read by index, data.cache false): 44 batches of 32 a data
# epoch, 20 steps a training epoch, so the checkpoints at steps 20 and 40 fall early and late
# in data epoch 0.
STREAMED_STEPS = ["--set", "train.steps_per_epoch=20"]


def _streamed_settings(records):
    return [*STREAMED_STEPS, "--set", f"data.name={records['name']}",
            "--set", f"data.data_dir={records['data_dir']}", "--set", "data.cache=false"]


def _examples_read(output):
    import re

    return int(re.search(r"Read (\d+) train examples by index", output).group(1))


@pytest.mark.slow
def test_streamed_run_killed_late_in_an_epoch_resumes_as_cheaply_as_early_and_ends_alike(
        tmp_path, capsys):
    from streamed_data import write_digits_records

    settings = _streamed_settings(write_digits_records(tmp_path / "records"))
    _train_in_process(tmp_path / "uninterrupted", *settings)
    ref_metrics, ref_state = _final_state(tmp_path / "uninterrupted")
    capsys.readouterr()
    overheads = {}
    for kill_at, resume_step in (("train_batch:25", 20), ("train_batch:45", 40)):
        workdir = tmp_path / f"killed_at_{kill_at.partition(':')[2]}"
        killed = _train_killed_at(workdir, kill_at, *settings)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        _train_in_process(workdir, *settings)
        remaining_rows = (3 * 20 - resume_step) * 32
        # What the resumed run read beyond the batches it trained on: the readers' read-ahead
        # only. Skipping by reading would add resume_step * 32 (640 early, 1280 late).
        overheads[resume_step] = _examples_read(capsys.readouterr().out) - remaining_rows
        metrics, state = _final_state(workdir)
        assert state["seed_states"] == ref_state["seed_states"]
        for key, value in ref_metrics["test"].items():
            np.testing.assert_allclose(metrics["test"][key], value, rtol=1e-4, err_msg=key)
    assert all(0 <= extra <= 512 for extra in overheads.values()), overheads


# Every player's rate drops to a tenth after its 5th step: within epoch 2 (steps 5-8).
DROP = "{name: adam, learning_rate: {name: piecewise, boundaries: [5], values: [0.001, 0.0001]}}"
SCHEDULED = [arg for player in ("autoencoder", "discriminator", "generator")
             for arg in ("--set", f"optimizers.{player}_optimizer={DROP}")]


@pytest.mark.slow
def test_a_run_killed_mid_schedule_resumes_at_the_uninterrupted_runs_rate(tmp_path):
    import keras

    from tfhybrids.schedules import current_learning_rate

    reference_dir, killed_dir = tmp_path / "uninterrupted", tmp_path / "killed"
    _train_in_process(reference_dir, *SCHEDULED)
    # Killed after step 6, past the drop; the checkpoint of epoch 1 (4 steps) is before it.
    killed = _train_killed_at(killed_dir, "train_batch:6", *SCHEDULED)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    _train_in_process(killed_dir, *SCHEDULED)

    metrics, _ = _final_state(killed_dir)
    ref_metrics, _ = _final_state(reference_dir)
    for key, value in ref_metrics["test"].items():
        np.testing.assert_allclose(metrics["test"][key], value, rtol=1e-4, err_msg=key)
    resumed = keras.saving.load_model(str(killed_dir / "model.keras"))
    reference = keras.saving.load_model(str(reference_dir / "model.keras"))
    for name in reference.optimizer_names:
        ours, theirs = getattr(resumed, name), getattr(reference, name)
        assert int(ours.iterations) == int(theirs.iterations) == 12, name
        assert current_learning_rate(ours) == pytest.approx(1e-4), name


def test_a_checkpoint_whose_optimizers_do_not_fit_the_config_is_refused(tmp_path):
    """A rate that was a number and is now a schedule changes the optimizer's variables;
    Keras would skip loading that optimizer and restart its schedule at step 0."""
    from tfhybrids.errors import TrainingError
    from tfhybrids.training.checkpoints import CheckpointStore
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import build_model

    tiny_gan = os.path.join(REPO, "configs", "tiny", "gan_toy2d_ring.yaml")
    store = CheckpointStore(str(tmp_path))
    store.save(build_model(load_config(tiny_gan), element_shape=(2,)), 1)
    scheduled = load_config(tiny_gan, [
        "optimizers.generator_optimizer.learning_rate={name: cosine, "
        "initial_learning_rate: 0.001, decay_steps: 10}"])
    with pytest.raises(TrainingError, match="does not fit this config .*Skipping variable "
                                            "loading for optimizer"):
        store.restore(build_model(scheduled, element_shape=(2,)))
    # The same optimizers restore.
    assert store.restore(build_model(load_config(tiny_gan), element_shape=(2,))) == 1
