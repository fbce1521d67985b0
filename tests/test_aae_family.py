"""The adversarial-autoencoder family (Makhzani et al. 2016 §2.3-§7): the model contract for
each variant, plus what each adds (label-conditioned positives, the supervised phase on the
labelled batch, the cluster heads) and the labels_per_class data option."""

import os

import numpy as np
import pytest
import tensorflow as tf

from model_harness import ModelContract, make_batch, make_model, snapshot
from tfhybrids import losses
from tfhybrids.data import load_data
from tfhybrids.data.base import labeled_subset
from tfhybrids.errors import ConfigError, DataError
from tfhybrids.evaluation import classification
from tfhybrids.two_sample import mmd_squared
from tfhybrids.training.config import load_config
from tfhybrids.training.data_stream import train_stream

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TINY_MLP = {"type": "mlp", "hidden_units": [16]}
TINY_CONV = {"type": "conv", "filters": [4, 8]}
SHAPE = (8, 8, 1)


class TestLabelRegularizedAAEContract(ModelContract):
    # Their phases extend the AAE's, whose default run keeps the 1-vs-2-replica check.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    METRIC_NAMES = {"recon_loss", "d_loss", "g_loss"}
    CASES = {
        "mixture_mlp": {
            "model": {"class": "LabelRegularizedAAE", "latent_dim": 2, "encoder": TINY_MLP,
                      "decoder": TINY_MLP, "discriminator": TINY_MLP},
            "prior": {"name": "gaussian_mixture", "num_components": 10},
            "shape": SHAPE,
        },
    }


class TestSupervisedAAEContract(ModelContract):
    # Their phases extend the AAE's, whose default run keeps the 1-vs-2-replica check.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    METRIC_NAMES = {"recon_loss", "d_loss", "g_loss"}
    CASES = {
        "gaussian_mlp": {
            "model": {"class": "SupervisedAAE", "latent_dim": 3, "encoder": TINY_MLP,
                      "decoder": TINY_MLP, "discriminator": TINY_MLP},
            "prior": {"name": "gaussian"},
            "shape": SHAPE,
        },
    }


SSAAE_CASE = {
    "model": {"class": "SemiSupervisedAAE", "latent_dim": 3, "encoder": TINY_MLP,
              "decoder": TINY_MLP, "label_discriminator": TINY_MLP,
              "style_discriminator": TINY_MLP},
    "prior": {"name": "gaussian"},
    "shape": SHAPE,
}


class TestSemiSupervisedAAEContract(ModelContract):
    # Their phases extend the AAE's, whose default run keeps the 1-vs-2-replica check.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    METRIC_NAMES = {"recon_loss", "d_loss", "g_loss", "class_loss"}
    CASES = {"gaussian_mlp": SSAAE_CASE}


class TestClusteringAAEContract(ModelContract):
    # Their phases extend the AAE's, whose default run keeps the 1-vs-2-replica check.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    METRIC_NAMES = {"recon_loss", "d_loss", "g_loss"}
    CASES = {
        "sixteen_clusters": {
            "model": {"class": "ClusteringAAE", "latent_dim": 3, "num_clusters": 16,
                      "encoder": TINY_MLP, "decoder": TINY_MLP,
                      "label_discriminator": TINY_MLP, "style_discriminator": TINY_MLP},
            "prior": {"name": "gaussian"},
            "shape": SHAPE,
        },
    }


class TestDimensionalityReductionAAEContract(ModelContract):
    # Their phases extend the AAE's, whose default run keeps the 1-vs-2-replica check.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    METRIC_NAMES = {"recon_loss", "d_loss", "g_loss", "class_loss"}
    CASES = {
        "two_d": {
            "model": {"class": "DimensionalityReductionAAE", "latent_dim": 2,
                      "head_threshold": 3.0, "encoder": TINY_MLP, "decoder": TINY_MLP,
                      "label_discriminator": TINY_MLP, "style_discriminator": TINY_MLP},
            "prior": {"name": "gaussian", "scale": 0.5},
            "shape": SHAPE,
        },
    }


# ----------------------------------------------------------------------------- pure losses
def test_categorical_cross_entropy_on_hand_values():
    logits = tf.constant([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    values = losses.categorical_cross_entropy(tf.constant([0, 0, 0]), logits)
    # -log softmax: log 2; log(1 + e^-2); log(1 + e^1).
    np.testing.assert_allclose(values, [0.693147, 0.126928, 1.313262], atol=1e-5)
    assert values.shape == (3,) and values.dtype == tf.float32


def test_cluster_head_penalty_on_hand_values():
    heads = tf.constant([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    # Distances 3, 4 and 5; with eta = 4.5: (4.5 - 3) + (4.5 - 4) + 0 = 2.
    np.testing.assert_allclose(losses.cluster_head_penalty(heads, 4.5), 2.0, atol=1e-5)
    np.testing.assert_allclose(losses.cluster_head_penalty(heads, 3.0), 0.0, atol=1e-6)
    # Coinciding heads: the full threshold, and a finite gradient.
    same = tf.Variable([[1.0, 1.0], [1.0, 1.0]])
    with tf.GradientTape() as tape:
        penalty = losses.cluster_head_penalty(same, 2.0)
    np.testing.assert_allclose(penalty, 2.0, atol=1e-5)
    assert np.all(np.isfinite(tape.gradient(penalty, same)))


def test_mmd_squared_on_hand_values():
    x = np.array([[0.0], [0.0]])
    y = np.array([[1.0], [1.0]])
    # k = exp(-d^2 / 2): 1 + 1 - 2 exp(-1/2).
    np.testing.assert_allclose(mmd_squared(x, y, bandwidth=1.0), 2 - 2 * np.exp(-0.5),
                               atol=1e-6)
    rng = np.random.default_rng(0)
    same = mmd_squared(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)))
    shifted = mmd_squared(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 1.0)
    assert abs(same) < 0.02 < shifted
    with pytest.raises(DataError):
        mmd_squared(x[:1], y)


def test_clustering_names_each_cluster_by_its_most_confident_example_not_the_majority():
    # Cluster 0 holds mostly 1s, but its most confident member is a 7: it is named 7.
    train_probs = np.array([[0.6, 0.4], [0.6, 0.4], [0.99, 0.01], [0.1, 0.9]])
    train_labels = np.array([1, 1, 7, 3])
    np.testing.assert_array_equal(classification.cluster_labels(train_probs, train_labels),
                                  [7, 3])
    test_probs = np.array([[0.8, 0.2], [0.7, 0.3], [0.2, 0.8]])
    # Test labels 7, 1, 3 -> predicted 7, 7, 3: one error in three.
    error = classification.clustering_error(train_probs, train_labels, test_probs, [7, 1, 3])
    np.testing.assert_allclose(error, 1 / 3)


# ----------------------------------------------------------------------------- labels option
def test_labels_per_class_keeps_a_balanced_seeded_subset():
    bundle = load_data({"name": "digits", "batch_size": 32, "labels_per_class": 5}, seed=0)
    _, y = bundle.arrays("train")
    counts = np.bincount(y[y >= 0], minlength=10)
    np.testing.assert_array_equal(counts, [5] * 10)
    assert bundle.num_labeled == 50 and np.sum(y == -1) == bundle.num_train - 50
    # The labelled examples keep their true labels; the test split keeps all of them.
    _, true_y = load_data({"name": "digits", "batch_size": 32}, seed=0).arrays("train")
    np.testing.assert_array_equal(y[y >= 0], true_y[y >= 0])
    _, labeled_y = next(bundle.examples["labeled"].batch(100).as_numpy_iterator())
    np.testing.assert_array_equal(labeled_y, true_y[y >= 0])
    assert np.all(bundle.arrays("test")[1] >= 0)
    # The subset depends on labels_seed only, not on the training seed.
    other_run = load_data({"name": "digits", "batch_size": 32, "labels_per_class": 5}, seed=3)
    np.testing.assert_array_equal(other_run.arrays("train")[1], y)
    other_subset = load_data({"name": "digits", "batch_size": 32, "labels_per_class": 5,
                              "labels_seed": 1}, seed=0)
    assert np.any(other_subset.arrays("train")[1] != y)


def test_labeled_subset_is_nested_and_refuses_too_many_labels():
    labels = np.repeat(np.arange(3), 20)
    small = labeled_subset(labels, 3, 2, seed=4)
    large = labeled_subset(labels, 3, 5, seed=4)
    assert set(small) <= set(large) and len(large) == 15
    with pytest.raises(DataError, match="class 0 has only 20"):
        labeled_subset(labels, 3, 21, seed=0)


def test_labeled_batch_size_needs_labels_per_class():
    with pytest.raises(ConfigError, match="labels_per_class"):
        load_data({"name": "digits", "labeled_batch_size": 8}, seed=0)
    with pytest.raises(DataError, match="labeled_batch_size"):
        load_data({"name": "digits", "labels_per_class": 1, "labeled_batch_size": 11}, seed=0)


def test_train_stream_pairs_each_batch_with_a_labelled_batch_and_resumes_exactly():
    bundle = load_data({"name": "digits", "batch_size": 100, "labels_per_class": 2,
                        "labeled_batch_size": 8}, seed=0)
    batches = list(train_stream(bundle, seed=5).take(6).as_numpy_iterator())
    for (x, y), (x_l, y_l) in batches:
        assert x.shape == (100, 8, 8, 1) and x_l.shape == (8, 8, 8, 1)
        assert np.all(y_l >= 0)
    # 20 labelled examples, batches of 8: a pass boundary falls inside the 3rd batch, and
    # every labelled example shows up within the first two passes.
    seen = np.concatenate([b[1][1] for b in batches[:5]])
    np.testing.assert_array_equal(np.bincount(seen[:20], minlength=10), [2] * 10)
    resumed = list(train_stream(bundle, seed=5, start_step=4).take(2).as_numpy_iterator())
    for a, b in zip(batches[4:], resumed):
        for part_a, part_b in zip(a, b):
            np.testing.assert_array_equal(part_a[0], part_b[0])
            np.testing.assert_array_equal(part_a[1], part_b[1])


# ----------------------------------------------------------------------------- label-regularized
def test_label_regularized_positives_come_from_the_label_s_component():
    case = {
        "model": {"class": "LabelRegularizedAAE", "latent_dim": 2, "encoder": TINY_MLP,
                  "decoder": TINY_MLP, "discriminator": TINY_MLP},
        "prior": {"name": "gaussian_mixture", "means": [[0, 0], [10, 0], [0, 10]], "std": 0.01},
        "shape": SHAPE,
    }
    model = make_model(case)
    assert model.num_classes == 3
    y = tf.constant([0, 1, 2, 2, 1, 0] + [-1] * 60)
    samples = np.asarray(model.positive_samples(y, 66))
    means = np.array([[0, 0], [10, 0], [0, 10]], np.float32)
    np.testing.assert_allclose(samples[:6], means[[0, 1, 2, 2, 1, 0]], atol=0.1)
    # Unlabelled rows come from the whole mixture: all three components appear.
    nearest = ((samples[6:, None] - means[None]) ** 2).sum(-1).argmin(1)
    assert set(nearest) == {0, 1, 2}
    slots = np.asarray(model.label_slots(y, 66))
    np.testing.assert_array_equal(slots[:3], np.eye(4)[[0, 1, 2]])
    np.testing.assert_array_equal(slots[6:], np.tile(np.eye(4)[3], (60, 1)))


def test_label_regularized_swiss_roll_positives_lie_on_their_segment():
    case = {
        "model": {"class": "LabelRegularizedAAE", "latent_dim": 2, "encoder": TINY_MLP,
                  "decoder": TINY_MLP, "discriminator": TINY_MLP},
        "prior": {"name": "swiss_roll", "num_segments": 10, "noise": 0.0},
        "shape": SHAPE,
    }
    model = make_model(case)
    labels = np.repeat(np.arange(10), 5)
    samples = np.asarray(model.positive_samples(tf.constant(labels), 50))
    # With no noise the radius is scale * sqrt(t), t in [k/10, (k+1)/10) for segment k.
    t = (np.linalg.norm(samples, axis=1) / 4.0) ** 2
    assert np.all(t >= labels / 10 - 1e-4) and np.all(t < (labels + 1) / 10 + 1e-4)


def test_label_regularized_needs_a_prior_with_components():
    case = {
        "model": {"class": "LabelRegularizedAAE", "latent_dim": 2, "encoder": TINY_MLP,
                  "decoder": TINY_MLP, "discriminator": TINY_MLP},
        "prior": {"name": "gaussian"},
        "shape": SHAPE,
    }
    with pytest.raises(ConfigError, match="components"):
        make_model(case)


# ----------------------------------------------------------------------------- semi-supervised
def test_semi_supervised_phase_uses_the_labelled_batch_only():
    model = make_model(SSAAE_CASE)
    # Freeze the adversarial phases, so only phase 3 moves the encoder.
    for name in ("autoencoder_optimizer", "generator_optimizer"):
        getattr(model, name).learning_rate.assign(0.0)
    x, _ = make_batch(SSAAE_CASE, batch_size=8, seed=1)
    x_l, y_l = make_batch(SSAAE_CASE, batch_size=4, seed=2)
    logits, _, _ = model.infer(x_l)
    expected = float(np.mean(losses.categorical_cross_entropy(y_l, logits)))
    unlabelled = np.full(8, -1, np.int32)
    paired = tf.data.Dataset.from_tensors(((x, unlabelled), (x_l, y_l)))
    before = snapshot(model.encoder.trainable_variables)
    logs = model.fit(paired, epochs=1, verbose=0).history
    np.testing.assert_allclose(logs["class_loss"][-1], expected, rtol=1e-5)
    assert any(not np.allclose(b, v) for b, v in
               zip(before, model.encoder.trainable_variables))


def test_semi_supervised_plain_batches_use_their_labelled_rows():
    model = make_model(SSAAE_CASE)
    x, y = make_batch(SSAAE_CASE, batch_size=8)
    y = y.copy()
    y[4:] = -1
    logits, _, _ = model.infer(x[:4])
    expected = float(np.mean(losses.categorical_cross_entropy(y[:4], logits)))
    results = model.evaluate(tf.data.Dataset.from_tensors((x, y)), return_dict=True, verbose=0)
    np.testing.assert_allclose(results["class_loss"], expected, rtol=1e-5)
    probs = np.asarray(model.classify(x))
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)


def test_semi_supervised_class_loss_leaves_non_finite_rows_out_like_the_other_losses():
    model = make_model(SSAAE_CASE)
    model.compile(skip_nonfinite=True)
    for name in model.optimizer_names:  # the weights stay those `expected` is computed with
        getattr(model, name).learning_rate.assign(0.0)
    class_loss = model.class_loss

    def with_a_nan_first_row(batch, training):
        values, mask = class_loss(batch, training)
        first = tf.one_hot(0, tf.shape(values)[0]) > 0
        return tf.where(first, tf.constant(np.nan, values.dtype), values), mask

    x, y = make_batch(SSAAE_CASE, batch_size=8)
    logits, _, _ = model.infer(x[1:])
    expected = float(np.mean(losses.categorical_cross_entropy(y[1:], logits)))
    model.class_loss = with_a_nan_first_row
    model.run_eagerly = True  # one step: tracing would cost more than it saves
    logs = model.fit(tf.data.Dataset.from_tensors((x, y)), epochs=1, verbose=0).history
    np.testing.assert_allclose(logs["class_loss"][-1], expected, rtol=1e-5)


def test_semi_supervised_full_code_decodes_to_the_reconstruction():
    model = make_model(SSAAE_CASE)
    x, _ = make_batch(SSAAE_CASE, batch_size=4)
    code = model.encode_outputs(x)["code"]
    assert code.shape == (4, 10 + 3)
    np.testing.assert_allclose(model.decode(code), model(x), atol=1e-5)


# ----------------------------------------------------------------------------- dim reduction
def test_dim_reduction_representation_is_heads_plus_style():
    case = TestDimensionalityReductionAAEContract.CASES["two_d"]
    model = make_model(case)
    heads = np.asarray(model.cluster_heads)
    # Initial heads: adjacent ones head_threshold apart, so the penalty starts near zero.
    np.testing.assert_allclose(np.linalg.norm(heads[1] - heads[0]), 3.0, atol=0.05)
    x, _ = make_batch(case, batch_size=5)
    outputs = model.encode_outputs(x)
    np.testing.assert_allclose(outputs["code"], np.asarray(outputs["probabilities"]) @ heads
                               + np.asarray(outputs["style"]), atol=1e-5)
    model.cluster_heads.assign(np.zeros_like(heads))
    # Ten coinciding heads: 45 pairs, each the full threshold.
    np.testing.assert_allclose(model.extra_reconstruction_cost(), 45 * 3.0, rtol=1e-5)


# ----------------------------------------------------------------------------- supervised
def test_supervised_style_grid_decodes_each_style_with_every_label():
    model = make_model(TestSupervisedAAEContract.CASES["gaussian_mlp"])
    codes = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    grid = np.asarray(model.style_grid(codes))
    assert grid.shape == (20, 8, 8, 1)
    np.testing.assert_allclose(grid[13], model.decode(codes[1:2], tf.constant([3]))[0],
                               atol=1e-5)


# ----------------------------------------------------------------------------- configs, end to end
def test_every_aae_family_config_validates():
    names = ["ssaae_fashion_mnist_100", "ssaae_fashion_mnist_1000",
             "clustering_aae_fashion_mnist_16", "clustering_aae_fashion_mnist_30",
             "label_regularized_aae_digits", "label_regularized_aae_swissroll_digits",
             "label_regularized_aae_fashion_mnist",
             "label_regularized_aae_swissroll_fashion_mnist", "aae_mixture_fashion_mnist",
             "vae_mixture_fashion_mnist",
             "supervised_aae_digits", "dim_reduction_aae_fashion_mnist", "vae_mixture_digits",
             "tiny/ssaae_digits", "tiny/label_regularized_aae_digits",
             "tiny/supervised_aae_digits"]
    for name in names:
        config = load_config(os.path.join(REPO, "configs", f"{name}.yaml"))
        assert config["model"]["class"]


def test_vae_with_the_mixture_prior_uses_the_monte_carlo_kl():
    case = {"model": {"class": "VAE", "latent_dim": 2, "encoder": TINY_MLP, "decoder": TINY_MLP,
                      "kl_estimator": "monte_carlo"},
            "prior": {"name": "gaussian_mixture", "num_components": 10}, "shape": SHAPE}
    model = make_model(case)
    history = model.fit(tf.data.Dataset.from_tensors(make_batch(case)), epochs=1, verbose=0)
    assert np.isfinite(history.history["kl_loss"][-1])


@pytest.mark.parametrize("name, signatures", [
    ("ssaae_digits", {"classify", "encode", "decode", "generate", "reconstruct"}),
    pytest.param("label_regularized_aae_digits", {"encode", "decode", "generate", "reconstruct"},
                 marks=pytest.mark.slow),
    pytest.param("supervised_aae_digits", {"encode", "decode", "generate", "reconstruct"},
                 marks=pytest.mark.slow),
])
def test_tiny_runs_train_write_pictures_and_export(name, signatures, tmp_path):
    from tfhybrids.training.runner import train

    config = load_config(os.path.join(REPO, "configs", "tiny", f"{name}.yaml"))
    metrics = train(config, str(tmp_path), log=lambda *a: None)
    assert all(np.isfinite(v) for v in metrics["test"].values())
    assert os.path.exists(os.path.join(str(tmp_path), "samples.png"))
    loaded = tf.saved_model.load(os.path.join(str(tmp_path), metrics["export"]))
    assert signatures <= set(loaded.signatures)
    if "classify" in signatures:
        out = loaded.signatures["classify"](images=tf.zeros([2, 8, 8, 1]))
        assert out["probabilities"].shape == (2, 10)


# ----------------------------------------------------------------------------- the benchmark script
def _benchmark_module():
    import sys

    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    import aae_family

    return aae_family


def _record(part, seed, steps, result=None):
    aae_family = _benchmark_module()
    return {"part": part, "seed": seed, "steps": aae_family.part_steps(part, steps),
            "result": result, "wall_seconds": 2.0, "cpu_seconds": 1.0, "commit": "abc",
            "machine": "test", "overrides": aae_family.seed_overrides(part, seed)}


def test_aae_family_benchmark_resumes_by_skipping_finished_part_seed_results(tmp_path):
    aae_family = _benchmark_module()
    steps = dict(aae_family.STEPS)
    seeds_of = {"semi": (0, 1), "prior": (0, 1, 2)}
    everything = [("semi", 0), ("semi", 1), ("prior", 0), ("prior", 1), ("prior", 2)]
    assert aae_family.pending(str(tmp_path), seeds_of, steps) == everything

    aae_family.store_result(str(tmp_path), _record("semi", 0, steps))
    aae_family.store_result(str(tmp_path), _record("prior", 1, steps))
    # Trained for other step counts (a --scale smoke run): not the result asked for.
    aae_family.store_result(str(tmp_path), _record("prior", 0, dict(steps, prior=3)))
    # A run killed while writing its file by hand, or a half-written file: not finished.
    (tmp_path / "results-prior-seed2.json").write_text('{"part": "prior", "se')
    assert aae_family.pending(str(tmp_path), seeds_of, steps) == [
        ("semi", 1), ("prior", 0), ("prior", 2)]
    # Another part's step count does not matter to the semi part.
    assert ("semi", 0) not in aae_family.pending(str(tmp_path), seeds_of,
                                                 dict(steps, prior=3))
    assert not list(tmp_path.glob("*.tmp"))


def test_aae_family_benchmark_processes_skip_a_part_seed_another_live_process_trains(tmp_path):
    aae_family = _benchmark_module()
    out = str(tmp_path)
    assert aae_family.claim(out, "semi", 0) and aae_family.claim(out, "semi", 0)
    # Held by a live process (this one's parent): not ours.
    (tmp_path / "results-semi-seed1.json.running").write_text(str(os.getppid()))
    assert not aae_family.claim(out, "semi", 1)
    # Held by a process that has died (a killed run): taken over.
    (tmp_path / "results-semi-seed2.json.running").write_text("999999999")
    assert aae_family.claim(out, "semi", 2)
    aae_family.release(out, "semi", 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "results-semi-seed1.json.running", "results-semi-seed2.json.running"]


def test_aae_family_verdicts_hold_only_when_every_seed_agrees():
    aae_family = _benchmark_module()
    steps = dict(aae_family.STEPS)

    def semi(baseline_1000, ssaae_1000):
        # At its end the 100-label baseline (0.34) is worse than the SSAAE (0.28), over the
        # second half of the checkpoints (steps 10 and 15) it is better (0.295 vs 0.30).
        return [{"labels": 100, "baseline": 0.34, "ssaae": 0.28,
                 "ssaae_curve": [[5, 0.20], [10, 0.32], [15, 0.28]],
                 "baseline_curve": [[5, 0.30], [10, 0.25], [15, 0.34]]},
                {"labels": 1000, "baseline": baseline_1000, "ssaae": ssaae_1000}]

    even, uneven = [0.1] * 10, [0.5, 0.5] + [0.0] * 8
    coverage = {"components_filled": 10}
    prior = {"AAE": {"shares": even, "mmd2": 0.001, "coverage": coverage},
             "VAE": {"shares": uneven, "mmd2": 0.05, "coverage": coverage}}
    records = {"semi": {0: _record("semi", 0, steps, semi(0.19, 0.18)),
                        1: _record("semi", 1, steps, semi(0.19, 0.20)),
                        2: _record("semi", 2, steps, semi(0.19, 0.17))},
               "prior": {0: _record("prior", 0, steps, prior)}}
    checks = aae_family.claim_checks(records)
    verdicts = {claim: aae_family.verdict(per_seed) for claim, per_seed in checks.items()}
    assert verdicts == {
        "SSAAE beats the NN baseline, 100 labels (lower test error)": "holds (3 of 3 seeds)",
        "SSAAE beats the NN baseline, 100 labels (mean test error over the second half of "
        "the checkpoints)": "does not hold (0 of 3 seeds)",
        "SSAAE beats the NN baseline, 1000 labels (lower test error)":
            "does not hold (2 of 3 seeds)",
        "AAE fills the ten components more evenly than the VAE (total variation of the "
        "shares from uniform)": "holds (1 of 1 seeds)",
        "AAE's test codes are closer to prior samples than the VAE's (MMD^2)":
            "holds (1 of 1 seeds)"}
    assert aae_family.late_mean([[5, 0.20], [10, 0.32], [15, 0.28]]) == pytest.approx(0.30)
    assert aae_family.total_variation(uneven) == pytest.approx(0.8)
    assert aae_family.mean_std([0.1, 0.2, 0.3], 100, suffix="%") == "20.00% ± 10.00%"
