"""DCGAN: the model contract, plus the architecture and optimiser rules it enforces."""

import keras
import pytest

from model_harness import ModelContract, make_model
from tfhybrids.errors import ConfigError
from tfhybrids.models import DCGAN
from tfhybrids.networks import build_decoder, build_discriminator

TINY_CONV = {"type": "conv", "filters": [4, 8]}
TINY_MLP = {"type": "mlp", "hidden_units": [16]}


class TestDCGANContract(ModelContract):
    # GAN's step with conv nets; GAN's 1-vs-2-replica check runs by default, and conv nets
    # with synchronised batch norm are checked by VAE, VAE/GAN, AVAE and AVB.
    SLOW_HEAVY_CHECKS = ("test_two_replicas_match_one_device",)
    METRIC_NAMES = {"d_loss", "g_loss"}
    CASES = {
        "conv": {
            "model": {"class": "DCGAN", "latent_dim": 4, "generator": TINY_CONV,
                      "discriminator": TINY_CONV},
            "shape": (8, 8, 1),
        },
    }


def _case(**model):
    case = dict(TestDCGANContract.CASES["conv"])
    case["model"] = dict(case["model"], **model)
    return case


def test_default_optimizers_are_the_papers_adam():
    model = make_model(TestDCGANContract.CASES["conv"])
    for player in ("generator_optimizer", "discriminator_optimizer"):
        optimizer = getattr(model, player)
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate.numpy()) == pytest.approx(2e-4)
        assert optimizer.beta_1 == pytest.approx(0.5)


def test_networks_follow_the_architecture_rules():
    model = make_model(TestDCGANContract.CASES["conv"])
    generator_layers = [type(layer).__name__ for layer in model.generator.layers]
    discriminator_layers = [type(layer).__name__ for layer in model.discriminator.layers]
    assert "Conv2DTranspose" in generator_layers and "Conv2D" in discriminator_layers
    assert "LeakyReLU" in discriminator_layers
    assert generator_layers[-1] == "Activation" and model.generator.layers[-1].get_config()[
        "activation"] == "tanh"
    # No batch norm right after D's input convolution (the paper's exception).
    assert discriminator_layers[1] == "Conv2D" and discriminator_layers[2] != "BatchNormalization"


@pytest.mark.parametrize("network", ["generator", "discriminator"])
def test_mlp_spec_is_refused_with_the_fix(network):
    with pytest.raises(ConfigError, match=f"model.{network}: DCGAN needs a conv network"):
        make_model(_case(**{network: TINY_MLP}))


def test_spec_without_batch_norm_is_refused():
    with pytest.raises(ConfigError, match="batch_norm"):
        make_model(_case(discriminator={**TINY_CONV, "batch_norm": False}))


def test_wrong_activation_is_refused():
    with pytest.raises(ConfigError, match="leaky_relu"):
        make_model(_case(discriminator={**TINY_CONV, "activation": "relu"}))


def test_point_data_is_refused():
    case = dict(_case(), shape=(2,))
    with pytest.raises(ConfigError, match="class: GAN"):
        make_model(case)


def test_given_mlp_networks_are_refused():
    with pytest.raises(ConfigError, match="no Conv2DTranspose"):
        DCGAN(build_decoder(TINY_MLP, 4, (8, 8, 1)),
              build_discriminator(TINY_CONV, (8, 8, 1)), prior=None, latent_dim=4)
