"""SavedModel export with named signatures, in TensorFlow Serving's layout.

`export_model(model, base_dir, name)` writes `<base_dir>/<name>/<version>/` where version is
the next integer (or the one given). The SavedModel is written to a hidden temporary
directory beside it and renamed into place, so a serving poller never sees half a version.

Signatures, chosen by what the model can do:

| signature   | inputs                                  | outputs                               |
|-------------|-----------------------------------------|---------------------------------------|
| encode      | images float32 [batch, H, W, C] in [0,1] | code (AAE) or mean, log_var (VAE)    |
| decode      | codes float32 [batch, latent_dim]       | images float32 [batch, H, W, C] [0,1] |
| generate    | seeds int64 [batch]                     | images, codes: one sample per seed   |
| reconstruct | images float32 [batch, H, W, C] in [0,1] | images float32 [0, 1]                |

`generate` draws the code of row i from the prior with the stateless seed seeds[i], so the
same seed always gives the same image and a batch of n seeds gives n samples. For models of
2-D points (kind "points") the tensors are named `points` and are not rescaled.
`serving_default` is `encode` for models with an encoder, `generate` otherwise.
"""

import os
import re
import shutil

import keras
import tensorflow as tf

from tfhybrids.errors import ConfigError

_VERSION = re.compile(r"^\d+$")


def existing_versions(model_dir):
    """Integer versions already exported under `model_dir`, ascending."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(d) for d in os.listdir(model_dir) if _VERSION.match(d))


def _is_images(model):
    return len(model.image_shape) == 3


def _to_model_range(model, x):
    x = tf.cast(x, tf.float32)
    return x * 2.0 - 1.0 if _is_images(model) else x


def _from_model_range(model, x):
    x = tf.cast(x, tf.float32)
    return tf.clip_by_value((x + 1.0) / 2.0, 0.0, 1.0) if _is_images(model) else x


def _codes_from_seeds(model, seeds):
    seeds = tf.cast(seeds, tf.int64)

    def one(seed):
        # A 64-bit seed is folded into the two 32-bit halves of a stateless seed.
        pair = tf.stack([tf.cast(seed % 2147483647, tf.int32), tf.cast(seed // 2147483647, tf.int32)])
        return model.sample_prior(1, pair)[0]

    return tf.map_fn(one, seeds, fn_output_signature=tf.TensorSpec([model.latent_dim], tf.float32))


def serving_functions(model):
    """Returns {signature name: (function, input_signature)} for what `model` can do."""
    data_name = "images" if _is_images(model) else "points"
    data_spec = tf.TensorSpec([None, *model.image_shape], tf.float32, name=data_name)
    code_spec = tf.TensorSpec([None, model.latent_dim], tf.float32, name="codes")
    seed_spec = tf.TensorSpec([None], tf.int64, name="seeds")
    functions = {}

    if hasattr(model, "encode_outputs"):
        def encode(inputs):
            outputs = model.encode_outputs(_to_model_range(model, inputs))
            return {k: tf.cast(v, tf.float32) for k, v in outputs.items()}

        def reconstruct(inputs):
            return {data_name: _from_model_range(model, model(_to_model_range(model, inputs)))}

        functions["encode"] = (encode, [data_spec])
        functions["reconstruct"] = (reconstruct, [data_spec])

    if hasattr(model, "decode"):
        def decode(codes):
            return {data_name: _from_model_range(model, model.decode(codes))}

        functions["decode"] = (decode, [code_spec])

    if hasattr(model, "sample_prior") and hasattr(model, "decode"):
        def generate(seeds):
            codes = _codes_from_seeds(model, seeds)
            return {data_name: _from_model_range(model, model.decode(codes)), "codes": codes}

        functions["generate"] = (generate, [seed_spec])

    functions.update(model.extra_serving_functions())
    default = getattr(model, "default_signature", None) or (
        "encode" if "encode" in functions else "generate")
    functions["serving_default"] = functions[default]
    return functions


def export_model(model, base_dir, name, version=None):
    """Exports `model` as `<base_dir>/<name>/<version>/` and returns that path.

    Args:
        model: a tfhybrids model.
        base_dir: str. Root of the TF Serving model base paths.
        name: str. Model name (the directory TF Serving's `base_path` points at).
        version: int or None. Version to write; defaults to one more than the largest there.
    """
    if not re.match(r"^[A-Za-z0-9_.-]+$", name):
        raise ConfigError(f"export name {name!r}: use letters, digits, '_', '-' or '.'.")
    model_dir = os.path.join(base_dir, name)
    versions = existing_versions(model_dir)
    if version is None:
        version = (versions[-1] + 1) if versions else 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(f"export version must be a positive integer, got {version!r}.")
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final):
        raise ConfigError(
            f"{final} already exists; TF Serving versions are immutable, pick another --version."
        )
    os.makedirs(model_dir, exist_ok=True)
    tmp = os.path.join(model_dir, f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)

    archive = keras.export.ExportArchive()
    archive.track(model)
    for signature, (function, input_signature) in serving_functions(model).items():
        archive.add_endpoint(signature, function, input_signature=input_signature)
    archive.write_out(tmp, verbose=False)
    os.replace(tmp, final)
    return final
