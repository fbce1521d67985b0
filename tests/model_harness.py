"""The shared harness every model runs through.

A model's test module subclasses `ModelContract` and fills in `CASES` (small configs for the
model) and `METRIC_NAMES` (what train_step/test_step report, exactly):

    class TestVAEContract(ModelContract):
        METRIC_NAMES = {"loss", "recon_loss", "kl_loss"}
        CASES = {"mlp": {"model": {...}, "prior": {...}, "shape": (8, 8, 1)}}

Every `test_*` method below then runs once per case (conftest.py parametrises `case_name`
from the class's CASES). A case may also give "num_classes" and "optimizers". Models that
need labels get int32 labels in [0, num_classes).
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfhybrids.export import export_model, serving_functions
from tfhybrids.priors import make_prior
from tfhybrids.training.config import model_class, validate


def make_model(case, seed=0, strategy=None):
    """Builds and compiles the model of `case` (under `strategy` when given)."""
    config = validate({
        "model": case["model"],
        # Validated (a real source's name), never loaded: each case gives its own shape.
        "data": {"name": "digits"},
        "prior": case.get("prior"),
        "optimizers": case.get("optimizers", {}),
    })
    cls = model_class(config["model"])
    latent_dim = config["model"].get("latent_dim")
    prior = None
    if latent_dim is not None:
        prior = make_prior(config["prior"] or {"name": "gaussian"}, latent_dim=latent_dim)
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        model = cls.from_settings(config["model"], prior, case["shape"],
                                  num_classes=case.get("num_classes", 10), seed=seed)
        model.compile(**config["optimizers"])
    return model


def make_batch(case, batch_size=8, seed=0):
    """A deterministic batch (x, y) of the case's data shape, x in [-1, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(batch_size, *case["shape"])).astype("float32")
    if len(case["shape"]) == 3:
        # Smooth images are closer to real data than white noise and give stable losses.
        x = np.tanh(2.0 * x.cumsum(axis=1) / np.sqrt(case["shape"][0])).astype("float32")
    y = rng.integers(0, case.get("num_classes", 10), size=(batch_size,)).astype("int32")
    return x, y


def signature_case(case, spec):
    """The case whose `make_batch` gives data for the signature input `spec`: the case itself,
    or, when the model's examples hold several images (CycleGAN's unpaired pairs
    [2, H, W, C]) and the signature takes one of them, the case in the signature's shape."""
    shape = tuple(spec.shape[1:])
    return case if shape == tuple(case["shape"]) else {**case, "shape": shape}


def make_dataset(case, batch_size=8, num_batches=2, seed=0):
    x, y = make_batch(case, batch_size * num_batches, seed)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size, drop_remainder=True)


def snapshot(variables):
    return [np.array(v.numpy(), copy=True) for v in variables]


def changed(before, variables):
    return [not np.allclose(b, v.numpy()) for b, v in zip(before, variables)]


def network_changes(case, frozen=(), num_batches=1):
    """Builds the case's model, sets the learning rate of the `frozen` optimizers to 0, fits
    one epoch of `num_batches` batches, and returns {network name: the largest absolute change
    of its trainable weights} (0.0 exactly for a network no update touched)."""
    model = make_model(case)
    for name in frozen:
        getattr(model, name).learning_rate.assign(0.0)
    networks = {name: getattr(model, name) for name in model.network_names}
    before = {name: snapshot(network.trainable_variables) for name, network in networks.items()}
    model.fit(make_dataset(case, num_batches=num_batches), epochs=1, verbose=0)
    return {name: max(float(np.max(np.abs(b - v.numpy())))
                      for b, v in zip(before[name], network.trainable_variables))
            for name, network in networks.items()}


def constant_network(network, logit):
    """Makes a network with one output value say `logit` for every input (zero weights, the
    output bias at `logit`), so that the losses built on it can be computed by hand."""
    for variable in network.trainable_variables:
        variable.assign(tf.zeros_like(variable))
    network.layers[-1].bias.assign([logit])


def constant_discriminator(model, logit):
    """Makes the model's discriminator output `logit` for every input."""
    constant_network(model.discriminator, logit)


def model_weights(model):
    """Every variable but the seed generator's state (which draws advance by design)."""
    return [v for v in model.weights if "seed_generator" not in v.path]


def unordered_updates_and_reported_losses(model, case):
    """The pairs (weight update, reported loss computed from that weight) of one traced train
    step that no data or control edge orders, one way or the other: [(update op name, loss
    tensor name)], empty when every loss the step reports is computed either before or after
    each update of a weight it reads.

    Such a loss may be computed by the graph before or after the update, depending on the
    run (Grappler's rewrites do it under load), so the same seed gives different figures.
    """
    reported = []
    original = model.update_trackers

    def recording(values, *args, **kwargs):
        reported.extend(t for t in tf.nest.flatten(values) if isinstance(t, tf.Tensor))
        return original(values, *args, **kwargs)

    model.update_trackers = recording
    x, y = make_batch(case)
    try:
        # Without autograph: tracing is several times faster, and the step has no tensor-
        # dependent Python control flow.
        graph = tf.function(model.train_step, autograph=False).get_concrete_function(
            (tf.TensorSpec(x.shape, tf.float32), tf.TensorSpec(y.shape, tf.int32))).graph
    finally:
        del model.update_trackers
    handles = [v.value.handle for v in model.trainable_variables]
    weights = {internal.name for external, internal in graph.captures
               if any(external is handle for handle in handles)}
    inputs = {op.name: [t.op.name for t in op.inputs] for op in graph.get_operations()}
    parents = {op.name: inputs[op.name] + [c.name for c in op.control_inputs]
               for op in graph.get_operations()}
    updates = {op.name: op.inputs[0].op.name for op in graph.get_operations()
               if op.type.startswith("Assign") and op.inputs and op.inputs[0].name in weights}
    assert updates, "found no weight update in the traced train step"

    def ancestors(name, edges=parents):
        seen, stack = set(), [name]
        while stack:
            for parent in edges[stack.pop()]:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    before = {update: ancestors(update) for update in updates}
    unordered = []
    for tensor in reported:
        after, reads = ancestors(tensor.op.name), ancestors(tensor.op.name, inputs)
        unordered.extend((update, tensor.name) for update, weight in updates.items()
                         if weight in reads and tensor.op.name not in before[update]
                         and update not in after)
    return unordered


class ModelContract:
    """The contract of STYLE.md, checked for every case of a subclass."""

    CASES = {}
    METRIC_NAMES = set()
    # With several cases, the one whose heaviest checks (1 vs 2 replicas, .keras reload) stay
    # in the default run (the others' run with `pytest -m slow`); None runs them all.
    DEFAULT_HEAVY_CASE = None
    # Heavy checks that run for no case by default, only with `pytest -m slow`: for a model
    # whose cheapest case makes them cost a large share of the 10-minute default run, or
    # whose train step another model's default check already covers.
    SLOW_HEAVY_CHECKS = ()

    def test_config_round_trip_gives_the_same_model(self, case_name):
        case = self.CASES[case_name]
        model = make_model(case)
        config = model.get_config()
        clone = type(model).from_config(config)
        assert clone.get_config() == config
        clone.set_weights(model.get_weights())
        x, y = make_batch(case)
        inputs = model.call_inputs(x, y)
        np.testing.assert_allclose(clone(inputs), model(inputs), atol=1e-6)

    def test_call_output_is_finite_and_shaped_like_the_data(self, case_name):
        case = self.CASES[case_name]
        model = make_model(case)
        x, y = make_batch(case)
        out = model(model.call_inputs(x, y))
        assert tuple(out.shape) == x.shape
        assert np.all(np.isfinite(out))
        if len(case["shape"]) == 3:
            assert np.all(np.abs(out) <= 1.0)

    def test_fit_step_updates_every_player_and_reports_its_metrics(self, case_name):
        case = self.CASES[case_name]
        model = make_model(case)
        players = {p: model.player_variables(p) for p in model.optimizer_names}
        before = {p: snapshot(v) for p, v in players.items()}
        history = model.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0)
        for player, variables in players.items():
            moved = changed(before[player], variables)
            stuck = [v.path for v, m in zip(variables, moved) if not m]
            assert not stuck, f"{player} did not update {stuck}"
            assert int(getattr(model, player).iterations.numpy()) == 1
        assert set(history.history) == self.METRIC_NAMES
        assert all(np.isfinite(v[-1]) for v in history.history.values())

    def test_train_step_under_mixed_bfloat16_reports_finite_float32_losses(self, case_name):
        # Eager, so that it costs no tracing: a dtype clash between bfloat16 activations and
        # float32 values raises here just as it would in the compiled step.
        from tfhybrids.training.runner import dtype_policy

        case = self.CASES[case_name]
        with dtype_policy("mixed_bfloat16"):
            model = make_model(case)
        logs = model.train_step(tuple(tf.constant(part) for part in make_batch(case)))
        assert set(logs) == self.METRIC_NAMES
        for name, value in logs.items():
            assert value.dtype == tf.float32, f"{name} is {value.dtype.name}, not float32"
            assert np.isfinite(value.numpy()), f"{name} is not finite under mixed_bfloat16"

    def test_evaluate_changes_no_weight(self, case_name):
        case = self.CASES[case_name]
        model = make_model(case)
        weights = model_weights(model)
        before = snapshot(weights)
        results = model.evaluate(make_dataset(case), return_dict=True, verbose=0)
        assert not any(changed(before, weights))
        assert set(results) == self.METRIC_NAMES
        assert all(np.isfinite(v) for v in results.values())

    def test_keras_save_and_reload_give_the_same_model(self, case_name, tmp_path):
        case = self.CASES[case_name]
        model = make_model(case)
        model.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0)
        path = os.path.join(tmp_path, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        x, y = make_batch(case, seed=3)
        inputs = model.call_inputs(x, y)
        np.testing.assert_allclose(loaded(inputs), model(inputs), atol=1e-5)
        for player in model.optimizer_names:
            original, restored = getattr(model, player), getattr(loaded, player)
            assert int(restored.iterations.numpy()) == int(original.iterations.numpy())
            for a, b in zip(original.variables, restored.variables):
                np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
        # A reloaded model keeps training.
        history = loaded.fit(make_dataset(case, num_batches=1), epochs=1, verbose=0)
        assert all(np.isfinite(v[-1]) for v in history.history.values())

    def test_two_replicas_match_one_device(self, case_name, two_cpu_strategy):
        """Same global batch, same seed: the same losses and weights after two steps."""
        case = self.CASES[case_name]
        single = make_model(case, seed=7)
        mirrored = make_model(case, seed=7, strategy=two_cpu_strategy)
        mirrored.set_weights(single.get_weights())
        dataset = make_dataset(case, batch_size=8, num_batches=2)
        logs_single = single.fit(dataset, epochs=1, verbose=0).history
        logs_mirrored = mirrored.fit(dataset, epochs=1, verbose=0).history
        for key in logs_single:
            np.testing.assert_allclose(logs_mirrored[key], logs_single[key], rtol=2e-4,
                                       atol=2e-4, err_msg=key)
        for a, b in zip(model_weights(single), model_weights(mirrored)):
            np.testing.assert_allclose(np.asarray(b.numpy()), a.numpy(), rtol=1e-3, atol=1e-4,
                                       err_msg=a.path)

    def test_export_signatures_match_the_model(self, case_name, tmp_path):
        """Each exported signature, reloaded, gives what the in-memory model gives."""
        case = self.CASES[case_name]
        model = make_model(case)
        path = export_model(model, str(tmp_path), "model")
        loaded = tf.saved_model.load(path)
        functions = serving_functions(model)
        assert set(loaded.signatures) == set(functions)
        x, y = make_batch(case, batch_size=3, seed=5)
        unit_x = (x + 1.0) / 2.0 if len(case["shape"]) == 3 else x
        for name, (function, input_signature) in functions.items():
            inputs = {}
            for spec in input_signature:
                if spec.name in ("images", "points") and signature_case(case, spec) is not case:
                    part, _ = make_batch(signature_case(case, spec), batch_size=3, seed=5)
                    inputs[spec.name] = tf.constant((part + 1.0) / 2.0)
                elif spec.name in ("images", "points"):
                    inputs[spec.name] = tf.constant(unit_x)
                elif spec.name == "seeds":
                    inputs[spec.name] = tf.constant([5, 6, 5], tf.int64)
                elif spec.name == "codes":
                    inputs[spec.name] = tf.random.stateless_normal(
                        [3, spec.shape[-1]], seed=[1, 2])
                elif spec.name == "labels":
                    inputs[spec.name] = tf.constant(y, spec.dtype)
                else:
                    raise AssertionError(f"no test input for signature input {spec.name}")
            served = loaded.signatures[name](**inputs)
            expected = function(*[inputs[s.name] for s in input_signature])
            assert set(served) == set(expected), name
            for key in expected:
                np.testing.assert_allclose(served[key], expected[key], atol=1e-5,
                                           err_msg=f"{name}/{key}")


# ------------------------------------------------------------------ shipped configs
class ShippedConfigs:
    """The checks of a model's shipped configs, mixed into its `ModelContract` subclass,
    which lists them in `CONFIGS` (names of configs/<name>.yaml and configs/tiny/<name>.yaml;
    conftest.py parametrises `config_name` from it) and names its export in `EXPORT_NAME`."""

    CONFIGS = ()
    EXPORT_NAME = None

    def test_configs_build_the_model(self, config_name):
        """The shipped configs validate and build (networks included) for their data's shape."""
        from conftest import REPO
        from tfhybrids.training.config import load_config

        for folder in ("configs", os.path.join("configs", "tiny")):
            config = load_config(os.path.join(REPO, folder, f"{config_name}.yaml"))
            data = config["data"]
            shape = ((2,) if data["name"] == "toy2d"
                     else (data.get("image_size", 28),) * 2 + (1,))
            latent_dim = config["model"]["latent_dim"]
            model = model_class(config["model"]).from_settings(
                config["model"],
                make_prior(config.get("prior") or {"name": "gaussian"}, latent_dim), shape)
            assert model.image_shape == shape

    @pytest.mark.slow
    def test_tiny_config_trains_end_to_end(self, config_name, tmp_path):
        """configs/tiny/<name>.yaml trains end to end, writes every output and the export,
        and its test metrics are exactly METRIC_NAMES."""
        import json

        from conftest import REPO
        from tfhybrids.data import fashion_mnist
        from tfhybrids.training.config import load_config
        from tfhybrids.training.runner import train

        config = load_config(os.path.join(REPO, "configs", "tiny", f"{config_name}.yaml"))
        if (config["data"]["name"] == "fashion_mnist"
                and not os.path.isdir(fashion_mnist.DEFAULT_PATH)):
            pytest.skip("needs `apt-get install dataset-fashion-mnist`")
        train(config, str(tmp_path), log=lambda message: None)
        for output in ("model.keras", "samples.png", "metrics.json",
                       f"export/{self.EXPORT_NAME}/1/saved_model.pb"):
            assert os.path.exists(tmp_path / output), output
        with open(tmp_path / "metrics.json") as f:
            assert set(json.load(f)["test"]) == self.METRIC_NAMES
