"""64x64 colour data: the procedural `shapes64` source, the VAE/GAN (Larsen et al. 2016)
networks the 64x64 configs use, and (slow) a few training steps of every 64x64 config."""

import glob
import json
import math
import os

import numpy as np
import pytest
import yaml

from conftest import REPO
from tfhybrids.data import load_data
from tfhybrids.data.shapes64 import SHAPES, SHAPES64
from tfhybrids.errors import ConfigError, DataError
from tfhybrids.networks.builders import build_decoder, build_discriminator, build_encoder

CONFIGS_64 = sorted(glob.glob(os.path.join(REPO, "configs", "*_64.yaml")))


def test_shapes64_renders_its_factors_deterministically_in_colour():
    factors = SHAPES64.sample_factors(300, np.random.default_rng(0))
    images = SHAPES64.render_uint8(factors)
    assert images.shape == (300, 64, 64, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, SHAPES64.render_uint8(factors))
    # Colour, not grey: channels differ.
    assert np.abs(images[..., 0].astype(int) - images[..., 1]).mean() > 10
    # Each factor changes the image: vary one at a time from the same combination.
    base = factors[:1].repeat(len(SHAPES64.factor_sizes), axis=0)
    for column, size in enumerate(SHAPES64.factor_sizes):
        base[column, column] = (base[column, column] + 1) % size
    varied = SHAPES64.render_uint8(base)
    original = SHAPES64.render_uint8(factors[:1])[0]
    assert all(not np.array_equal(image, original) for image in varied)
    with pytest.raises(DataError, match="factor indices"):
        SHAPES64.render_uint8(np.full((1, 7), 99))


def test_shapes64_source_gives_labelled_images_in_range():
    bundle = load_data({"name": "shapes64", "num_train": 96, "num_test": 32,
                        "batch_size": 32}, seed=3)
    assert bundle.element_shape == (64, 64, 3)
    assert bundle.class_names == list(SHAPES) and bundle.num_classes == 3
    x, y = bundle.arrays("train")
    assert x.min() >= -1.0 and x.max() <= 1.0 and set(np.unique(y)) <= {0, 1, 2}


def _spec(config, role):
    with open(os.path.join(REPO, "configs", config)) as f:
        return yaml.safe_load(f)["model"][role]


def _layer_shapes(model, kind):
    return [tuple(layer.output.shape[1:]) for layer in model.layers
            if type(layer).__name__ == kind]


def test_conv_keys_for_larsen_networks_on_a_small_image():
    encoder = build_encoder({"type": "conv", "filters": [4, 8], "input_batch_norm": True,
                             "dense_units": [16]}, (16, 16, 3), 6)
    assert _layer_shapes(encoder, "Dense") == [(16,), (6,)]
    assert len(_layer_shapes(encoder, "BatchNormalization")) == 3
    discriminator = build_discriminator({"type": "conv", "filters": [4, 8], "strides": [1, 2]},
                                        (16, 16, 3))
    assert _layer_shapes(discriminator, "Conv2D") == [(16, 16, 4), (8, 8, 8)]
    decoder = build_decoder({"type": "conv", "filters": [4, 8], "upsample_output": False}, 5,
                            (16, 16, 3))
    assert _layer_shapes(decoder, "Conv2DTranspose") == [(8, 8, 8), (16, 16, 4)]
    assert _layer_shapes(decoder, "Conv2D") == [(16, 16, 3)]
    with pytest.raises(ConfigError, match="strides: expected one stride"):
        build_encoder({"type": "conv", "filters": [8, 16], "strides": [2]}, (8, 8, 1), 2)


@pytest.mark.slow
def test_larsen_networks_have_the_papers_layers():
    encoder = build_encoder(_spec("vae_gan_64.yaml", "encoder"), (64, 64, 3), 256)
    decoder = build_decoder(_spec("vae_gan_64.yaml", "decoder"), 128, (64, 64, 3))
    discriminator = build_discriminator(_spec("vae_gan_64.yaml", "discriminator"), (64, 64, 3))

    shapes = _layer_shapes
    assert shapes(encoder, "Conv2D") == [(32, 32, 64), (16, 16, 128), (8, 8, 256)]
    assert shapes(encoder, "Dense") == [(2048,), (256,)]
    assert len(shapes(encoder, "BatchNormalization")) == 4  # every conv and the dense layer
    assert shapes(decoder, "Dense") == [(8 * 8 * 256,)]
    assert shapes(decoder, "Conv2DTranspose") == [(16, 16, 256), (32, 32, 128), (64, 64, 32)]
    assert shapes(decoder, "Conv2D") == [(64, 64, 3)]
    assert shapes(discriminator, "Conv2D") == [(64, 64, 32), (32, 32, 128), (16, 16, 256),
                                               (8, 8, 256)]
    assert shapes(discriminator, "Dense") == [(512,), (1,)]
    assert len(shapes(discriminator, "BatchNormalization")) == 4  # not on the input conv
    assert all(layer.kernel.shape[:2] == (5, 5) for layer in encoder.layers
               if type(layer).__name__ == "Conv2D")


@pytest.mark.slow
@pytest.mark.parametrize("path", CONFIGS_64, ids=os.path.basename)
def test_64x64_config_trains_a_few_steps_on_the_procedural_source(path, tmp_path):
    from tfhybrids.training.config import load_config
    from tfhybrids.training.runner import train

    config = load_config(path, [
        "data.num_train=64", "data.num_test=16", "data.batch_size=8", "train.epochs=1",
        "train.steps_per_epoch=2", "train.image_every=0", "train.export=false",
        "train.verbose=0"])
    metrics = train(config, str(tmp_path), log=lambda message: None)
    assert metrics["test"] and all(math.isfinite(v) for v in metrics["test"].values())
    with open(tmp_path / "metrics.json") as f:
        assert json.load(f)["data"] == "shapes64"


def test_there_is_a_64x64_config_for_each_image_hybrid():
    classes = set()
    for path in CONFIGS_64:
        with open(path) as f:
            classes.add(yaml.safe_load(f)["model"]["class"])
    assert classes == {"VAE", "DCGAN", "VAEGAN", "AVAE", "BiGAN", "AlphaGAN"}
