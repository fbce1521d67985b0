"""Tests for tfhybrids.priors: moments and support of each prior, labelled sampling,
stateless determinism, densities against hand computations, config round trip and errors."""

import json
import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfhybrids.errors import ConfigError
from tfhybrids.priors import PRIORS, Prior, SwissRoll, make_prior

N = 20_000
SEED = tf.constant([11, 17])

ALL_PRIORS = [
    pytest.param({"name": "gaussian"}, 3, id="gaussian"),
    pytest.param({"name": "gaussian_mixture"}, 2, id="gaussian_mixture"),
    pytest.param({"name": "gaussian_mixture"}, 3, id="gaussian_mixture_3d"),
    pytest.param({"name": "gaussian_mixture", "means": [[0.0, 1.0], [2.0, -1.0], [-3.0, 0.5]],
                  "std": 0.5}, 2, id="gaussian_mixture_means"),
    pytest.param({"name": "swiss_roll"}, 2, id="swiss_roll"),
    pytest.param({"name": "categorical"}, 5, id="categorical"),
]


def _nearest(points, centres):
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return distances.argmin(axis=1)


def _roll_curve(t, turns, scale):
    """The noise-free Swiss roll, written out independently of the library."""
    angle = 2 * np.pi * turns * np.sqrt(t)
    radius = scale * np.sqrt(t)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)


# Shapes, dtypes and the full config.


@pytest.mark.parametrize("config, latent_dim", ALL_PRIORS)
def test_sample_shape_dtype_and_filled_config(config, latent_dim):
    prior = make_prior(config, latent_dim)
    z = prior.sample(7, SEED)
    assert z.shape == (7, latent_dim)
    assert z.dtype == tf.float32
    assert np.all(np.isfinite(z.numpy()))
    assert prior.name == config["name"]
    assert prior.latent_dim == latent_dim
    assert prior.distribution.event_shape == [latent_dim]
    assert prior.config["name"] == config["name"]
    assert set(config) <= set(prior.config)


def test_config_defaults_are_filled_in():
    assert make_prior({"name": "gaussian"}, 4).config == {"name": "gaussian", "scale": 1.0}
    assert make_prior({"name": "gaussian_mixture"}, 2).config == {
        "name": "gaussian_mixture", "num_components": 10, "radius": 4.0,
        "radial_std": 1.0, "tangential_std": 0.25,
    }
    assert make_prior({"name": "gaussian_mixture", "means": [[1, 2]]}, 2).config == {
        "name": "gaussian_mixture", "num_components": 1, "means": [[1.0, 2.0]], "std": 1.0,
    }
    assert make_prior({"name": "swiss_roll"}, 2).config == {
        "name": "swiss_roll", "turns": 2.0, "scale": 4.0, "noise": 0.05, "num_segments": 10,
    }
    assert make_prior({"name": "categorical"}, 6).config == {
        "name": "categorical", "num_classes": 6,
    }
    assert sorted(PRIORS) == ["categorical", "gaussian", "gaussian_mixture", "swiss_roll"]


def test_num_components_and_has_log_prob():
    assert make_prior({"name": "gaussian"}, 2).num_components is None
    assert make_prior({"name": "gaussian"}, 2).component_means() is None
    assert make_prior({"name": "gaussian_mixture", "num_components": 7}, 2).num_components == 7
    assert make_prior({"name": "swiss_roll", "num_segments": 4}, 2).num_components == 4
    assert make_prior({"name": "categorical"}, 3).num_components == 3
    assert make_prior({"name": "gaussian"}, 2).has_log_prob
    assert make_prior({"name": "gaussian_mixture"}, 2).has_log_prob
    assert make_prior({"name": "categorical"}, 3).has_log_prob
    assert not make_prior({"name": "swiss_roll"}, 2).has_log_prob


# Moments and support.


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_gaussian_mean_and_covariance(scale):
    z = make_prior({"name": "gaussian", "scale": scale}, 3).sample(N, SEED).numpy()
    np.testing.assert_allclose(z.mean(axis=0), np.zeros(3), atol=0.03 * scale)
    np.testing.assert_allclose(np.cov(z, rowvar=False), scale**2 * np.eye(3),
                               atol=0.04 * scale**2)


def test_mixture_component_means_lie_on_the_circle_at_even_angles():
    means = make_prior({"name": "gaussian_mixture", "num_components": 8, "radius": 3.0},
                       3).component_means()
    angles = 2 * np.pi * np.arange(8) / 8
    expected = np.stack([3.0 * np.cos(angles), 3.0 * np.sin(angles), np.zeros(8)], axis=1)
    assert means.shape == (8, 3)
    np.testing.assert_allclose(means, expected, atol=1e-6)


def test_mixture_samples_cover_all_components_equally():
    prior = make_prior({"name": "gaussian_mixture"}, 2)
    z = prior.sample(N, SEED).numpy()
    shares = np.bincount(_nearest(z, prior.component_means()), minlength=10) / N
    # By rotational symmetry every share is exactly 1/10 in expectation (sd about 0.002).
    np.testing.assert_allclose(shares, np.full(10, 0.1), atol=0.01)
    radii = np.linalg.norm(z, axis=1)
    assert abs(np.median(radii) - 4.0) < 0.1


@pytest.mark.parametrize("latent_dim", [2, 3])
def test_mixture_components_are_petals_along_their_radius(latent_dim):
    prior = make_prior({"name": "gaussian_mixture"}, latent_dim)
    k = 3
    z = prior.sample_for_labels(tf.fill([N], k), SEED).numpy()
    angle = 2 * np.pi * k / 10
    radial = z[:, :2] @ np.array([np.cos(angle), np.sin(angle)])
    tangential = z[:, :2] @ np.array([-np.sin(angle), np.cos(angle)])
    assert abs(radial.mean() - 4.0) < 0.03
    assert abs(tangential.mean()) < 0.01
    np.testing.assert_allclose(radial.std(), 1.0, rtol=0.03)
    np.testing.assert_allclose(tangential.std(), 0.25, rtol=0.03)
    if latent_dim == 3:
        np.testing.assert_allclose(z[:, 2].std(), 0.25, rtol=0.03)
        assert abs(z[:, 2].mean()) < 0.01


def test_mixture_in_one_dimension_spaces_the_means_on_a_line():
    prior = make_prior({"name": "gaussian_mixture", "num_components": 4, "radius": 2.0}, 1)
    np.testing.assert_allclose(prior.component_means()[:, 0], [-1.5, -0.5, 0.5, 1.5],
                               atol=1e-6)
    z = prior.sample_for_labels(tf.fill([N], 2), SEED).numpy()[:, 0]
    np.testing.assert_allclose([z.mean(), z.std()], [0.5, 0.25], atol=0.01)


def test_mixture_with_explicit_means_and_std():
    means = [[0.0, 5.0], [5.0, 0.0]]
    prior = make_prior({"name": "gaussian_mixture", "means": means, "std": 0.5}, 2)
    np.testing.assert_allclose(prior.component_means(), means)
    z = prior.sample_for_labels(tf.fill([N], 1), SEED).numpy()
    np.testing.assert_allclose(z.mean(axis=0), [5.0, 0.0], atol=0.02)
    np.testing.assert_allclose(np.cov(z, rowvar=False), 0.25 * np.eye(2), atol=0.01)


def test_swiss_roll_noise_free_points_lie_on_the_roll_with_uniform_position():
    prior = make_prior({"name": "swiss_roll", "noise": 0.0, "turns": 1.5, "scale": 3.0}, 2)
    z = prior.sample(N, SEED).numpy()
    radii = np.linalg.norm(z, axis=1)
    assert radii.min() >= 0.0 and radii.max() <= 3.0 + 1e-5
    t = (radii / 3.0) ** 2
    np.testing.assert_allclose(z, _roll_curve(t, 1.5, 3.0), atol=1e-4)
    np.testing.assert_allclose(np.histogram(t, bins=10, range=(0, 1))[0] / N,
                               np.full(10, 0.1), atol=0.01)


def test_swiss_roll_radii_and_noise_size():
    prior = make_prior({"name": "swiss_roll"}, 2)
    z = prior.sample(1000, SEED).numpy()
    radii = np.linalg.norm(z, axis=1)
    # 6 noise sds: a 2-D Gaussian passes 4 sds in 1 draw of 3000, 6 sds in 1 of 6e7.
    assert radii.min() >= 0.0 and radii.max() <= 4.0 + 6 * 0.05
    curve = _roll_curve(np.linspace(0, 1, 5001), 2.0, 4.0)
    distance = np.sqrt(((z[:, None, :] - curve[None]) ** 2).sum(-1).min(axis=1))
    # The distance to the roll is about the noise across it: RMS close to noise = 0.05.
    assert 0.035 < np.sqrt((distance**2).mean()) < 0.06
    assert distance.max() < 6 * 0.05


def test_swiss_roll_component_means_are_segment_midpoints():
    prior = make_prior({"name": "swiss_roll", "num_segments": 5}, 2)
    expected = _roll_curve((np.arange(5) + 0.5) / 5, 2.0, 4.0)
    np.testing.assert_allclose(prior.component_means(), expected, atol=1e-5)


def test_categorical_samples_are_uniform_one_hot_vectors():
    prior = make_prior({"name": "categorical"}, 5)
    z = prior.sample(N, SEED).numpy()
    assert set(np.unique(z)) == {0.0, 1.0}
    np.testing.assert_array_equal(z.sum(axis=1), np.ones(N))
    np.testing.assert_allclose(z.mean(axis=0), np.full(5, 0.2), atol=0.015)


# Sampling for labels.


def test_mixture_sample_for_labels_uses_each_labels_component():
    prior = make_prior({"name": "gaussian_mixture"}, 2)
    labels = np.tile(np.arange(10), 500)
    z = prior.sample_for_labels(tf.constant(labels), SEED)
    assert z.shape == (5000, 2) and z.dtype == tf.float32
    assigned = _nearest(z.numpy(), prior.component_means())
    # Misassigned points are the rare ones drawn near the origin, where petals meet.
    assert (assigned == labels).mean() > 0.97
    for k in range(10):
        assert np.bincount(assigned[labels == k], minlength=10).argmax() == k


def test_swiss_roll_sample_for_labels_stays_in_each_segment():
    prior = make_prior({"name": "swiss_roll", "noise": 0.0}, 2)
    labels = np.tile(np.arange(10), 500)
    z = prior.sample_for_labels(tf.constant(labels, tf.int64), SEED).numpy()
    t = (np.linalg.norm(z, axis=1) / 4.0) ** 2
    assert np.all(t >= labels / 10 - 1e-5)
    assert np.all(t <= (labels + 1) / 10 + 1e-5)
    # Each segment is covered end to end, not only at one spot.
    for k in range(10):
        t_k = t[labels == k]
        assert t_k.min() < k / 10 + 0.01 and t_k.max() > (k + 1) / 10 - 0.01


def test_categorical_sample_for_labels_is_the_one_hot_label():
    prior = make_prior({"name": "categorical"}, 4)
    z = prior.sample_for_labels(tf.constant([2, 0, 3, 3]), SEED)
    np.testing.assert_array_equal(z, np.eye(4, dtype=np.float32)[[2, 0, 3, 3]])
    assert z.dtype == tf.float32


def test_sample_for_labels_errors():
    with pytest.raises(ConfigError, match="no components"):
        make_prior({"name": "gaussian"}, 2).sample_for_labels(tf.constant([0]), SEED)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must lie in \[0, 10\)"):
        make_prior({"name": "gaussian_mixture"}, 2).sample_for_labels(tf.constant([10]), SEED)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must lie in \[0, 10\)"):
        make_prior({"name": "swiss_roll"}, 2).sample_for_labels(tf.constant([-1]), SEED)


# Stateless determinism.


@pytest.mark.parametrize("config, latent_dim", ALL_PRIORS)
def test_same_seed_same_samples_eager_and_in_tf_function(config, latent_dim):
    prior = make_prior(config, latent_dim)
    first = prior.sample(64, SEED).numpy()
    np.testing.assert_array_equal(prior.sample(64, SEED), first)

    sample = tf.function(prior.sample)
    np.testing.assert_array_equal(sample(64, SEED), first)
    # num as a scalar tensor, seed as an int64 tensor.
    np.testing.assert_array_equal(sample(tf.constant(64), tf.constant([11, 17], tf.int64)),
                                  first)
    assert not np.array_equal(prior.sample(64, tf.constant([11, 18])).numpy(), first)


@pytest.mark.parametrize("config, latent_dim", ALL_PRIORS[1:-1])
def test_sample_for_labels_is_deterministic(config, latent_dim):
    prior = make_prior(config, latent_dim)
    labels = tf.constant([0, 1, 2, 1])
    first = prior.sample_for_labels(labels, SEED).numpy()
    np.testing.assert_array_equal(tf.function(prior.sample_for_labels)(labels, SEED), first)
    assert not np.array_equal(prior.sample_for_labels(labels, tf.constant([1, 2])), first)


def test_sampling_compiles_with_xla_and_stays_deterministic():
    prior = make_prior({"name": "swiss_roll", "noise": 0.0}, 2)
    labels = tf.constant([0, 5, 9])

    @tf.function(jit_compile=True)
    def draw(seed):
        return prior.sample(4, seed), prior.sample_for_labels(labels, seed)

    z, z_labels = draw(SEED)
    again, again_labels = draw(SEED)
    np.testing.assert_array_equal(z, again)
    np.testing.assert_array_equal(z_labels, again_labels)
    # XLA's stream differs from the non-XLA one, but the draws still follow the roll.
    t = (np.linalg.norm(z_labels.numpy(), axis=1) / 4.0) ** 2
    assert np.all((t >= np.array([0, 5, 9]) / 10 - 1e-5) & (t <= np.array([1, 6, 10]) / 10))


def test_seeds_from_a_keras_seed_generator_are_reproducible():
    prior = make_prior({"name": "gaussian_mixture"}, 2)

    def draw(generator_seed):
        generator = keras.random.SeedGenerator(generator_seed)
        seeds = [keras.random.randint((2,), 0, 2**31 - 1, seed=generator) for _ in range(2)]
        return [prior.sample(16, s).numpy() for s in seeds]

    first, second = draw(5)
    again_first, again_second = draw(5)
    np.testing.assert_array_equal(first, again_first)
    np.testing.assert_array_equal(second, again_second)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("seed", [None, 3, tf.constant([1, 2, 3]), tf.constant([1.0, 2.0])])
def test_stateful_or_malformed_seeds_are_rejected(seed):
    with pytest.raises(TypeError, match="seed"):
        make_prior({"name": "gaussian"}, 2).sample(4, seed)


@pytest.mark.parametrize("config, latent_dim", ALL_PRIORS)
def test_sampling_under_mirrored_strategy_matches_eager(config, latent_dim, two_cpu_strategy):
    strategy = two_cpu_strategy
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        prior = make_prior(config, latent_dim)
    labels = tf.constant([0, 1, 1, 0])
    has_labels = prior.num_components is not None

    @tf.function
    def step(seed):
        def replica_fn(seed):
            z = prior.sample(8, seed)
            return z, prior.sample_for_labels(labels, seed) if has_labels else z

        return strategy.run(replica_fn, args=(seed,))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        z, z_labels = step(SEED)
    # TFP warns when a sampler falls back to a stateful seed inside a replica.
    assert not [w for w in caught if "stateful" in str(w.message)]
    # Same draws on every replica as eagerly; only float rounding may differ between the
    # devices' kernels (about 1e-7), while another draw would differ by order 1.
    expected = prior.sample(8, SEED).numpy()
    for value in strategy.experimental_local_results(z):
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5)
    if has_labels:
        expected = prior.sample_for_labels(labels, SEED).numpy()
        for value in strategy.experimental_local_results(z_labels):
            np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5)


# Densities.


def test_gaussian_log_prob_matches_closed_form():
    prior = make_prior({"name": "gaussian", "scale": 2.0}, 3)
    z = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], np.float32)
    expected = [
        -1.5 * math.log(2 * math.pi) - 3 * math.log(2.0) - (0.25 + 1.0 + 4.0) / (2 * 4.0),
        -1.5 * math.log(2 * math.pi) - 3 * math.log(2.0),
    ]
    log_prob = prior.log_prob(z)
    assert log_prob.shape == (2,) and log_prob.dtype == tf.float32
    np.testing.assert_almost_equal(log_prob.numpy(), expected, decimal=5)


def _petal_log_prob(x, num_components=10, radius=4.0, radial_std=1.0, tangential_std=0.25):
    """log-mean-exp over petals of each petal's density, from its radial/tangential axes."""
    x = np.asarray(x, np.float64)
    logs = []
    for k in range(num_components):
        angle = 2 * np.pi * k / num_components
        u = np.array([np.cos(angle), np.sin(angle)])
        v = np.array([-np.sin(angle), np.cos(angle)])
        offset = x[:2] - radius * u
        a, b = offset @ u, offset @ v
        extra = x[2:]
        log_density = (
            -math.log(2 * math.pi * radial_std * tangential_std)
            - 0.5 * (a**2 / radial_std**2 + b**2 / tangential_std**2)
            - len(extra) * 0.5 * math.log(2 * math.pi * tangential_std**2)
            - 0.5 * (extra**2).sum() / tangential_std**2
        )
        logs.append(log_density)
    logs = np.array(logs)
    return logs.max() + math.log(np.exp(logs - logs.max()).mean())


@pytest.mark.parametrize("point", [[1.0, 2.0], [3.5, 0.3], [0.0, 0.0], [1.0, 2.0, 0.1]])
def test_mixture_log_prob_matches_hand_computation(point):
    prior = make_prior({"name": "gaussian_mixture"}, len(point))
    log_prob = prior.log_prob([point])
    assert log_prob.shape == (1,) and log_prob.dtype == tf.float32
    np.testing.assert_almost_equal(log_prob.numpy()[0], _petal_log_prob(point), decimal=5)


def test_mixture_with_explicit_means_log_prob():
    means = np.array([[0.0, 1.0], [2.0, -1.0]])
    prior = make_prior({"name": "gaussian_mixture", "means": means.tolist(), "std": 0.5}, 2)
    x = np.array([0.5, 0.5])
    logs = -math.log(2 * math.pi * 0.25) - ((x - means) ** 2).sum(axis=1) / (2 * 0.25)
    expected = math.log(np.exp(logs).mean())
    np.testing.assert_almost_equal(prior.log_prob([x]).numpy()[0], expected, decimal=5)


def test_categorical_log_prob_is_uniform():
    prior = make_prior({"name": "categorical"}, 4)
    np.testing.assert_almost_equal(prior.log_prob(np.eye(4)).numpy(), [-math.log(4)] * 4,
                                   decimal=6)


def test_swiss_roll_has_no_density():
    prior = make_prior({"name": "swiss_roll"}, 2)
    assert isinstance(prior.distribution, SwissRoll)
    with pytest.raises(NotImplementedError, match="no density.*adversarial"):
        prior.log_prob([[0.0, 1.0]])
    with pytest.raises(NotImplementedError, match="no density"):
        prior.distribution.prob([[0.0, 1.0]])


def test_swiss_roll_distribution_properties():
    roll = SwissRoll()
    assert roll.event_shape == [2] and roll.batch_shape == []
    assert roll.dtype == tf.float32
    assert roll.reparameterization_type == tfp.distributions.NOT_REPARAMETERIZED
    z = roll.sample([3, 4], seed=SEED)
    assert z.shape == (3, 4, 2) and z.dtype == tf.float32


# Serialization.


@pytest.mark.parametrize("config, latent_dim", ALL_PRIORS)
def test_config_round_trip_gives_identical_samples(config, latent_dim):
    prior = make_prior(config, latent_dim)
    saved = json.loads(json.dumps(prior.get_config()))
    rebuilt = Prior.from_config(saved)
    assert rebuilt.config == prior.config and rebuilt.latent_dim == latent_dim
    np.testing.assert_array_equal(rebuilt.sample(32, SEED), prior.sample(32, SEED))


def test_keras_serialization_round_trip():
    prior = make_prior({"name": "gaussian_mixture", "num_components": 6, "radius": 2.0}, 3)
    serialized = keras.saving.serialize_keras_object(prior)
    assert serialized["registered_name"] == "tfhybrids>Prior"
    rebuilt = keras.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert isinstance(rebuilt, Prior)
    np.testing.assert_array_equal(rebuilt.sample(32, SEED), prior.sample(32, SEED))


def test_config_is_a_copy():
    prior = make_prior({"name": "gaussian_mixture", "means": [[0.0, 0.0]]}, 2)
    prior.config["means"][0][0] = 9.0
    assert prior.config["means"] == [[0.0, 0.0]]


# Config errors.


@pytest.mark.parametrize(
    "config, latent_dim, message",
    [
        ({"name": "gausian_mixture"}, 2, "Did you mean 'gaussian_mixture'"),
        ({"name": "swissroll"}, 2, "Did you mean 'swiss_roll'"),
        ({"scale": 1.0}, 2, "'name' key"),
        ("gaussian", 2, "'name' key"),
        ({"name": "gaussian", "sigma": 2.0}, 2, "unknown key 'sigma'.*Allowed keys: name, scale"),
        ({"name": "gaussian_mixture", "radius_std": 1.0}, 2,
         "unknown key 'radius_std'.*Did you mean 'radial_std'"),
        ({"name": "gaussian", "scale": -1.0}, 2, r"prior\.scale: must be greater than 0"),
        ({"name": "gaussian_mixture", "radial_std": -1.0}, 2,
         r"prior\.radial_std: must be greater than 0"),
        ({"name": "gaussian_mixture", "tangential_std": 0.0}, 2,
         r"prior\.tangential_std: must be greater than 0"),
        ({"name": "gaussian_mixture", "means": [[0, 0]], "std": -0.5}, 2,
         r"prior\.std: must be greater than 0"),
        ({"name": "swiss_roll", "noise": -0.1}, 2, r"prior\.noise: must be at least 0"),
        ({"name": "gaussian_mixture", "num_components": 0}, 2, "must be at least 1"),
        ({"name": "gaussian_mixture", "num_components": 2.5}, 2, "expected an integer"),
        ({"name": "gaussian_mixture", "means": [[0, 0], [1]]}, 2, r"means\[1\].*latent_dim=2"),
        ({"name": "gaussian_mixture", "means": []}, 2, "non-empty list"),
        ({"name": "gaussian_mixture", "means": [[0, 0]], "radius": 3.0}, 2,
         "cannot be combined with explicit 'means'"),
        ({"name": "gaussian_mixture", "std": 0.5}, 2, "applies only with explicit 'means'"),
        ({"name": "gaussian_mixture", "means": [[0, 0]], "num_components": 3}, 2,
         "does not match the 1 rows"),
        ({"name": "swiss_roll"}, 3, "two-dimensional, but latent_dim is 3"),
        ({"name": "categorical", "num_classes": 3}, 4,
         r"num_classes \(3\) must equal latent_dim \(4\)"),
        ({"name": "gaussian"}, 0, "latent_dim: must be at least 1"),
    ],
)
def test_config_errors(config, latent_dim, message):
    with pytest.raises(ConfigError, match=message) as error:
        make_prior(config, latent_dim)
    assert isinstance(error.value, ValueError)
