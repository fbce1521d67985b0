"""The procedural dSprites-like source: factor API, rendering, the data source, and the beta-VAE
metric on a model trained on it."""

import os

import numpy as np
import pytest

from conftest import REPO
from tfhybrids.data import load_data
from tfhybrids.data.dsprites import DSPRITES, SHAPES
from tfhybrids.errors import ConfigError, DataError


def test_factor_space_matches_dsprites():
    assert DSPRITES.factor_names == ("shape", "scale", "orientation", "pos_x", "pos_y")
    assert DSPRITES.factor_sizes == (3, 6, 40, 32, 32)
    assert int(np.prod(DSPRITES.factor_sizes)) == 737280
    factors = DSPRITES.sample_factors(5000, np.random.default_rng(0))
    assert factors.shape == (5000, 5)
    np.testing.assert_array_equal(factors.min(axis=0), 0)
    np.testing.assert_array_equal(factors.max(axis=0), np.array(DSPRITES.factor_sizes) - 1)


def test_render_is_binary_and_deterministic():
    factors = DSPRITES.sample_factors(20, np.random.default_rng(1))
    images = DSPRITES.render(factors)
    assert images.shape == (20, 64, 64, 1) and images.dtype == np.float32
    assert set(np.unique(images)) <= {-1.0, 1.0}
    assert (images > 0).reshape(20, -1).sum(axis=1).min() > 10  # every sprite is visible
    np.testing.assert_array_equal(images, DSPRITES.render(factors))


def test_position_steps_translate_by_one_pixel():
    base = np.array([[2, 3, 5, 10, 20]])
    right = base + [0, 0, 0, 1, 0]
    down = base + [0, 0, 0, 0, 1]
    image = DSPRITES.render_binary(base)[0, ..., 0]
    np.testing.assert_array_equal(np.roll(image, 1, axis=1), DSPRITES.render_binary(right)[0, ..., 0])
    np.testing.assert_array_equal(np.roll(image, 1, axis=0), DSPRITES.render_binary(down)[0, ..., 0])


def test_scale_grows_every_shape_and_shapes_differ():
    for shape in range(3):
        areas = [DSPRITES.render_binary([[shape, s, 0, 16, 16]]).sum() for s in range(6)]
        assert all(a < b for a, b in zip(areas, areas[1:])), (SHAPES[shape], areas)
    sprites = DSPRITES.render_binary([[s, 5, 0, 16, 16] for s in range(3)])
    assert not np.array_equal(sprites[0], sprites[1])
    assert not np.array_equal(sprites[1], sprites[2])


def test_square_has_quarter_turn_symmetry_and_heart_does_not():
    # Orientation 10 of 40 is a quarter turn.
    square = DSPRITES.render_binary([[0, 5, 0, 16, 16], [0, 5, 10, 16, 16]])
    assert (square[0] != square[1]).sum() <= 4
    heart = DSPRITES.render_binary([[2, 5, 0, 16, 16], [2, 5, 10, 16, 16]])
    assert (heart[0] != heart[1]).sum() > 20


def test_bad_factors_are_rejected():
    with pytest.raises(DataError):
        DSPRITES.render([[3, 0, 0, 0, 0]])
    with pytest.raises(DataError):
        DSPRITES.render([[0, 0, 0, 0]])


def test_data_source_is_reproducible_and_labels_are_shapes():
    config = {"name": "dsprites", "num_train": 64, "num_test": 16, "batch_size": 16}
    bundle = load_data(config, seed=3)
    assert bundle.element_shape == (64, 64, 1) and bundle.num_classes == 3
    assert bundle.class_names == list(SHAPES)
    x, y = bundle.arrays("train")
    assert x.shape == (64, 64, 64, 1) and set(np.unique(x)) <= {-1.0, 1.0}
    assert y.dtype == np.int32 and set(np.unique(y)) <= {0, 1, 2}
    again, _ = load_data(config, seed=3).arrays("train")
    np.testing.assert_array_equal(x, again)
    other, _ = load_data(config, seed=4).arrays("train")
    assert not np.array_equal(x, other)
    xb, yb = next(iter(bundle.train))
    assert xb.shape == (16, 64, 64, 1)


def test_unknown_key_is_a_config_error():
    with pytest.raises(ConfigError, match="num_train"):
        load_data({"name": "dsprites", "num_trian": 5})


def test_trained_vae_gets_a_disentanglement_score(tmp_path):
    from tfhybrids import cli
    from tfhybrids.evaluation.evaluate import EvaluationOptions, evaluate_model
    from tfhybrids.training.run_dir import load_trained_model

    workdir = str(tmp_path / "run")
    assert cli.main(["train", os.path.join(REPO, "configs", "tiny", "vae_dsprites.yaml"),
                     "--workdir", workdir]) == 0
    model, config = load_trained_model(workdir)
    bundle = load_data(config["data"], seed=0)
    options = EvaluationOptions(num_probe_train=64, num_eval_images=32, iwae_samples=2,
                                iwae_examples=8, disentanglement_train=40,
                                disentanglement_eval=20, disentanglement_pairs=4)
    results = evaluate_model(model, bundle, config["data"], options, log=lambda *_: None)
    score = results["disentanglement"]
    assert 0.0 <= score["accuracy"] <= 1.0 and score["num_factors"] == 5
    assert score["chance"] == pytest.approx(0.2)
    assert "frechet" in results["skipped"]  # no domain classifier for dsprites
