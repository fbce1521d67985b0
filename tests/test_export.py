"""Every registered model exports SavedModel signatures that TF Serving's loaders can run.

The per-model checks run over every class in `tfhybrids.models.MODELS`, each with a case
taken from its own contract test (the `CASES` of the `ModelContract` subclasses in
tests/test_*.py), so a new model is covered as soon as it has a contract test. For every
export, one fresh Python process that never imports tfhybrids
- prints it with `saved_model_cli show --all`'s own code,
- runs every signature with the session-based loader (what `saved_model_cli run` and TF
  Serving's C++ loader use), and `saved_model_cli run`'s own function on serving_default,
- feeds each signature a wrongly shaped input the way the server does (no Python-side
  check) and records the error,
- loads it with `tf.saved_model.load` and runs every signature;
and the outputs are compared with the in-memory model's. The REST round trip goes through
the client's own code: request body -> what the server feeds -> the served outputs -> the
server's response body -> the client's outputs.
"""

import glob
import importlib
import json
import os
import subprocess
import sys
import traceback

import keras
import numpy as np
import pytest
import tensorflow as tf

from model_harness import ModelContract, make_batch, make_model, signature_case
from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.export import existing_versions, export_model, serving_functions
from tfhybrids.export import saved_model
from tfhybrids.export.saved_model import DESCRIPTION_FILE
from tfhybrids.models import MODELS
from tfhybrids.serving import rest
from tfhybrids.serving.signatures import prepare_inputs, read_saved_model_signatures

TESTS = os.path.dirname(os.path.abspath(__file__))
OWN_MODULES = {"test_export", "test_serving_client"}


def contract_cases():
    """({model class: [(contract class, case name, case)]}, {module: import error})."""
    cases, errors = {}, {}
    for path in sorted(glob.glob(os.path.join(TESTS, "test_*.py"))):
        module_name = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            if module_name in OWN_MODULES or "ModelContract" not in f.read():
                continue
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # noqa: BLE001 - reported by the coverage test
            errors[module_name] = f"{type(error).__name__}: {error}"
            continue
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, ModelContract)
                    and value is not ModelContract):
                for case_name, case in sorted(value.CASES.items()):
                    cases.setdefault(case["model"]["class"], []).append(
                        (value.__name__, case_name, case))
    return cases, errors


CASES, IMPORT_ERRORS = contract_cases()


def export_cases():
    """{export key: case}: one case per model class, an image case where there is one, plus
    one 2-D point case (the `points` naming)."""
    chosen = {}
    for cls, entries in sorted(CASES.items()):
        images = [e for e in entries if len(e[2]["shape"]) == 3]
        chosen[cls] = (images or entries)[0][2]
    points = [e[2] for cls in sorted(CASES) for e in CASES[cls] if len(e[2]["shape"]) == 1]
    if points:
        chosen[f"{points[0]['model']['class']}-points"] = points[0]
    return chosen


EXPORT_CASES = export_cases()


def signature_inputs(specs, case, batch=3):
    """Inputs for a signature, by input name; row 2 repeats row 0 for every input."""
    rng = np.random.default_rng(11)
    x, y = make_batch(case, batch_size=batch, seed=5)
    inputs = {}
    for spec in specs:
        shape = [batch, *spec.shape[1:]]
        if spec.name == "images":
            value = (make_batch(signature_case(case, spec), batch_size=batch, seed=5)[0]
                     + 1.0) / 2.0
        elif spec.name == "points":
            value = x
        elif spec.name == "seeds":
            value = np.array([5, 6, 5])
        elif spec.name == "labels":
            value = y
        elif spec.dtype.is_integer:
            value = rng.integers(0, case.get("num_classes", 10), size=shape)
        else:
            value = rng.normal(size=shape)
        value = np.array(value, dtype=spec.dtype.as_numpy_dtype).reshape(shape)
        value[2] = value[0]
        inputs[spec.name] = value
    return inputs


CHECKER = r'''
import contextlib, io, json, os, sys
import numpy as np
import tensorflow as tf
from tensorflow.python.tools import saved_model_cli

# Two cores shared by the whole test run: TF's thread pools only add waiting here.
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
session_config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=1,
                                          intra_op_parallelism_threads=1)
manifest = json.load(open(sys.argv[1]))
for item in manifest:
    path, inputs = item["path"], dict(np.load(item["inputs"]))
    report = {"errors": {}}
    outputs = {}
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        saved_model_cli._show_all(path)
    report["show"] = buffer.getvalue()

    graph = tf.Graph()
    with tf.compat.v1.Session(graph=graph, config=session_config) as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], path)
        for name in item["signatures"]:
            signature = meta_graph.signature_def[name]
            keys = sorted(signature.outputs)
            feed = {signature.inputs[k].name: inputs[name + "/" + k] for k in signature.inputs}
            values = session.run([signature.outputs[k].name for k in keys], feed_dict=feed)
            outputs.update({"session/" + name + "/" + k: v for k, v in zip(keys, values)})
            # A wrongly shaped first input, fed as TF Serving feeds it: straight to the
            # graph, with no Python-side shape check in between.
            first = sorted(signature.inputs)[0]
            good = inputs[name + "/" + first]
            bad = (np.concatenate([good, good[..., :1]], axis=-1) if good.ndim > 1
                   else good[:, None])
            fed = {graph.get_tensor_by_name(signature.inputs[k].name)._as_tf_output():
                   bad if k == first else inputs[name + "/" + k] for k in signature.inputs}
            fetch = [graph.get_tensor_by_name(signature.outputs[keys[0]].name)._as_tf_output()]
            try:
                session._call_tf_sessionrun(None, fed, fetch, [], None)
                report["errors"][name] = "no error for " + str(bad.shape)
            except tf.errors.InvalidArgumentError as error:
                report["errors"][name] = error.message

    if item["cli_out"]:
        # saved_model_cli run's own function (it loads the model once more, so only once).
        default = {k.split("/", 1)[1]: v for k, v in inputs.items()
                   if k.startswith("serving_default/")}
        with contextlib.redirect_stdout(io.StringIO()):
            saved_model_cli.run_saved_model_with_feed_dict(
                path, "serve", "serving_default", default, item["cli_out"], True)

    loaded = tf.saved_model.load(path)
    for name in item["signatures"]:
        function = loaded.signatures[name]
        names = function.structured_input_signature[1]
        result = function(**{k: tf.constant(inputs[name + "/" + k]) for k in names})
        outputs.update({"fresh/" + name + "/" + k: v.numpy() for k, v in result.items()})
    np.savez(item["outputs"], **outputs)
    with open(item["report"], "w") as f:
        json.dump(report, f)

leaked = sorted(m for m in sys.modules if m.split(".")[0] == "tfhybrids")
assert not leaked, leaked
'''


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Exports one model per case and runs the fresh-process checks on all of them."""
    base = tmp_path_factory.mktemp("exports")
    work = tmp_path_factory.mktemp("checks")
    results, manifest = {}, []
    for key, case in EXPORT_CASES.items():
        entry = results[key] = {"case": case}
        try:
            model = make_model(case)
            functions = serving_functions(model)
            inputs = {name: signature_inputs(specs, case)
                      for name, (_, specs) in functions.items()}
            expected = {}
            for name, (function, specs) in functions.items():
                out = function(*[tf.constant(inputs[name][s.name]) for s in specs])
                expected[name] = {k: v.numpy() for k, v in out.items()}
            path = export_model(model, str(base), key.lower())
        except Exception:  # noqa: BLE001 - reported by this model's test
            entry["error"] = traceback.format_exc()
            continue
        entry.update(model=model, functions=functions, inputs=inputs, expected=expected,
                     path=path)
        flat = {f"{name}/{k}": v for name, values in inputs.items() for k, v in values.items()}
        stem = os.path.join(str(work), key)
        np.savez(stem + "-inputs.npz", **flat)
        cli_out = None if manifest else stem + "-cli"
        manifest.append({"path": path, "inputs": stem + "-inputs.npz",
                         "outputs": stem + "-outputs.npz", "report": stem + ".json",
                         "cli_out": cli_out, "signatures": sorted(functions)})
        entry.update(outputs_file=stem + "-outputs.npz", report_file=stem + ".json",
                     cli_out=cli_out)
    with open(os.path.join(str(work), "manifest.json"), "w") as f:
        json.dump(manifest, f)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ""}
    checker = subprocess.run(
        [sys.executable, "-c", CHECKER, os.path.join(str(work), "manifest.json")],
        capture_output=True, text=True, env=env, cwd=str(work))
    for entry in results.values():
        if "path" not in entry:
            continue
        if not os.path.exists(entry["report_file"]):
            entry["error"] = f"the fresh-process check failed:\n{checker.stderr[-3000:]}"
            continue
        with open(entry["report_file"]) as f:
            entry["report"] = json.load(f)
        with np.load(entry["outputs_file"]) as served:
            entry["served"] = {k: served[k] for k in served.files}
    results["_checker"] = checker
    return results


def _entry(exported, key):
    entry = exported[key]
    if "error" in entry:
        pytest.fail(f"{key}: {entry['error']}")
    return entry


def test_every_registered_model_has_a_contract_case_to_export():
    assert not IMPORT_ERRORS, f"test modules that failed to import: {IMPORT_ERRORS}"
    missing = sorted(set(MODELS) - set(CASES))
    assert not missing, (f"models without a ModelContract case in tests/test_*.py, so their "
                         f"export is untested: {missing}")


def test_the_fresh_process_never_imports_tfhybrids(exported):
    checker = exported["_checker"]
    assert checker.returncode == 0, checker.stderr[-3000:]


@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_signatures_follow_the_models_capabilities(exported, key):
    entry = _entry(exported, key)
    model, functions = entry["model"], entry["functions"]
    expected = {"serving_default"}
    if hasattr(model, "encode_outputs"):
        expected |= {"encode", "reconstruct"}
    if hasattr(model, "decode") and getattr(model, "latent_dim", None):
        expected.add("decode")
        if hasattr(model, "sample_prior"):
            expected.add("generate")
    expected |= set(model.extra_serving_functions())
    assert set(functions) == expected
    # serving_default is the model's main use: its declared default, else encode/generate.
    default = getattr(model, "default_signature", None) or (
        "encode" if "encode" in functions else "generate")
    assert functions["serving_default"] is functions[default]

    served = read_saved_model_signatures(entry["path"])
    assert set(served) == expected
    data = "images" if len(entry["case"]["shape"]) == 3 else "points"
    for name, (_, specs) in functions.items():
        signature = served[name]
        assert signature.method_name == "tensorflow/serving/predict"
        assert list(signature.inputs) == sorted(s.name for s in specs)
        for spec in specs:
            info = signature.inputs[spec.name]
            assert info.numpy_dtype == spec.dtype.as_numpy_dtype
            # A free batch and every other dimension fixed: what the server can check.
            assert info.shape == (None, *spec.shape[1:]), (name, spec.name)
            assert all(d is not None for d in info.shape[1:])
        assert set(signature.outputs) == set(entry["expected"][name]), name
        for output, info in signature.outputs.items():
            assert info.shape is not None and info.shape[0] is None, (name, output)
            assert entry["expected"][name][output].shape[1:] == info.shape[1:], (name, output)
            if output == data and data == "images":
                assert info.shape[1:] == tuple(model.image_shape)


@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_saved_model_cli_shows_every_signature_with_its_inputs(exported, key):
    entry = _entry(exported, key)
    shown = entry["report"]["show"]
    for name, (_, specs) in entry["functions"].items():
        assert f"signature_def['{name}']:" in shown
        for spec in specs:
            dims = ", ".join(["-1", *[str(d) for d in spec.shape[1:]]])
            assert f"inputs['{spec.name}'] tensor_info:" in shown
            assert f"shape: ({dims})" in shown, (name, spec.name, dims)
        for output in entry["expected"][name]:
            assert f"outputs['{output}'] tensor_info:" in shown


@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_served_outputs_equal_the_in_memory_model(exported, key):
    """Session-based loader (TF Serving's), saved_model_cli run, and tf.saved_model.load in
    a process without tfhybrids: every signature gives what the model gives."""
    entry = _entry(exported, key)
    served = entry["served"]
    for name, outputs in entry["expected"].items():
        for output, value in outputs.items():
            for loader in ("session", "fresh"):
                np.testing.assert_allclose(served[f"{loader}/{name}/{output}"], value,
                                           atol=1e-5, err_msg=f"{loader} {name}/{output}")
    # The model dir holds the version and nothing else: the temporary dir was renamed.
    assert os.listdir(os.path.dirname(entry["path"])) == ["1"]


def test_saved_model_cli_run_gives_the_in_memory_outputs(exported):
    (entry,) = [e for e in exported.values() if isinstance(e, dict) and e.get("cli_out")]
    for output, value in entry["expected"]["serving_default"].items():
        cli = np.load(os.path.join(entry["cli_out"], f"{output}.npy"))
        np.testing.assert_allclose(cli, value, atol=1e-5, err_msg=f"saved_model_cli {output}")


@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_randomness_is_reproducible(exported, key):
    entry = _entry(exported, key)
    served = entry["served"]
    if "generate" in entry["functions"]:
        # Inputs [a, b, a]: the same seed (and condition) gives the same sample.
        for output in entry["expected"]["generate"]:
            value = served[f"session/generate/{output}"]
            np.testing.assert_allclose(value[2], value[0], atol=1e-6, err_msg=output)
            assert not np.allclose(value[1], value[0]), output
    if "encode" in entry["functions"] and "sample" in entry["expected"]["encode"]:
        sample = served["session/encode/sample"]
        np.testing.assert_allclose(sample, served["fresh/encode/sample"], atol=1e-6)
        assert not np.allclose(sample, served["session/encode/mean"])


@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_a_wrong_shape_fails_at_the_signature_with_the_expected_shape(exported, key):
    entry = _entry(exported, key)
    for name, (_, specs) in entry["functions"].items():
        message = entry["report"]["errors"][name]
        first = min(specs, key=lambda s: s.name)
        expected = "[?," + ",".join(str(d) for d in first.shape[1:]) + "]"
        assert "is not compatible with expected shape" in message, (name, message)
        assert expected.replace(",]", "]") in message, (name, message)


@pytest.mark.parametrize("fmt", ["inputs", "instances"])
@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_rest_round_trip_through_the_client_code(exported, key, fmt):
    entry = _entry(exported, key)
    signatures = read_saved_model_signatures(entry["path"])
    for name, inputs in entry["inputs"].items():
        signature = signatures[name]
        body = json.loads(rest.dumps(rest.request_body(name, prepare_inputs(signature, inputs),
                                                       fmt)))
        assert body["signature_name"] == name
        fed = rest.inputs_from_request_body(body, signature)
        assert set(fed) == set(inputs)
        for k, value in inputs.items():
            assert fed[k].dtype == value.dtype, (name, k)
            np.testing.assert_array_equal(fed[k], value, err_msg=f"{name}/{k}")
        served = {k: entry["served"][f"session/{name}/{k}"] for k in signature.outputs}
        answer = json.loads(rest.dumps(rest.response_body_from_outputs(served, fmt)))
        assert set(answer) == {"outputs" if fmt == "inputs" else "predictions"}
        got = rest.outputs_from_response_body(answer, signature)
        for k, value in entry["expected"][name].items():
            assert got[k].dtype == signature.outputs[k].numpy_dtype
            np.testing.assert_allclose(got[k], value, atol=1e-5, err_msg=f"{name}/{k}")


@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_the_client_refuses_wrong_names_dtypes_and_shapes(exported, key):
    entry = _entry(exported, key)
    signatures = read_saved_model_signatures(entry["path"])
    for name, inputs in entry["inputs"].items():
        signature = signatures[name]
        first = sorted(inputs)[0]
        renamed = {**inputs, first + "x": inputs[first]}
        del renamed[first]
        with pytest.raises(ShapeError, match=f"has no input '{first}x'. Did you mean '{first}'"):
            prepare_inputs(signature, renamed)
        value = inputs[first]
        wrong_dtype = value.astype(bool) if value.dtype.kind == "f" else value + 0.5
        with pytest.raises(ShapeError, match=f"input '{first}' takes"):
            prepare_inputs(signature, {**inputs, first: wrong_dtype})
        wrong_shape = np.concatenate([value, value[..., :1]], axis=-1) if value.ndim > 1 \
            else value[:, None]
        shape_text = ", ".join(["batch", *[str(d) for d in value.shape[1:]]])
        with pytest.raises(ShapeError, match=rf"input '{first}' expects shape \({shape_text}"):
            prepare_inputs(signature, {**inputs, first: wrong_shape})


@pytest.mark.parametrize("key", sorted(EXPORT_CASES))
def test_the_export_documents_every_signature(exported, key):
    entry = _entry(exported, key)
    with open(os.path.join(entry["path"], DESCRIPTION_FILE)) as f:
        description = json.load(f)
    assert description["model_class"] == entry["case"]["model"]["class"]
    assert set(description["signatures"]) == set(entry["functions"])
    for name, documented in description["signatures"].items():
        assert documented["description"], name
        _, specs = entry["functions"][name]
        assert set(documented["inputs"]) == {s.name for s in specs}
        assert set(documented["outputs"]) == set(entry["expected"][name])
        for spec in specs:
            assert documented["inputs"][spec.name]["shape"] == [None, *spec.shape[1:]]


# ----------------------------------------------------------------------- the export path
VAE_CASE = {"model": {"class": "VAE", "latent_dim": 2, "encoder": {"type": "mlp",
                                                                   "hidden_units": [8]},
                      "decoder": {"type": "mlp", "hidden_units": [8]}},
            "shape": (8, 8, 1)}


@pytest.fixture(scope="module")
def vae():
    return make_model(VAE_CASE)


def test_keras_reload_serves_the_same_outputs(tmp_path):
    """`tfhybrids export` exports a run's model.keras: its signatures (prior included) must
    give what the trained model gives. (Every model's .keras round trip of `call` is in the
    contract harness.)"""
    case = {"model": {"class": "AAE", "latent_dim": 2, "encoder": {"type": "mlp",
                                                                   "hidden_units": [8]},
                      "decoder": {"type": "mlp", "hidden_units": [8]},
                      "discriminator": {"type": "mlp", "hidden_units": [8]}},
            "prior": {"name": "gaussian_mixture", "num_components": 10}, "shape": (8, 8, 1)}
    model = make_model(case)
    model.save(str(tmp_path / "model.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "model.keras"))
    original, reloaded = serving_functions(model), serving_functions(loaded)
    assert set(original) == set(reloaded)
    for name, (function, specs) in original.items():
        inputs = signature_inputs(specs, case)
        args = [tf.constant(inputs[s.name]) for s in specs]
        expected, got = function(*args), reloaded[name][0](*args)
        for k in expected:
            np.testing.assert_allclose(got[k], expected[k], atol=1e-5, err_msg=f"{name}/{k}")


def _fake_write(model, functions, path):
    os.makedirs(path)
    open(os.path.join(path, "saved_model.pb"), "wb").close()


def test_versions_increase_and_are_never_overwritten(vae, tmp_path, monkeypatch):
    # The layout logic only: a real SavedModel is written by every per-model test above.
    monkeypatch.setattr(saved_model, "_write_saved_model", _fake_write)
    base = str(tmp_path)
    assert export_model(vae, base, "vae").endswith(os.path.join("vae", "1"))
    assert export_model(vae, base, "vae", version=5).endswith(os.path.join("vae", "5"))
    assert export_model(vae, base, "vae").endswith(os.path.join("vae", "6"))
    assert existing_versions(os.path.join(base, "vae")) == [1, 5, 6]
    # Nothing but the version directories: the temporary directory was renamed away.
    assert sorted(os.listdir(os.path.join(base, "vae"))) == ["1", "5", "6"]
    with pytest.raises(ConfigError, match="already exists; TF Serving versions are immutable"):
        export_model(vae, base, "vae", version=5)
    for bad in (0, -1, True, 1.5, "2"):
        with pytest.raises(ConfigError, match="positive integer"):
            export_model(vae, base, "vae", version=bad)
    for bad in ("my model", ".hidden", "a/b"):
        with pytest.raises(ConfigError, match="export name"):
            export_model(vae, base, bad)


def test_a_killed_exports_temporary_directory_is_removed_by_the_next(vae, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(saved_model, "_write_saved_model", _fake_write)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / "vae" / f".tmp-1-{dead}"
    live = tmp_path / "vae" / f".tmp-9-{os.getppid()}"   # another exporter, still running
    stale.mkdir(parents=True)
    live.mkdir()
    assert export_model(vae, str(tmp_path), "vae").endswith(os.path.join("vae", "1"))
    assert sorted(os.listdir(tmp_path / "vae")) == sorted(["1", live.name])


def test_a_failed_export_leaves_no_version_and_no_temporary_files(vae, tmp_path, monkeypatch):
    def broken(model, functions, path):
        _fake_write(model, functions, path)
        raise OSError("disk full")

    monkeypatch.setattr(saved_model, "_write_saved_model", broken)
    with pytest.raises(OSError, match="disk full"):
        export_model(vae, str(tmp_path), "vae")
    assert os.listdir(tmp_path / "vae") == []


def test_a_single_example_generates_the_same_as_in_a_batch(vae):
    functions = serving_functions(vae)
    generate, _ = functions["generate"]
    alone = generate(tf.constant([7], tf.int64))["images"][0]
    batched = generate(tf.constant([3, 7, 9], tf.int64))["images"][1]
    np.testing.assert_allclose(alone, batched, atol=1e-6)
    # The encoder's sample noise depends on the row only: row 0 alone == row 0 of a batch.
    encode, _ = functions["encode"]
    x = (make_batch(VAE_CASE, batch_size=3)[0] + 1.0) / 2.0
    one = encode(tf.constant(x[:1]))["sample"][0]
    np.testing.assert_allclose(one, encode(tf.constant(x))["sample"][0], atol=1e-6)
    out = encode(tf.constant(x))
    noise = (out["sample"] - out["mean"]) / tf.exp(0.5 * out["log_var"])
    expected_row0 = tf.random.stateless_normal([2], seed=[0, 0])
    np.testing.assert_allclose(noise[0], expected_row0, atol=1e-5)


def test_the_signature_checks_shapes_when_called_directly(vae):
    encode, _ = serving_functions(vae)["encode"]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"\[3,28,28,1\] is not compatible with expected shape \[\?,8,8,1\]"):
        encode(tf.zeros([3, 28, 28, 1]))


def test_model_hooks_add_signatures_and_choose_the_default(tmp_path):
    model = make_model(VAE_CASE)
    spec = tf.TensorSpec([None, 8, 8, 1], tf.float32, name="images")

    def classify(images):
        """Probabilities of two made-up classes (bright, dark)."""
        bright = tf.reduce_mean(images, axis=[1, 2, 3])
        return {"probabilities": tf.stack([bright, 1.0 - bright], axis=1),
                "labels": tf.cast(bright < 0.5, tf.int32)}

    model.extra_serving_functions = lambda: {"classify": (classify, [spec])}
    model.default_signature = "classify"
    path = export_model(model, str(tmp_path), "vae")
    loaded = tf.saved_model.load(path)
    assert {"classify", "encode", "serving_default"} <= set(loaded.signatures)
    images = np.full([2, 8, 8, 1], 0.25, np.float32)
    out = loaded.signatures["serving_default"](images=tf.constant(images))
    np.testing.assert_allclose(out["probabilities"], [[0.25, 0.75]] * 2, atol=1e-6)
    np.testing.assert_array_equal(out["labels"], [1, 1])
    with open(os.path.join(path, DESCRIPTION_FILE)) as f:
        description = json.load(f)
    assert description["serving_default"] == "classify"
    assert description["signatures"]["classify"]["description"] == (
        "Probabilities of two made-up classes (bright, dark).")


@pytest.mark.parametrize("hook, message", [
    (lambda: {"bad": (lambda x: {"y": x}, [tf.TensorSpec([None, 2], tf.float32)])},
     "every input needs a unique name"),
    (lambda: {"bad": (lambda x: {"y": x}, [tf.TensorSpec([4, 2], tf.float32, name="x")])},
     "free batch dimension"),
    (lambda: {"bad": (lambda x: {"y": x}, [tf.TensorSpec([None, None], tf.float32, name="x")])},
     "fixed other dimensions"),
    (lambda: {"bad name": (lambda x: {"y": x}, [tf.TensorSpec([None], tf.float32, name="x")])},
     "signature name 'bad name'"),
    (lambda: {"bad": (lambda x: x, [tf.TensorSpec([None], tf.float32, name="x")])},
     "must return a non-empty dict of named tensors"),
    (lambda: {"bad": lambda x: x}, r"expected \(fn, \[tf.TensorSpec"),
])
def test_malformed_hooks_are_refused_with_the_reason(vae, hook, message, tmp_path,
                                                     monkeypatch):
    monkeypatch.setattr(vae, "extra_serving_functions", hook, raising=False)
    with pytest.raises((TypeError, ValueError), match=message):
        export_model(vae, str(tmp_path), "vae")
    assert not os.path.exists(tmp_path / "vae" / "1")
