"""SavedModel export with named signatures, in TensorFlow Serving's layout.

`export_model(model, base_dir, name)` writes `<base_dir>/<name>/<version>/` where version is
the next integer (or the one given). The SavedModel is written to a hidden temporary
directory beside it and renamed into place, so a serving poller never sees half a version.
Every export is written with `keras.export.ExportArchive`, whose SavedModels load both with
`tf.saved_model.load` and with the session-based loader TF Serving and `saved_model_cli run`
use.

Conventions (the same for every model):
- Images go in and come out as **float32 in [0, 1]**, NHWC; the rescaling to the model's
  [-1, 1] happens inside the graph. A client holding uint8 pixels sends `pixels / 255`.
  (A signature input has one dtype, and [0, 1] floats are what image libraries, the
  tfhybrids data sources and the models' pictures all produce.) 2-D point data (models of
  the toy sets) is named `points` and passes through unscaled.
- Every input has a free batch dimension and every other dimension fixed, and the signature
  checks the shape it is given (`tf.ensure_shape`), so a wrong shape fails with
  "Shape of tensor ... [3,28,28,1] is not compatible with expected shape [?,8,8,1]" at the
  server, not with an error from deep inside the network. Float inputs holding NaN or Inf
  are refused the same way (InvalidArgumentError, INVALID_ARGUMENT from TF Serving: "...
  input 'codes' holds NaN or Inf values; send finite numbers : Tensor had NaN values").
- Every output is named; all outputs of a signature share the batch dimension, so TF
  Serving's row ("instances") format works for all of them.

Generic signatures, chosen by what the model can do (`encode_outputs`, `decode`,
`sample_prior`); a model adds or replaces signatures with `extra_serving_functions()`:

| signature   | inputs                                  | outputs                                 |
|-------------|-----------------------------------------|-----------------------------------------|
| encode      | images float32 [batch, H, W, C], [0, 1] | code, or mean, log_var and sample       |
| decode      | codes float32 [batch, latent_dim]       | images float32 [batch, H, W, C], [0, 1] |
| generate    | seeds int64 [batch]                     | images, codes: one sample per seed      |
| reconstruct | images float32 [batch, H, W, C], [0, 1] | images float32, [0, 1]                  |

Model-specific ones (added by the models): conditional `encode`/`decode`/`generate`/
`reconstruct` that also take `labels` (integer class ids [batch]), `classify` (images ->
`probabilities` [batch, num_classes] and `labels`), `translate_<a>_to_<b>` (CycleGAN), or
others such as AVAE's `vae_reconstruct`.

Randomness is reproducible. `generate` draws the code of row i from the prior with the
stateless seed seeds[i], so the same seed always gives the same image, whatever else is in
the batch. Any `encode` (generic or a model's own) that returns a Gaussian's `mean` and
`log_var` also returns `sample` = mean + exp(log_var / 2) * eps with a fixed noise: eps of
row i is N(0, I) drawn with the stateless seed (i, 0). The same batch therefore always gives
the same samples; for fresh draws, compute z from `mean` and `log_var` with noise of your own.

`serving_default` is the model's `default_signature` if it sets one, else `encode` for models
with an encoder, else `generate`.

A model's hook, `extra_serving_functions()`, returns {name: (fn, [tf.TensorSpec(shape,
dtype, name=...), ...])}: fn takes the inputs positionally, in the order of the specs, and
returns a dict of named tensors; the first paragraph of fn's docstring documents the
signature. Use `to_model_range`/`from_model_range` to convert images and `codes_from_seeds`
for prior draws, so the conventions above hold for every model.

Besides the SavedModel, each export holds `assets.extra/tfhybrids_signatures.json` (TF
Serving ignores `assets.extra/`): the model class, the conventions, and for each signature
its description and the names, dtypes and shapes of its inputs and outputs.
"""

import json
import numbers
import os
import re
import shutil

import keras
import tensorflow as tf

from tfhybrids.errors import ConfigError
from tfhybrids.export.layout import existing_versions
from tfhybrids.models.base import codes_from_seeds, data_name, from_model_range, to_model_range
from tfhybrids.faults import fault_point

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEMPORARY = re.compile(r"^\.tmp-\d+-(\d+)$")

DESCRIPTION_FILE = os.path.join("assets.extra", "tfhybrids_signatures.json")

SIGNATURE_DOCS = {
    "encode": "Encodes data to latent codes: `code` for a deterministic encoder; `mean`, "
              "`log_var` and `sample` (noise of row i from the fixed seed (i, 0)) for a "
              "Gaussian one.",
    "decode": "Decodes latent codes to data (images in [0, 1]).",
    "generate": "Draws one sample per seed: the code from the prior with the stateless seed "
                "seeds[i] (same seed, same sample) and its decoding.",
    "reconstruct": "Encodes and decodes data: the model's reconstruction (images in [0, 1]).",
}


def fixed_row_noise(like):
    """N(0, I) noise shaped like `like` [batch, d]; row i drawn with the stateless seed (i, 0).

    The noise of a row depends only on its position, so the same batch always gets the same
    noise: what makes the stochastic outputs of a signature reproducible.
    """
    like = tf.convert_to_tensor(like)
    width = like.shape[-1]

    def one(row):
        return tf.random.stateless_normal([width], seed=tf.stack([row, 0]))

    rows = tf.range(tf.shape(like)[0], dtype=tf.int32)
    return tf.map_fn(one, rows, fn_output_signature=tf.TensorSpec([width], tf.float32))


def _generic_functions(model):
    name = data_name(model)
    data_spec = tf.TensorSpec([None, *model.image_shape], tf.float32, name=name)
    functions = {}

    if hasattr(model, "encode_outputs"):
        def encode(inputs):
            return {k: tf.cast(v, tf.float32)
                    for k, v in model.encode_outputs(to_model_range(model, inputs)).items()}

        def reconstruct(inputs):
            return {name: from_model_range(model, model(to_model_range(model, inputs)))}

        encode.__doc__ = SIGNATURE_DOCS["encode"]
        reconstruct.__doc__ = SIGNATURE_DOCS["reconstruct"]
        functions["encode"] = (encode, [data_spec])
        functions["reconstruct"] = (reconstruct, [data_spec])

    latent_dim = getattr(model, "latent_dim", None)
    if hasattr(model, "decode") and latent_dim:
        code_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="codes")

        def decode(codes):
            return {name: from_model_range(model, model.decode(codes))}

        decode.__doc__ = SIGNATURE_DOCS["decode"]
        functions["decode"] = (decode, [code_spec])

        if hasattr(model, "sample_prior"):
            def generate(seeds):
                codes = codes_from_seeds(model, seeds)
                return {name: from_model_range(model, model.decode(codes)), "codes": codes}

            generate.__doc__ = SIGNATURE_DOCS["generate"]
            functions["generate"] = (generate, [tf.TensorSpec([None], tf.int64, name="seeds")])
    return functions


def _check_entry(model, name, entry):
    """Raises TypeError/ValueError naming the model and signature for a malformed entry."""
    where = f"{type(model).__name__}.extra_serving_functions()['{name}']"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{type(model).__name__}: signature name {name!r} must be letters, "
                         "digits and '_', not starting with a digit.")
    if (not isinstance(entry, (tuple, list)) or len(entry) != 2 or not callable(entry[0])
            or not isinstance(entry[1], (tuple, list))):
        raise TypeError(f"{where}: expected (fn, [tf.TensorSpec(..., name=...), ...]), "
                        f"got {entry!r}.")
    seen = set()
    for spec in entry[1]:
        if not isinstance(spec, tf.TensorSpec):
            raise TypeError(f"{where}: inputs must be tf.TensorSpec, got {spec!r}.")
        if not spec.name or not _NAME.match(spec.name) or spec.name in seen:
            raise ValueError(f"{where}: every input needs a unique name of letters, digits "
                             f"and '_' (tf.TensorSpec(..., name='images')), got {spec.name!r}.")
        seen.add(spec.name)
        shape = spec.shape
        if shape.rank is None or shape.rank == 0 or shape[0] is not None or any(
                d is None for d in shape[1:]):
            raise ValueError(f"{where}: input '{spec.name}' has shape {shape}; use a free "
                             "batch dimension and fixed other dimensions, e.g. [None, 8, 8, 1].")


def _with_sample(outputs):
    """Adds `sample` = mean + exp(log_var / 2) * fixed row noise to a Gaussian encoding."""
    if "mean" not in outputs or "log_var" not in outputs or "sample" in outputs:
        return outputs
    noise = fixed_row_noise(outputs["mean"])
    return {**outputs, "sample": outputs["mean"] + tf.exp(0.5 * outputs["log_var"]) * noise}


def _check_input(signature, x, spec):
    """The shape check, and for float inputs a finiteness check: a NaN or Inf would pass
    through the network into finite-looking outputs (tanh, clipping), so the signature
    refuses it with InvalidArgumentError (TF Serving: INVALID_ARGUMENT)."""
    x = tf.ensure_shape(tf.convert_to_tensor(x, spec.dtype), spec.shape,
                        name=f"check_{spec.name}_shape")
    if spec.dtype.is_floating:
        x = tf.debugging.check_numerics(
            x, f"signature '{signature}' input '{spec.name}' holds NaN or Inf values; send "
               f"finite numbers", name=f"check_{spec.name}_finite")
    return x


def _checked(model, signature, function, specs):
    """Wraps `function` to check its inputs' shapes and values at run time and its outputs'
    form; an `encode` returning a Gaussian's mean and log_var also returns a `sample` of it."""
    def checked(*inputs):
        inputs = [_check_input(signature, x, spec) for x, spec in zip(inputs, specs)]
        outputs = function(*inputs)
        if not isinstance(outputs, dict) or not outputs or not all(
                isinstance(k, str) and _NAME.match(k) for k in outputs):
            raise TypeError(f"{type(model).__name__} signature '{signature}' must return a "
                            f"non-empty dict of named tensors, got {outputs!r}.")
        outputs = {k: tf.convert_to_tensor(v) for k, v in outputs.items()}
        if signature == "encode":
            outputs = _with_sample(outputs)
        return outputs

    checked.__doc__ = function.__doc__
    checked.__name__ = signature
    return checked


def serving_functions(model):
    """Returns {signature name: (function, input_signature)} for what `model` can do.

    `serving_default` is included, as the same entry as the signature it stands for. Each
    function checks the shapes of its inputs and returns a dict of named tensors.
    """
    functions = _generic_functions(model)
    extra = model.extra_serving_functions()
    for name, entry in extra.items():
        _check_entry(model, name, entry)
    functions.update({name: (fn, list(specs)) for name, (fn, specs) in extra.items()})
    if not functions:
        raise TypeError(f"{type(model).__name__} has nothing to serve: it has no "
                        "encode_outputs/decode/sample_prior and no extra_serving_functions().")
    functions = {name: (_checked(model, name, fn, specs), specs)
                 for name, (fn, specs) in functions.items()}
    if "serving_default" not in functions:
        default = getattr(model, "default_signature", None) or (
            "encode" if "encode" in functions else "generate")
        if default not in functions:
            raise TypeError(f"{type(model).__name__}: default signature {default!r} is not "
                            f"one of its signatures {sorted(functions)}; set "
                            "`default_signature`.")
        functions["serving_default"] = functions[default]
    return functions


def _default_of(functions):
    """The signature `serving_default` stands for, or None when a model defines its own."""
    return next((name for name, entry in functions.items()
                 if name != "serving_default" and entry is functions["serving_default"]), None)


def _description(model, functions, signature_defs):
    """The JSON description of an export: its signatures as written, and their docs."""
    from tfhybrids.serving.signatures import parse_signature_defs, signature_defs_json

    served = parse_signature_defs(signature_defs_json(signature_defs))

    def tensors(infos):
        return {name: {"dtype": info.describe().split(" ")[0],
                       "shape": None if info.shape is None else list(info.shape)}
                for name, info in infos.items()}

    signatures = {}
    for name, (function, _) in functions.items():
        doc = (function.__doc__ or "").strip().split("\n\n")[0]
        signatures[name] = {
            "description": " ".join(doc.split()) or f"{name} of {type(model).__name__}",
            "inputs": tensors(served[name].inputs),
            "outputs": tensors(served[name].outputs),
        }
    return {
        "model_class": type(model).__name__,
        "data_shape": [int(d) for d in model.image_shape],
        "latent_dim": getattr(model, "latent_dim", None),
        "conventions": "images float32 in [0, 1] NHWC in and out; free batch dimension",
        "serving_default": _default_of(functions) or "serving_default",
        "signatures": signatures,
    }


def export_model(model, base_dir, name, version=None):
    """Exports `model` as `<base_dir>/<name>/<version>/` and returns that path.

    Args:
        model: a tfhybrids model.
        base_dir: str. Root of the TF Serving model base paths.
        name: str. Model name (the directory TF Serving's `base_path` points at).
        version: int or None. Version to write; defaults to one more than the largest there.
    """
    if not re.match(r"^[A-Za-z0-9_.-]+$", name) or name.startswith("."):
        raise ConfigError(f"export name {name!r}: use letters, digits, '_', '-' or '.', "
                          "not starting with '.'.")
    model_dir = os.path.join(base_dir, name)
    versions = existing_versions(model_dir)
    if version is None:
        version = (versions[-1] + 1) if versions else 1
    if isinstance(version, bool) or not isinstance(version, numbers.Integral) or version < 1:
        raise ConfigError(f"export version must be a positive integer, got {version!r}.")
    version = int(version)
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final):
        raise ConfigError(
            f"{final} already exists; TF Serving versions are immutable, pick another --version."
        )
    functions = serving_functions(model)

    os.makedirs(model_dir, exist_ok=True)
    _remove_stale_temporaries(model_dir)
    tmp = os.path.join(model_dir, f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _write_saved_model(model, functions, tmp)
        fault_point("export_written")
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _remove_stale_temporaries(model_dir):
    """Deletes the temporary directories of exports whose process died (e.g. was killed)."""
    for entry in os.listdir(model_dir):
        match = _TEMPORARY.match(entry)
        if not match:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(model_dir, entry), ignore_errors=True)
        except PermissionError:  # alive, another user's
            pass


def _write_saved_model(model, functions, path):
    """Writes the SavedModel of `functions` and its description to `path`."""
    default = _default_of(functions) or "serving_default"
    archive = keras.export.ExportArchive()
    archive.track(model)
    # The first endpoint is what ExportArchive also saves as `serving_default`: adding the
    # default first saves it once instead of tracing the same function twice.
    order = [default] + [n for n in functions if n not in (default, "serving_default")]
    for signature in order:
        function, input_signature = functions[signature]
        archive.add_endpoint(signature, function, input_signature=input_signature)
    archive.write_out(path, verbose=False)
    from tfhybrids.serving.signatures import read_saved_model_signature_defs

    description = _description(model, functions, read_saved_model_signature_defs(path))
    os.makedirs(os.path.join(path, "assets.extra"), exist_ok=True)
    with open(os.path.join(path, DESCRIPTION_FILE), "w") as f:
        json.dump(description, f, indent=2)
