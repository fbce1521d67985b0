"""Conditional VAE/GAN: the model contract, plus the condition's path through every network
and the label-taking export signatures."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import ModelContract, make_batch, make_model
from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.export import export_model

TINY_CONV = {"type": "conv", "filters": [4, 8]}
TINY_JOINT_CONV = {"type": "conv", "filters": [4, 8], "joint_units": [8]}


class TestConditionalVAEGANContract(ModelContract):
    # VAE/GAN's step with a label input; VAE/GAN's 1-vs-2-replica check runs by default.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    METRIC_NAMES = {"kl_loss", "recon_loss", "d_loss", "g_loss"}
    CASES = {
        "conv": {
            "model": {"class": "ConditionalVAEGAN", "latent_dim": 3, "encoder": TINY_CONV,
                      "decoder": TINY_CONV, "discriminator": TINY_JOINT_CONV},
            "shape": (8, 8, 1),
            "num_classes": 3,
        },
    }


CASE = TestConditionalVAEGANContract.CASES["conv"]


def test_call_inputs_are_images_and_one_hot_labels():
    model = make_model(CASE)
    x, y = make_batch(CASE, batch_size=4)
    images, condition = model.call_inputs(x, y)
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(condition, np.eye(3)[y])
    assert model.num_classes == 3


def test_the_condition_reaches_decoder_encoder_and_discriminator():
    model = make_model(CASE)
    x, _ = make_batch(CASE, batch_size=4)
    z = tf.random.stateless_normal([4, 3], seed=[1, 1])
    zeros, twos = tf.zeros([4], tf.int32), tf.fill([4], 2)
    assert not np.allclose(model.decode(z, zeros), model.decode(z, twos))
    assert not np.allclose(model.encode(x, zeros)[0], model.encode(x, twos)[0])
    logits = [model.discriminator({"image": tf.constant(x), "condition": model.condition(c)})
              for c in (zeros, twos)]
    assert not np.allclose(*logits)


def test_decode_without_labels_cycles_through_the_classes():
    model = make_model(CASE)
    z = tf.random.stateless_normal([5, 3], seed=[2, 2])
    np.testing.assert_allclose(model.decode(z), model.decode(z, tf.constant([0, 1, 2, 0, 1])),
                               atol=1e-6)


def test_attribute_vectors_are_used_as_given():
    model = make_model(CASE)
    z = tf.random.stateless_normal([2, 3], seed=[3, 3])
    one_hot = tf.constant([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(model.decode(z, one_hot), model.decode(z, tf.constant([1, 2])),
                               atol=1e-6)


def test_calling_without_a_condition_says_how():
    model = make_model(CASE)
    x, _ = make_batch(CASE, batch_size=2)
    with pytest.raises(ShapeError, match="call_inputs"):
        model(x)


def test_generate_signature_takes_seeds_and_labels_reproducibly(tmp_path):
    model = make_model(CASE)
    loaded = tf.saved_model.load(export_model(model, str(tmp_path), "cvaegan"))
    generate = loaded.signatures["generate"]
    assert set(generate.structured_input_signature[1]) == {"seeds", "labels"}
    seeds = tf.constant([7, 7, 8], tf.int64)
    first = generate(seeds=seeds, labels=tf.constant([0, 2, 0], tf.int64))
    again = generate(seeds=seeds, labels=tf.constant([0, 2, 0], tf.int64))
    np.testing.assert_array_equal(first["images"], again["images"])
    # Same seed: same code; another label: another image.
    np.testing.assert_array_equal(first["codes"][0], first["codes"][1])
    assert not np.allclose(first["images"][0], first["images"][1])
    expected = (model.decode(first["codes"], tf.constant([0, 2, 0])) + 1.0) / 2.0
    np.testing.assert_allclose(first["images"], np.clip(expected, 0, 1), atol=1e-5)
    for name in ("decode", "encode", "reconstruct"):
        assert "labels" in loaded.signatures[name].structured_input_signature[1], name
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must lie"):
        generate(seeds=seeds, labels=tf.constant([0, 3, 0], tf.int64))


def test_num_classes_that_disagrees_with_the_data_is_refused():
    case = dict(CASE, model=dict(CASE["model"], num_classes=5))
    with pytest.raises(ConfigError, match="num_classes"):
        make_model(case)
