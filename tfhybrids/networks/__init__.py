"""Builders for the encoders, decoders and discriminators the models are made of.

A network is described in a config by a small spec, e.g. ``{type: mlp, hidden_units: [512,
512]}`` or ``{type: conv, filters: [32, 64]}``, and built into a functional `keras.Model`
for a given input and output shape by `build_encoder`, `build_decoder` or
`build_discriminator`.
"""

from tfhybrids.networks.builders import (
    NETWORK_TYPES,
    build_decoder,
    build_discriminator,
    build_encoder,
    build_image_translator,
    build_patch_discriminator,
    normalize_spec,
)

__all__ = [
    "NETWORK_TYPES",
    "build_decoder",
    "build_discriminator",
    "build_encoder",
    "build_image_translator",
    "build_patch_discriminator",
    "normalize_spec",
]
