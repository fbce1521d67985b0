"""Every model through the shared harness: the contract each tfhybrids model keeps."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfhybrids.models  # noqa: F401 - registers the models with Keras
from model_harness import changed, make_batch, make_dataset, make_model, snapshot

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}

CASES = {
    "vae_mlp": {
        "model": {"class": "VAE", "latent_dim": 2, "encoder": TINY_MLP, "decoder": TINY_MLP},
        "shape": (8, 8, 1),
    },
    "beta_vae_conv_gaussian": {
        "model": {"class": "VAE", "latent_dim": 3, "beta": 4.0, "likelihood": "gaussian",
                  "encoder": TINY_CONV, "decoder": TINY_CONV},
        "shape": (8, 8, 1),
    },
    "vae_mixture_prior": {
        "model": {"class": "VAE", "latent_dim": 2, "encoder": TINY_MLP, "decoder": TINY_MLP},
        "prior": {"name": "gaussian_mixture", "num_components": 10},
        "shape": (8, 8, 1),
    },
    "aae_mixture": {
        "model": {"class": "AAE", "latent_dim": 2, "encoder": TINY_MLP, "decoder": TINY_MLP,
                  "discriminator": TINY_MLP},
        "prior": {"name": "gaussian_mixture", "num_components": 10},
        "shape": (8, 8, 1),
    },
    "aae_swiss_roll_conv": {
        "model": {"class": "AAE", "latent_dim": 2, "encoder": TINY_CONV, "decoder": TINY_CONV,
                  "discriminator": TINY_MLP},
        "prior": {"name": "swiss_roll"},
        "shape": (8, 8, 1),
    },
    "aae_points": {
        "model": {"class": "AAE", "latent_dim": 2, "encoder": TINY_MLP, "decoder": TINY_MLP,
                  "discriminator": TINY_MLP},
        "prior": {"name": "gaussian"},
        "shape": (2,),
    },
}

# The metric names each model documents, exactly.
METRIC_NAMES = {
    "VAE": {"loss", "recon_loss", "kl_loss"},
    "AAE": {"recon_loss", "d_loss", "g_loss"},
}

case_ids = sorted(CASES)


def _model_weights(model):
    """Every variable but the seed generator's state (which draws advance by design)."""
    return [v for v in model.weights if "seed_generator" not in v.path]


@pytest.mark.parametrize("name", case_ids)
def test_config_round_trip_gives_the_same_model(name):
    case = CASES[name]
    model = make_model(case)
    config = model.get_config()
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    x, _ = make_batch(case)
    np.testing.assert_allclose(clone(x), model(x), atol=1e-6)


@pytest.mark.parametrize("name", case_ids)
def test_call_reconstructs_with_the_input_shape(name):
    case = CASES[name]
    model = make_model(case)
    x, _ = make_batch(case)
    out = model(x)
    assert tuple(out.shape) == x.shape
    assert np.all(np.isfinite(out))
    if len(case["shape"]) == 3:
        assert np.all(np.abs(out) <= 1.0)


@pytest.mark.parametrize("name", case_ids)
def test_fit_step_updates_every_player_and_reports_its_metrics(name):
    case = CASES[name]
    model = make_model(case)
    players = {p: model.player_variables(p) for p in model.optimizer_names}
    before = {p: snapshot(v) for p, v in players.items()}
    history = model.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0)
    for player, variables in players.items():
        moved = changed(before[player], variables)
        stuck = [v.path for v, m in zip(variables, moved) if not m]
        assert not stuck, f"{player} did not update {stuck}"
        assert int(getattr(model, player).iterations.numpy()) == 1
    assert set(history.history) == METRIC_NAMES[type(model).__name__]
    assert all(np.isfinite(v[-1]) for v in history.history.values())


@pytest.mark.parametrize("name", case_ids)
def test_evaluate_changes_no_weight(name):
    case = CASES[name]
    model = make_model(case)
    weights = _model_weights(model)
    before = snapshot(weights)
    results = model.evaluate(make_dataset(case), return_dict=True, verbose=0)
    assert not any(changed(before, weights))
    assert set(results) == METRIC_NAMES[type(model).__name__]
    assert all(np.isfinite(v) for v in results.values())


@pytest.mark.parametrize("name", case_ids)
def test_keras_save_and_reload_give_the_same_model(name, tmp_path):
    case = CASES[name]
    model = make_model(case)
    model.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x, _ = make_batch(case, seed=3)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-5)
    for player in model.optimizer_names:
        original, restored = getattr(model, player), getattr(loaded, player)
        assert int(restored.iterations.numpy()) == int(original.iterations.numpy())
        for a, b in zip(original.variables, restored.variables):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    # A reloaded model keeps training.
    history = loaded.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())


@pytest.mark.parametrize("name", case_ids)
def test_two_replicas_match_one_device(name, two_cpu_strategy):
    """Same global batch, same seed: the same losses and the same weights after two steps."""
    case = CASES[name]
    single = make_model(case, seed=7)
    mirrored = make_model(case, seed=7, strategy=two_cpu_strategy)
    mirrored.set_weights(single.get_weights())
    dataset = make_dataset(case, batch_size=8, num_batches=2)
    logs_single = single.fit(dataset, epochs=1, verbose=0, shuffle=False).history
    logs_mirrored = mirrored.fit(dataset, epochs=1, verbose=0, shuffle=False).history
    for key in logs_single:
        np.testing.assert_allclose(logs_mirrored[key], logs_single[key], rtol=2e-4, atol=2e-4,
                                   err_msg=key)
    for a, b in zip(_model_weights(single), _model_weights(mirrored)):
        np.testing.assert_allclose(np.asarray(b.numpy()), a.numpy(), rtol=1e-3, atol=1e-4,
                                   err_msg=a.path)
