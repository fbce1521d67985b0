"""VAE/GAN (Larsen et al. 2016): the model contract, plus Algorithm 1's players and losses."""

import numpy as np
import pytest
import tensorflow as tf

from model_harness import (
    ModelContract, constant_discriminator, make_batch, make_dataset, make_model, network_changes,
)
from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models import VAEGAN

TINY_CONV = {"type": "conv", "filters": [4, 8]}
TINY_MLP = {"type": "mlp", "hidden_units": [16]}


class TestVAEGANContract(ModelContract):
    METRIC_NAMES = {"kl_loss", "recon_loss", "d_loss", "g_loss"}
    CASES = {
        "conv": {
            "model": {"class": "VAEGAN", "latent_dim": 3, "encoder": TINY_CONV,
                      "decoder": TINY_CONV, "discriminator": TINY_CONV},
            "shape": (8, 8, 1),
        },
    }


MLP_CASE = {
    "model": {"class": "VAEGAN", "latent_dim": 2, "encoder": TINY_MLP, "decoder": TINY_MLP,
              "discriminator": {"type": "mlp", "hidden_units": [16, 8]}},
    "shape": (8, 8, 1),
}


def _with(case, **model):
    return dict(case, model=dict(case["model"], **model))


def test_discriminator_update_does_not_depend_on_the_likelihood_term():
    """Two models that differ only in L_like (the feature layer and gamma) must give the
    discriminator the very same update: its gradient comes from L_GAN alone."""
    dataset = make_dataset(MLP_CASE, num_batches=1)
    first = make_model(_with(MLP_CASE, feature_layer=-2, gamma=1.0), seed=4)
    second = make_model(_with(MLP_CASE, feature_layer=2, gamma=50.0), seed=4)
    second.set_weights(first.get_weights())
    first.fit(dataset, epochs=1, verbose=0)
    second.fit(dataset, epochs=1, verbose=0)
    for a, b in zip(first.discriminator.trainable_variables,
                    second.discriminator.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7, err_msg=a.path)
    # The check has teeth: the same change did alter the players that minimise L_like.
    moved = [not np.allclose(a.numpy(), b.numpy())
             for a, b in zip(first.decoder.trainable_variables,
                             second.decoder.trainable_variables)]
    assert any(moved)


def test_discriminator_gradient_of_its_loss_ignores_recon_loss():
    model = make_model(MLP_CASE)
    x, _ = make_batch(MLP_CASE)
    variables = model.discriminator.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        terms = model.loss_terms(tf.constant(x), training=True)
        player = model.phases()[0].player_losses(model, terms)["discriminator_optimizer"]
        recon = model.reduce(terms["recon_loss"])
        gan_only = model.reduce(terms["d_loss"])
    # L_like itself does depend on D's weights (through Dis_l) ...
    assert any(g is not None and np.any(g.numpy() != 0) for g in tape.gradient(recon, variables))
    # ... but D's loss is exactly -L_GAN.
    np.testing.assert_allclose(player, gan_only, rtol=1e-6)
    expected = tape.gradient(gan_only, variables)
    for g, e in zip(tape.gradient(player, variables), expected):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-8)


def test_player_losses_follow_algorithm_1():
    model = make_model(_with(MLP_CASE, gamma=0.5))
    terms = {"kl_loss": tf.constant([1.0, 3.0]), "recon_loss": tf.constant([10.0, 20.0]),
             "d_loss": tf.constant([2.0, 4.0]), "g_loss": tf.constant([0.5, 1.5])}
    player = model.phases()[0].player_losses(model, terms)
    np.testing.assert_allclose(player["encoder_optimizer"], (11.0 + 23.0) / 2, rtol=1e-6)
    np.testing.assert_allclose(player["decoder_optimizer"], (5.5 + 11.5) / 2, rtol=1e-6)
    np.testing.assert_allclose(player["discriminator_optimizer"], 3.0, rtol=1e-6)


def test_loss_terms_by_hand_with_a_constant_discriminator():
    model = make_model(MLP_CASE)
    x, _ = make_batch(MLP_CASE)
    # A discriminator of zero weights and output bias 1: D = sigmoid(1) everywhere and its
    # hidden features are 0 for every input, so L_like is the constant n/2 log(2 pi), n = 8.
    constant_discriminator(model, 1.0)
    terms = model.loss_terms(tf.constant(x), training=False)
    softplus = np.log1p(np.exp([-1.0, 1.0]))  # -log s(1), -log(1 - s(1))
    np.testing.assert_allclose(terms["recon_loss"], 4.0 * np.log(2 * np.pi), atol=1e-5)
    np.testing.assert_allclose(terms["d_loss"], softplus[0] + 2 * softplus[1], atol=1e-5)
    np.testing.assert_allclose(terms["g_loss"], 2 * softplus[0], atol=1e-5)
    mean, log_var = model.encode(x)
    np.testing.assert_allclose(terms["kl_loss"], losses.gaussian_kl(mean, log_var), rtol=1e-5)


def test_feature_layer_exposes_the_chosen_layer():
    model = make_model(_with(MLP_CASE, feature_layer=2))
    x, _ = make_batch(MLP_CASE)
    features, logits = model.discriminator_features(x)
    assert features.shape == (8, 16)  # the first hidden layer's activations
    np.testing.assert_allclose(logits, model.discriminator(x), atol=1e-6)
    named = VAEGAN(model.encoder, model.decoder, model.discriminator, latent_dim=2,
                   feature_layer=model.discriminator.layers[-2].name)
    assert named.discriminator_features(x)[0].shape == (8, 8)


@pytest.mark.parametrize("feature_layer, match", [
    (40, "out of range"), (0, "input of the discriminator"), ("no_such_layer", "no layer named")])
def test_bad_feature_layer_is_refused(feature_layer, match):
    with pytest.raises(ConfigError, match=match):
        make_model(_with(MLP_CASE, feature_layer=feature_layer))


def test_non_standard_prior_is_refused():
    with pytest.raises(ConfigError, match="N\\(0, I\\)"):
        make_model(dict(MLP_CASE, prior={"name": "gaussian_mixture"}))


def test_evaluate_runs_and_fit_moves_only_the_discriminator_when_others_are_frozen():
    changes = network_changes(MLP_CASE, frozen=["encoder_optimizer", "decoder_optimizer"])
    assert changes["decoder"] == 0.0
    assert changes["discriminator"] > 1e-6
