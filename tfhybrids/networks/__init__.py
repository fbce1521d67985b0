"""Builders for the encoders, decoders and discriminators the models are made of.

A network is described in a config by a small spec, e.g. ``{type: mlp, hidden_units: [512,
512]}`` or ``{type: conv, filters: [32, 64]}``, validated by `normalize_spec` (in `specs.py`,
no TensorFlow) and built into a functional `keras.Model` for a given input and output shape by
`build_encoder`, `build_decoder` or `build_discriminator` (in `builders.py`, loaded on first
use, so that validating a config does not import TensorFlow).
"""

from tfhybrids.networks.specs import NETWORK_TYPES, normalize_spec

_BUILDERS = ("build_decoder", "build_discriminator", "build_encoder", "build_image_translator",
             "build_patch_discriminator")

__all__ = ["NETWORK_TYPES", *_BUILDERS, "normalize_spec"]


def __getattr__(name):
    if name in _BUILDERS:
        from tfhybrids.networks import builders

        return getattr(builders, name)
    raise AttributeError(f"module 'tfhybrids.networks' has no attribute {name!r}")
