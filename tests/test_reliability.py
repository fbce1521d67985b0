"""Non-finite losses, determinism, and a clear one-line error for every kind of bad input."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from model_harness import make_batch, make_model
from tfhybrids import cli
from tfhybrids.errors import TfhybridsError
from tfhybrids.training.config import SECTIONS, validate

TINY_AAE = os.path.join(REPO, "configs", "tiny", "aae_digits.yaml")
FAST = ["--set", "train.image_every=0", "--set", "train.export=false"]


def test_nonfinite_loss_stops_with_step_loss_and_last_good_checkpoint(tmp_path, capsys):
    workdir = str(tmp_path / "run")
    assert cli.main(["train", TINY_AAE, "--workdir", workdir, "--set", "train.epochs=1",
                     *FAST]) == 0
    capsys.readouterr()
    code = cli.main(["train", TINY_AAE, "--workdir", workdir, "--set", "train.epochs=2",
                     "--set", "optimizers.autoencoder_optimizer.learning_rate=1e30", *FAST])
    err = capsys.readouterr().err
    assert code == 2
    assert "became nan at epoch 2, step" in err or "became inf at epoch 2, step" in err
    assert "epoch-00001.weights.h5 (epoch 1)" in err
    assert "Traceback" not in err
    with open(os.path.join(workdir, "checkpoints", "state.json")) as f:
        assert json.load(f)["epoch"] == 1  # the bad state was never checkpointed
    assert sorted(n for n in os.listdir(os.path.join(workdir, "checkpoints"))
                  if n.endswith(".h5")) == ["epoch-00001.weights.h5"]


def test_skip_batch_leaves_bad_batches_out_and_keeps_training():
    case = {
        "model": {"class": "AAE", "latent_dim": 2, "encoder": {"type": "mlp", "hidden_units": [8]},
                  "decoder": {"type": "mlp", "hidden_units": [8]},
                  "discriminator": {"type": "mlp", "hidden_units": [8]}},
        "prior": {"name": "gaussian"},
        "shape": (8, 8, 1),
    }
    model = make_model(case)
    model.compile(skip_nonfinite=True)
    good, labels = make_batch(case, batch_size=8)
    bad = good.copy()
    bad[3, 2, 2, 0] = np.nan
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.concatenate([good, bad, good]), np.concatenate([labels] * 3))).batch(8)
    history = model.fit(dataset, epochs=1, verbose=0).history
    # The reconstruction phase sees the NaN pixel in its loss: its update was skipped. (The
    # code-space players may see finite values: ReLU maps NaN to 0 on CPU.)
    assert int(model.autoencoder_optimizer.iterations.numpy()) == 2
    for player in model.optimizer_names:
        assert int(getattr(model, player).iterations.numpy()) in (2, 3), player
    assert all(np.isfinite(v.numpy()).all() for v in model.trainable_variables)
    assert all(np.isfinite(values[-1]) for values in history.values())


def test_skipped_updates_are_counted_when_the_guard_runs_every_few_steps():
    import keras

    from tfhybrids.training.callbacks import NonFiniteGuard

    case = {"model": {"class": "VAE", "latent_dim": 2,
                      "encoder": {"type": "mlp", "hidden_units": [8]},
                      "decoder": {"type": "mlp", "hidden_units": [8]}},
            "shape": (8, 8, 1)}
    model = make_model(case)
    model.compile(skip_nonfinite=True)
    messages = []
    guard = NonFiniteGuard(None, skip=True, log=messages.append)
    guard.set_model(model)
    scale = model.optimizer.dynamic_scale
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    guard.on_epoch_begin(0)
    # Three skips within one steps_per_execution window halve the scale three times.
    scale.assign(0.125)
    guard.on_train_batch_end(7)
    assert float(scale.numpy()) == 1.0
    guard.on_train_batch_end(15)
    guard.on_epoch_end(0)
    assert messages == ["Epoch 1: skipped 3 player update(s) with non-finite gradients."]


def test_training_with_several_steps_per_execution_checkpoints_and_resumes(tmp_path):
    workdir = str(tmp_path / "run")
    spe = ["--set", "train.steps_per_execution=4"]
    assert cli.main(["train", TINY_AAE, "--workdir", workdir, "--set", "train.epochs=1",
                     *spe, *FAST]) == 0
    assert cli.main(["train", TINY_AAE, "--workdir", workdir, "--set", "train.epochs=2",
                     *spe, *FAST]) == 0
    with open(os.path.join(workdir, "checkpoints", "state.json")) as f:
        assert json.load(f)["epoch"] == 2


def test_same_config_and_seed_give_the_same_run(tmp_path):
    runs = []
    for name in ("first", "second"):
        workdir = str(tmp_path / name)
        assert cli.main(["train", TINY_AAE, "--workdir", workdir, *FAST]) == 0
        with open(os.path.join(workdir, "metrics.json")) as f:
            runs.append(json.load(f)["test"])
    assert runs[0] == runs[1]


def test_different_seeds_give_different_runs(tmp_path):
    results = []
    for seed in (0, 1):
        workdir = str(tmp_path / f"seed{seed}")
        assert cli.main(["train", TINY_AAE, "--workdir", workdir, "--set", f"train.seed={seed}",
                         *FAST]) == 0
        with open(os.path.join(workdir, "metrics.json")) as f:
            results.append(json.load(f)["test"]["recon_loss"])
    assert results[0] != results[1]


# ----------------------------------------------------------------------------- bad input
BAD_INPUTS = [
    # (override, expected words in the one-line message)
    ("model.latent_dims=2", "unknown key 'latent_dims'. Did you mean 'latent_dim'?"),
    ("model.latent_dim=-3", "model.latent_dim: must be at least 1"),
    ("model.latent_dim=two", "model.latent_dim: expected an integer"),
    ("model.class=Transformer", "model.class: unknown value 'Transformer'"),
    ("model.encoder.hidden_units=[0]", "hidden_units[0]: must be at least 1"),
    ("model.encoder=5", "expected a network spec"),
    ("model.seed=abc", "model.seed: expected an integer"),
    ("prior.name=laplace", "prior.name: unknown value 'laplace'"),
    ("prior.num_components=0", "num_components: must be at least 1"),
    ("prior.radial_std=-1", "radial_std"),
    ("data.name=cifar", "data.name: unknown value 'cifar'"),
    ("data.batch_size=0", "data.batch_size: must be at least 1"),
    ("data.batch_size=5000", "fewer than one batch"),
    ("data.image_size=3", "data.image_size: must be at least"),
    ("data.name=tfds:not_prepared_here", "tfds build"),
    ("train.epochs=0", "train.epochs: must be at least 1"),
    ("train.strategy=horovod", "train.strategy: unknown value 'horovod'"),
    ("train.on_nonfinite=ignore", "train.on_nonfinite: unknown value 'ignore'"),
    ("optimizers.generator_optimizer.name=adamm", "Did you mean 'adam'?"),
    ("optimizers.generator_optimizer.beta_1=-0.5", "beta_1: must be at least 0"),
    ("optimizers.critic_optimizer.name=adam", "unknown key 'critic_optimizer'"),
]


@pytest.mark.parametrize("override, message", BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_leaves_no_run(override, message, tmp_path, capsys):
    workdir = tmp_path / "w"
    code = cli.main(["train", TINY_AAE, "--workdir", str(workdir), "--set", override])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not (workdir / "checkpoints").exists()


def test_fashion_mnist_missing_gives_the_install_command(tmp_path, capsys):
    code = cli.main(["train", TINY_AAE, "--workdir", str(tmp_path / "w"),
                     "--set", "data={name: fashion_mnist, path: /nonexistent, "
                     f"data_dir: {tmp_path}}}"])
    assert code == 2
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().err


# ------------------------------------------------------------------- fuzzing config documents
_KEYS = sorted({*SECTIONS, "class", "latent_dim", "encoder", "decoder", "discriminator", "name",
                "type", "hidden_units", "filters", "batch_size", "image_size", "epochs", "seed",
                "num_components", "learning_rate", "strategy", "beta", "prior", "x"})
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70), st.floats(allow_nan=True),
                     st.text(max_size=8), st.sampled_from(["AAE", "VAE", "digits", "mlp", "conv",
                                                           "gaussian", "adam", "mirrored"]))
_documents = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(_KEYS), children, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from(_KEYS), _documents, max_size=5))
def test_no_config_document_gets_past_validation_with_a_traceback(document):
    try:
        validate(document)
    except TfhybridsError:
        pass


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(model=st.dictionaries(st.sampled_from(["latent_dim", "encoder", "decoder", "beta",
                                              "likelihood", "seed", "kl_estimator"]),
                             _documents, max_size=3),
       prior=_documents)
def test_no_model_or_prior_section_builds_with_a_traceback(model, prior):
    from tfhybrids.training.runner import build_model

    document = {"model": {"class": "VAE", "latent_dim": 2, "encoder": {"type": "mlp",
                                                                      "hidden_units": [4]},
                          "decoder": {"type": "mlp", "hidden_units": [4]}, **model},
                "data": {"name": "digits"}, "prior": prior}
    try:
        build_model(validate(document), element_shape=(8, 8, 1), num_classes=10)
    except TfhybridsError:
        pass


def test_yaml_documents_that_are_not_mappings(tmp_path, capsys):
    for text in ("", "- a\n- b\n", "model: [\n", "just a string"):
        path = tmp_path / "c.yaml"
        path.write_text(text)
        assert cli.main(["train", str(path), "--workdir", str(tmp_path / "w")]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert yaml  # the documents above are read with PyYAML's safe loader
