"""CycleGAN: the model contract, the history buffer, the ablation switches, the unpaired data
sources and the translation metrics."""

import os

import numpy as np
import pytest
import tensorflow as tf

from model_harness import ModelContract, make_batch, make_model
from tfhybrids.errors import ConfigError
from tfhybrids.models.cycle_gan import history_query

TINY_GENERATOR = {"type": "resnet", "filters": 4, "downsamples": 1, "residual_blocks": 1}
TINY_PATCH = {"type": "patch", "filters": [4, 8]}


def tiny_case(**switches):
    return {
        "model": {"class": "CycleGAN", "generator_xy": TINY_GENERATOR,
                  "generator_yx": TINY_GENERATOR, "discriminator_x": TINY_PATCH,
                  "discriminator_y": TINY_PATCH, "history_size": 4, **switches},
        "shape": (2, 8, 8, 1),
    }


class TestCycleGANContract(ModelContract):
    # Four ResNet/PatchGAN networks: 1 vs 2 replicas and the .keras reload take about 45 s
    # together even on the tiny case.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",
                         "test_keras_save_and_reload_give_the_same_model")
    METRIC_NAMES = {"loss", "g_xy_loss", "g_yx_loss", "cycle_x_loss", "cycle_y_loss",
                    "identity_loss", "d_x_loss", "d_y_loss"}
    CASES = {"tiny_pairs": tiny_case(identity_weight=5.0)}


# --------------------------------------------------------------------------- the history
def distinct_images(n, start=0.0, side=2):
    """n images [n, side, side, 1], image i filled with the value start + i (all distinct)."""
    return (start + np.arange(n, dtype=np.float32))[:, None, None, None] * np.ones(
        (1, side, side, 1), np.float32)


def test_history_stores_and_returns_images_until_full():
    history = np.zeros((4, 2, 2, 1), np.float32)
    images = distinct_images(3, start=1.0)
    outputs, new_history, count = history_query(history, 0, images, tf.constant([1, 2]))
    np.testing.assert_array_equal(outputs, images)
    np.testing.assert_array_equal(new_history[:3], images)
    np.testing.assert_array_equal(new_history[3], 0.0)
    assert int(count) == 3


def test_full_history_swaps_about_half_the_images_one_after_another():
    size, n = 5, 400
    history = distinct_images(size, start=-100.0)
    images = distinct_images(n)
    outputs, new_history, count = history_query(history, size, images, tf.constant([3, 4]))
    outputs, new_history = outputs.numpy()[:, 0, 0, 0], new_history.numpy()[:, 0, 0, 0]
    assert int(count) == size
    # Replay: an output that is not its own input must be what some slot held at that moment
    # (an earlier input or an initial image), and that slot then holds the new input.
    replay = list(history[:, 0, 0, 0])
    swaps = 0
    for i, value in enumerate(outputs):
        if value != i:
            assert value in replay, (i, value)
            replay[replay.index(value)] = float(i)
            swaps += 1
    np.testing.assert_array_equal(new_history, replay)
    assert 0.4 * n < swaps < 0.6 * n  # p = 1/2; 400 flips stay in this band but for 1e-4
    again, _, _ = history_query(history, size, images, tf.constant([3, 4]))
    np.testing.assert_array_equal(again.numpy()[:, 0, 0, 0], outputs)


def test_the_models_history_fills_in_queries_and_in_fit():
    case = TestCycleGANContract.CASES["tiny_pairs"]  # history_size 4
    model = make_model(case)
    images = distinct_images(3, side=8) / 4.0
    np.testing.assert_array_equal(model.query_history(tf.constant(images), "x"), images)
    assert int(model.history_x_count.numpy()) == 3
    model.query_history(tf.constant(images), "x")
    assert int(model.history_x_count.numpy()) == 4
    assert int(model.history_y_count.numpy()) == 0
    pairs, labels = make_batch(case, batch_size=3)
    model.train_step((tf.constant(pairs), tf.constant(labels)))  # eager: no tracing
    # The step stored F(y) and G(x) as they were before the generators' update.
    assert int(model.history_y_count.numpy()) == 3
    stored = model.history_y.numpy()[:3]
    assert np.all(np.abs(stored) <= 1.0) and not np.allclose(stored, 0.0)


# --------------------------------------------------------------------------- the ablation
ABLATIONS = {
    "cycle_alone": {"use_gan_xy": False, "use_gan_yx": False},
    "gan_alone": {"use_forward_cycle": False, "use_backward_cycle": False},
    "gan_forward": {"use_backward_cycle": False},
    "full": {},
}


@pytest.mark.parametrize("variant", sorted(ABLATIONS))
def test_switches_decide_which_terms_make_the_generators_loss(variant):
    model = make_model(tiny_case(identity_weight=2.0, **ABLATIONS[variant]))
    pairs, _ = make_batch(TestCycleGANContract.CASES["tiny_pairs"])
    x, y = model.split_pairs(pairs)
    terms, _, _ = model.generator_terms(x, y, training=False)
    switches = {"g_xy_loss": model.use_gan_xy, "g_yx_loss": model.use_gan_yx,
                "cycle_x_loss": model.use_forward_cycle, "cycle_y_loss": model.use_backward_cycle}
    weights = {"g_xy_loss": 1.0, "g_yx_loss": 1.0, "cycle_x_loss": 10.0, "cycle_y_loss": 10.0}
    expected = 2.0 * terms["identity_loss"] + sum(
        weights[k] * terms[k] for k, on in switches.items() if on)
    np.testing.assert_allclose(terms["loss"], expected, rtol=1e-6)
    assert np.all(terms["identity_loss"].numpy() > 0)
    # With no GAN term the discriminators cannot influence the generators.
    if variant == "cycle_alone":
        for variable in model.discriminator_x.weights + model.discriminator_y.weights:
            variable.assign(variable + 0.5)
        again, _, _ = model.generator_terms(x, y, training=False)
        np.testing.assert_allclose(again["loss"], terms["loss"], rtol=1e-6)
        assert not np.allclose(again["g_xy_loss"], terms["g_xy_loss"])


def test_nothing_switched_on_is_refused():
    with pytest.raises(ConfigError, match="nothing to learn"):
        make_model(tiny_case(use_gan_xy=False, use_gan_yx=False, use_forward_cycle=False,
                             use_backward_cycle=False))


def test_data_that_is_not_pairs_is_refused_with_the_sources_to_use():
    case = dict(tiny_case(), shape=(8, 8, 1))
    with pytest.raises(ConfigError, match="unpaired source"):
        make_model(case)


def test_generators_start_from_different_weights_and_translate_each_half():
    model = make_model(TestCycleGANContract.CASES["tiny_pairs"])
    pairs, _ = make_batch(TestCycleGANContract.CASES["tiny_pairs"])
    out = model(pairs).numpy()
    np.testing.assert_allclose(out[:, 0], model.generator_xy(pairs[:, 0]), atol=1e-6)
    np.testing.assert_allclose(out[:, 1], model.generator_yx(pairs[:, 1]), atol=1e-6)
    assert not np.allclose(out[:, 0], model.generator_yx(pairs[:, 0]))


# --------------------------------------------------------------------------- networks, losses
def test_networks_keep_the_image_shape_and_score_patches():
    from tfhybrids.networks import build_image_translator, build_patch_discriminator

    generator = build_image_translator({"filters": 4, "downsamples": 2, "residual_blocks": 1},
                                       (12, 8, 3))
    assert tuple(generator.output_shape) == (None, 12, 8, 3)
    discriminator = build_patch_discriminator({"filters": [4, 8]}, (12, 8, 3))
    assert tuple(discriminator.output_shape) == (None, 3, 2, 1)
    with pytest.raises(ConfigError, match="divisible by 8"):
        build_image_translator({"downsamples": 3}, (12, 8, 3))
    with pytest.raises(ConfigError, match="unknown key 'filter'"):
        build_patch_discriminator({"filter": [4]}, (8, 8, 1))


def test_cycle_and_identity_losses_are_per_example_mean_absolute_errors():
    from tfhybrids import losses

    originals = tf.constant([[1.0, -1.0], [0.5, 0.5]])
    reconstructions = tf.constant([[0.5, -1.0], [0.0, 1.0]])
    cycle = losses.cycle_consistency_loss(originals, reconstructions)
    assert cycle.shape == (2,) and cycle.dtype == tf.float32
    np.testing.assert_allclose(cycle, [0.25, 0.5], atol=1e-5)
    images = tf.constant([[[[0.2]], [[-0.4]]]])  # [1, 2, 1, 1]
    np.testing.assert_allclose(losses.identity_loss(images, tf.zeros_like(images)), [0.3],
                               atol=1e-5)


# --------------------------------------------------------------------------- metrics
def test_translation_metrics_on_hand_made_images():
    from tfhybrids.evaluation import translation

    a = np.zeros((2, 2, 2, 1), np.float32)
    b = np.full((2, 2, 2, 1), 0.5, np.float32)
    b[1, 0, 0, 0] = -1.5  # errors: seven of 0.5 and one of 1.5
    error = translation.translation_error(b, a)
    assert error["mse"] == pytest.approx((7 * 0.25 + 2.25) / 8)
    assert error["l1"] == pytest.approx((7 * 0.5 + 1.5) / 8)
    assert translation.cycle_error(a, b) == pytest.approx(error["l1"])
    assert translation.recognition_rate([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    assert translation.batch_diversity(np.array([[0.0, 2.0], [2.0, 2.0]])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same shape"):
        translation.translation_error(a, b[:1])


def test_evaluate_translation_of_a_known_mapping():
    from tfhybrids.evaluation.translation import evaluate_translation

    class Negate:  # G(x) = -x, F(y) = -y: exact when the truth is -x.
        translate_x_to_y = staticmethod(lambda x: -x)
        translate_y_to_x = staticmethod(lambda y: -y)

    x = np.array([[[[0.5]]], [[[-0.25]]], [[[1.0]]]], np.float32)
    labels = np.array([0, 1, 1])

    def classify(images):  # class 1 for non-positive pixels
        return (np.asarray(images).reshape(len(images)) <= 0).astype(int)

    exact = evaluate_translation(Negate(), x, -x, labels, classify, inverse=lambda t: -t)
    assert exact["translation_mse"] == 0 and exact["cycle_l1"] == 0
    assert exact["recognition_x"] == pytest.approx(2 / 3)
    assert exact["recognition_xy"] == exact["recognition_yx"] == exact["recognition_x"]
    off = evaluate_translation(Negate(), x, np.zeros_like(x), labels, classify)
    # G(x) = -x against a truth of 0: errors 0.5, 0.25, 1; F(0) = 0 against x likewise.
    assert off["translation_l1"] == pytest.approx(1.75 / 3)
    assert off["translation_mse"] == pytest.approx((0.25 + 0.0625 + 1.0) / 3)
    assert off["backward_l1"] == pytest.approx(1.75 / 3)
    assert "recognition_xy" not in off


# --------------------------------------------------------------------------- data sources
def write_png(path, value, size):
    pixels = np.full((*size, 3), value, np.uint8)
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


def test_image_folders_pairs_x_with_y_and_holds_out_a_test_split(tmp_path):
    from tfhybrids.data import load_data

    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    for i in range(5):  # white X images of assorted sizes
        write_png(tmp_path / "x" / f"{i}.png", 255, (10 + i, 12))
    for i in range(4):  # black Y images
        write_png(tmp_path / "y" / f"{i}.PNG", 0, (9, 9))
    (tmp_path / "y" / "notes.txt").write_text("not an image")
    bundle = load_data({"name": "image_folders", "domain_x": str(tmp_path / "x"),
                        "domain_y": str(tmp_path / "y"), "image_size": 8, "channels": 1,
                        "test_fraction": 0.25, "batch_size": 2}, seed=0)
    assert bundle.element_shape == (2, 8, 8, 1) and bundle.kind == "image_pairs"
    assert (bundle.num_train, bundle.num_test) == (4, 1)  # max(4, 3) pairs; 1 + 1 held out
    pairs, labels = bundle.arrays("train")
    np.testing.assert_allclose(pairs[:, 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(pairs[:, 1], -1.0)
    np.testing.assert_array_equal(labels, 0)
    x, _ = next(iter(bundle.train))
    assert x.shape == (2, 2, 8, 8, 1)


def test_image_folders_missing_or_empty_folder_names_the_key(tmp_path):
    from tfhybrids.data import load_data
    from tfhybrids.errors import DataError

    (tmp_path / "empty").mkdir()
    config = {"name": "image_folders", "domain_x": str(tmp_path / "absent"),
              "domain_y": str(tmp_path / "empty")}
    with pytest.raises(DataError, match="data.domain_x: folder .*absent.* does not exist"):
        load_data(config)
    (tmp_path / "absent").mkdir()
    write_png(tmp_path / "absent" / "a.png", 0, (8, 8))
    with pytest.raises(DataError, match="data.domain_y: .* holds no images"):
        load_data(config)
    with pytest.raises(ConfigError, match="needs data.domain_y"):
        load_data({"name": "image_folders", "domain_x": str(tmp_path / "absent")})


def test_tfds_cycle_gan_unprepared_says_how_to_prepare(tmp_path):
    from tfhybrids.data import load_data
    from tfhybrids.errors import DataError

    with pytest.raises(DataError, match="cycle_gan/horse2zebra' is not prepared.*tfds build"):
        load_data({"name": "tfds:cycle_gan/horse2zebra", "data_dir": str(tmp_path)})


@pytest.mark.skipif(not os.path.isfile("/usr/share/datasets/fashion-mnist/"
                                       "train-images-idx3-ubyte.gz"),
                    reason="needs `apt-get install dataset-fashion-mnist`")
def test_fashion_mnist_style_is_unpaired_in_training_and_paired_for_testing():
    from tfhybrids.data import load_data
    from tfhybrids.data.fashion_mnist import load_fashion_mnist
    from tfhybrids.data.unpaired import inverse_style_transform, style_transform

    bundle = load_data({"name": "fashion_mnist_style", "train_limit": 32, "test_limit": 8,
                        "batch_size": 8}, seed=0)
    assert bundle.element_shape == (2, 28, 28, 1) and bundle.num_classes == 10
    test_pairs, test_labels = bundle.arrays("test")
    np.testing.assert_allclose(test_pairs[:, 1], style_transform(test_pairs[:, 0]), atol=1e-6)
    np.testing.assert_allclose(inverse_style_transform(test_pairs[:, 1]), test_pairs[:, 0],
                               atol=1e-5)
    assert np.abs(test_pairs[:, 1] - test_pairs[:, 0]).mean() > 0.5  # not the identity
    # Train: X are Fashion-MNIST train images [0, 32) with their labels; Y is the style of
    # images from the other half, never of an X image.
    plain = load_fashion_mnist({"name": "fashion_mnist", "train_limit": 32, "batch_size": 8},
                               seed=0)
    x_plain, y_plain = plain.arrays("train")
    pairs, labels = bundle.arrays("train")
    np.testing.assert_allclose(pairs[:, 0], x_plain, atol=1e-6)
    np.testing.assert_array_equal(labels, y_plain)
    originals = inverse_style_transform(pairs[:, 1]).numpy()
    distances = np.abs(originals[:, None] - x_plain[None]).mean(axis=(2, 3, 4))
    assert distances.min() > 0.05


# --------------------------------------------------------------------------- end to end
@pytest.mark.slow
@pytest.mark.skipif(not os.path.isfile("/usr/share/datasets/fashion-mnist/"
                                       "train-images-idx3-ubyte.gz"),
                    reason="needs `apt-get install dataset-fashion-mnist`")
def test_tiny_config_trains_resumes_and_exports_the_translations(tmp_path):
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import train

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(repo, "configs", "tiny", "cycle_gan_fashion_mnist.yaml")
    metrics = train(load_config(path, ["train.epochs=1"]), str(tmp_path), log=lambda *_: None)
    assert metrics["model_class"] == "CycleGAN"
    assert all(np.isfinite(v) for v in metrics["test"].values())
    # Resuming from the epoch-1 checkpoint restores the history with the weights.
    metrics = train(load_config(path), str(tmp_path), log=lambda *_: None)
    loaded = tf.saved_model.load(os.path.join(str(tmp_path), metrics["export"]))
    assert {"translate_x_to_y", "translate_y_to_x", "serving_default"} <= set(loaded.signatures)
    images = tf.random.stateless_uniform([2, 8, 8, 1], seed=[1, 2])
    out = loaded.signatures["translate_x_to_y"](images=images)["images"].numpy()
    assert out.shape == (2, 8, 8, 1) and np.all((out >= 0) & (out <= 1))
