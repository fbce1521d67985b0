"""Priors over the latent code, built from the `prior:` section of a config.

Each prior wraps a `tfp.distributions.Distribution` over vectors of size `latent_dim`:

- `gaussian`: N(0, scale² I), the VAE's usual prior.
- `gaussian_mixture`: a uniform mixture of K Gaussians. By default the 10 two-dimensional
  "petals" of the adversarial autoencoder paper (Makhzani et al., 2016, "Adversarial
  Autoencoders", arXiv:1511.05644, Figure 2b): means on a circle around the origin, each
  component elongated along its radius.
- `swiss_roll`: the paper's 2-D Swiss-roll prior (Makhzani et al., 2016, Figures 4 and 5).
  It can be sampled but has no density, so only adversarial models (which match the prior
  with a discriminator instead of a KL term) can use it.
- `categorical`: a uniform one-hot categorical, the prior on the label code of the
  semi-supervised and clustering adversarial autoencoders (Makhzani et al., 2016, Section 5).

The mixture, Swiss roll and categorical priors are split into components (mixture
components, segments of the roll, classes), so a supervised model can draw codes for given
labels with `Prior.sample_for_labels`.

All sampling is stateless: every `sample*` method takes a seed of shape [2] (for example
`keras.random.randint((2,), 0, 2**31 - 1, seed=seed_generator)`) and is a pure function of
its arguments, so it gives the same draws eagerly, inside `tf.function` and on every replica
of a `tf.distribute` strategy. Under XLA (`jit_compile=True`) TensorFlow's stateless
generators produce a different stream for the same seed: still a pure function of the seed,
but not equal to the draws without XLA.

Example:

```python
from tfhybrids.priors import make_prior
import tensorflow as tf

prior = make_prior({"name": "gaussian_mixture"}, latent_dim=2)
z = prior.sample(256, seed=tf.constant([1, 2]))              # [256, 2] float32
z_k = prior.sample_for_labels(tf.constant([0, 3]), seed=tf.constant([3, 4]))
```
"""

import copy
import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfhybrids.errors import ConfigError
from tfhybrids.prior_specs import check_prior

tfd = tfp.distributions

_WHERE = "prior"


class SwissRoll(tfd.Distribution):
    """A 2-D Swiss roll (an Archimedean spiral with Gaussian noise), for sampling only.

    A point is drawn by taking a position t ~ U(0, 1) along the roll and placing it at
    angle 2π·turns·√t and distance scale·√t from the origin, plus isotropic Gaussian noise.
    The √t makes the points roughly uniform along the arc, since the arc length of an
    Archimedean spiral grows with the square of the angle. The roll is cut into
    `num_segments` equal ranges of t, which `sample_segments` samples one at a time.

    The distribution has no tractable density: `log_prob` and `prob` raise
    NotImplementedError. It follows Makhzani et al., 2016, "Adversarial Autoencoders",
    arXiv:1511.05644.

    Args:
        turns: float. Number of turns of the spiral. Defaults to 2.0.
        scale: float. Distance from the origin at the outer end (t = 1). Defaults to 4.0.
        noise: float. Standard deviation of the isotropic Gaussian noise. Defaults to 0.05.
        num_segments: int. Number of equal-t segments the roll is cut into. Defaults to 10.
        validate_args: bool. Passed to `tfd.Distribution`. Defaults to False.
        allow_nan_stats: bool. Passed to `tfd.Distribution`. Defaults to True.
        name: str. Name scope of the ops. Defaults to "SwissRoll".
    """

    def __init__(
        self,
        turns=2.0,
        scale=4.0,
        noise=0.05,
        num_segments=10,
        validate_args=False,
        allow_nan_stats=True,
        name="SwissRoll",
    ):
        parameters = dict(locals())
        self._turns = float(turns)
        self._scale = float(scale)
        self._noise = float(noise)
        self._num_segments = int(num_segments)
        super().__init__(
            dtype=tf.float32,
            reparameterization_type=tfd.NOT_REPARAMETERIZED,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            parameters=parameters,
            name=name,
        )

    @property
    def turns(self):
        return self._turns

    @property
    def scale(self):
        return self._scale

    @property
    def noise(self):
        return self._noise

    @property
    def num_segments(self):
        return self._num_segments

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        # Every parameter is a Python scalar fixed at construction: there is no batch of rolls.
        return {}

    def _event_shape(self):
        return tf.TensorShape([2])

    def _event_shape_tensor(self):
        return tf.constant([2], dtype=tf.int32)

    def _batch_shape(self):
        return tf.TensorShape([])

    def _batch_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def curve(self, t):
        """Returns the noise-free points of the roll at positions `t` in [0, 1], shape [..., 2]."""
        t = tf.convert_to_tensor(t, dtype=tf.float32)
        root = tf.sqrt(t)
        angle = 2.0 * math.pi * self._turns * root
        radius = self._scale * root
        return tf.stack([radius * tf.cos(angle), radius * tf.sin(angle)], axis=-1)

    def _points(self, t, seed):
        return self.curve(t) + self._noise * tf.random.stateless_normal(
            tf.concat([tf.shape(t), [2]], axis=0), seed=seed, dtype=tf.float32
        )

    def _sample_n(self, n, seed=None):
        t_seed, noise_seed = tfp.random.split_seed(seed, n=2, salt="SwissRoll")
        t = tf.random.stateless_uniform([n], seed=t_seed, dtype=tf.float32)
        return self._points(t, noise_seed)

    def sample_segments(self, segments, seed):
        """Draws one point from each given segment of the roll.

        Args:
            segments: int tensor [batch]. Segment index of each point, in [0, num_segments).
            seed: int tensor [2]. Stateless seed.

        Returns:
            float32 tensor [batch, 2]: the point for segment k has t uniform in
            [k / num_segments, (k + 1) / num_segments).
        """
        segments = tf.cast(segments, tf.float32)
        t_seed, noise_seed = tfp.random.split_seed(seed, n=2, salt="SwissRoll")
        offset = tf.random.stateless_uniform(tf.shape(segments), seed=t_seed, dtype=tf.float32)
        t = (segments + offset) / float(self._num_segments)
        return self._points(t, noise_seed)

    def _log_prob(self, x):
        raise NotImplementedError(
            "The Swiss roll prior has no density (log_prob/prob): it can only be sampled, so "
            "only adversarial models, which match the prior with a discriminator, can use it. "
            "Choose the 'gaussian' or 'gaussian_mixture' prior for models with a KL term."
        )


def _petal_components(num_components, latent_dim, radius, radial_std, tangential_std):
    """Means [K, d] and Cholesky factors [K, d, d] of the petal-shaped mixture.

    In two or more dimensions component k sits at angle 2πk/K in the first two dimensions,
    with standard deviation `radial_std` along its radius and `tangential_std` across it and
    along every further dimension. In one dimension there is no angle: the means are the
    centres of K equal cells tiling [-radius, radius] (spacing 2·radius/K) and each component
    has the narrow `tangential_std`, so that neighbours stay separable.
    """
    if latent_dim == 1:
        means = -radius + (2.0 * np.arange(num_components) + 1.0) * radius / num_components
        means = means[:, None]
        scale_tril = np.full((num_components, 1, 1), tangential_std)
        return means, scale_tril
    angles = 2.0 * np.pi * np.arange(num_components) / num_components
    means = np.zeros((num_components, latent_dim))
    means[:, 0] = radius * np.cos(angles)
    means[:, 1] = radius * np.sin(angles)
    scale_tril = np.zeros((num_components, latent_dim, latent_dim))
    spread = np.diag([radial_std**2, tangential_std**2])
    for k, angle in enumerate(angles):
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        scale_tril[k, :2, :2] = np.linalg.cholesky(rotation @ spread @ rotation.T)
        scale_tril[k, 2:, 2:] = tangential_std * np.eye(latent_dim - 2)
    return means, scale_tril


def _build_gaussian(config, latent_dim):
    distribution = tfd.MultivariateNormalDiag(
        loc=tf.zeros([latent_dim], tf.float32),
        scale_diag=tf.fill([latent_dim], tf.constant(config["scale"], tf.float32)),
    )
    return distribution, None


def _build_gaussian_mixture(config, latent_dim):
    num_components = config["num_components"]
    if "means" in config:
        means = np.asarray(config["means"])
        scale_tril = np.broadcast_to(config["std"] * np.eye(latent_dim),
                                     (num_components, latent_dim, latent_dim))
    else:
        means, scale_tril = _petal_components(num_components, latent_dim, config["radius"],
                                              config["radial_std"], config["tangential_std"])
    distribution = tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=tf.zeros([num_components], tf.float32)),
        components_distribution=tfd.MultivariateNormalTriL(
            loc=tf.constant(means, tf.float32),
            scale_tril=tf.constant(scale_tril, tf.float32),
        ),
    )
    return distribution, np.asarray(means, np.float32)


def _build_swiss_roll(config, latent_dim):
    roll = SwissRoll(config["turns"], config["scale"], config["noise"], config["num_segments"])
    # Midpoint of each segment on the noise-free roll: an approximate centre, since segments
    # are curved.
    t_mid = (np.arange(config["num_segments"]) + 0.5) / config["num_segments"]
    return roll, roll.curve(t_mid).numpy()


def _build_categorical(config, latent_dim):
    distribution = tfd.OneHotCategorical(
        logits=tf.zeros([config["num_classes"]], tf.float32), dtype=tf.float32
    )
    return distribution, np.eye(config["num_classes"], dtype=np.float32)


# Each builder takes (config checked by tfhybrids.prior_specs.check_prior, latent_dim) and
# returns (distribution, component means [K, d] or None).
PRIORS = {
    "gaussian": _build_gaussian,
    "gaussian_mixture": _build_gaussian_mixture,
    "swiss_roll": _build_swiss_roll,
    "categorical": _build_categorical,
}


def _stateless_seed(seed):
    """Returns `seed` as an int32 tensor of shape [2], rejecting stateful seed kinds.

    TFP treats a Python int or None as a stateful seed (drawn from the global generator),
    which breaks reproducibility under tf.distribute, so both are refused here.
    """
    if seed is None or isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"Priors sample with stateless seeds only, got seed={seed!r}. Pass an int tensor "
            "of shape [2], e.g. keras.random.randint((2,), 0, 2**31 - 1, "
            "seed=keras.random.SeedGenerator(1)) or tf.constant([1, 2])."
        )
    seed = tf.convert_to_tensor(seed)
    if not seed.dtype.is_integer:
        raise TypeError(f"A stateless seed must be an integer tensor, got dtype {seed.dtype}.")
    if not seed.shape.is_compatible_with([2]):
        raise TypeError(f"A stateless seed must have shape [2], got shape {seed.shape}.")
    # TFP's stateless samplers take int32 seeds; int64 seeds wrap modulo 2**32.
    return tf.cast(seed, tf.int32)


@keras.saving.register_keras_serializable(package="tfhybrids")
class Prior:
    """A prior over latent codes of size `latent_dim`, built from a `prior:` config section.

    Use `make_prior` to build one. See the module docstring for the available priors and
    their keys.

    Args:
        config: dict. The `prior:` section: `name` (one of `PRIORS`) and that prior's keys.
        latent_dim: int. Size of the latent code.

    Raises:
        ConfigError: for an unknown prior name or key, a value of the wrong type or out of
            range, or a prior that does not fit `latent_dim`.
    """

    def __init__(self, config, latent_dim):
        self._config = check_prior(config, latent_dim)
        self._latent_dim = int(latent_dim)
        self._distribution, self._component_means = PRIORS[self._config["name"]](
            self._config, self._latent_dim
        )

    @property
    def name(self):
        """str. The prior's name, a key of `PRIORS`."""
        return self._config["name"]

    @property
    def latent_dim(self):
        """int. Size of the latent code."""
        return self._latent_dim

    @property
    def distribution(self):
        """tfd.Distribution. The prior as a TFP distribution with event shape [latent_dim]."""
        return self._distribution

    @property
    def config(self):
        """dict. The prior's config section with every default filled in (a copy)."""
        return copy.deepcopy(self._config)

    @property
    def has_log_prob(self):
        """bool. Whether the prior has a density (False for the Swiss roll)."""
        return not isinstance(self._distribution, SwissRoll)

    @property
    def num_components(self):
        """int or None. Number of labels `sample_for_labels` accepts; None for `gaussian`."""
        return None if self._component_means is None else len(self._component_means)

    def sample(self, num, seed):
        """Draws `num` latent codes.

        Args:
            num: int or scalar int tensor. Number of codes.
            seed: int tensor [2]. Stateless seed; the same seed gives the same codes.

        Returns:
            float32 tensor [num, latent_dim].
        """
        z = self._distribution.sample(num, seed=_stateless_seed(seed))
        return tf.cast(z, tf.float32)

    def log_prob(self, z):
        """Log density of codes `z` under the prior.

        Args:
            z: float tensor [batch, latent_dim]. Codes (one-hot vectors for `categorical`).

        Returns:
            float32 tensor [batch].

        Raises:
            NotImplementedError: when the prior has no density (`has_log_prob` is False).
        """
        return self._distribution.log_prob(tf.convert_to_tensor(z, tf.float32))

    def sample_for_labels(self, labels, seed):
        """Draws one code per label from that label's component.

        A mixture draws label k from its k-th Gaussian, the Swiss roll from its k-th segment
        (t uniform in [k/K, (k+1)/K)), and the categorical returns the one-hot vector of k.

        Args:
            labels: int tensor [batch]. Labels in [0, num_components).
            seed: int tensor [2]. Stateless seed.

        Returns:
            float32 tensor [batch, latent_dim].

        Raises:
            ConfigError: for the `gaussian` prior, which has no components.
            tf.errors.InvalidArgumentError: for a label outside [0, num_components).
        """
        if self._component_means is None:
            raise ConfigError(
                f"{_WHERE}: the '{self.name}' prior has no components, so it cannot draw codes "
                "for labels; choose gaussian_mixture, swiss_roll or categorical."
            )
        seed = _stateless_seed(seed)
        labels = tf.cast(tf.convert_to_tensor(labels), tf.int32)
        k = self.num_components
        with tf.control_dependencies([
            tf.debugging.assert_non_negative(labels, message=f"labels must lie in [0, {k})"),
            tf.debugging.assert_less(labels, k, message=f"labels must lie in [0, {k})"),
        ]):
            labels = tf.identity(labels)
        if isinstance(self._distribution, SwissRoll):
            return self._distribution.sample_segments(labels, seed)
        if isinstance(self._distribution, tfd.OneHotCategorical):
            return tf.one_hot(labels, k, dtype=tf.float32)
        components = self._distribution.components_distribution
        chosen = tfd.MultivariateNormalTriL(
            loc=tf.gather(components.loc, labels),
            scale_tril=tf.gather(components.scale_tril, labels),
        )
        return chosen.sample(seed=seed)

    def component_means(self):
        """Centres of the components, for assigning codes to their nearest component.

        Returns:
            np.ndarray float32 [num_components, latent_dim], or None for `gaussian`. For the
            mixture these are the component means; for the Swiss roll the noise-free point in
            the middle of each segment (approximate centres, since segments are curved); for
            the categorical the one-hot vectors.
        """
        return None if self._component_means is None else self._component_means.copy()

    def get_config(self):
        """Returns a JSON-serializable dict from which `from_config` rebuilds this prior."""
        return {"config": self.config, "latent_dim": self._latent_dim}

    @classmethod
    def from_config(cls, config):
        """Rebuilds a prior from the output of `get_config`."""
        return cls(**config)

    def __repr__(self):
        return f"Prior(config={self._config!r}, latent_dim={self._latent_dim})"


def make_prior(config, latent_dim):
    """Builds the prior described by a `prior:` config section.

    Args:
        config: dict. `name` (one of "gaussian", "gaussian_mixture", "swiss_roll",
            "categorical") and that prior's keys:
            gaussian: `scale` (float, default 1.0).
            gaussian_mixture: `num_components` (int, default 10), `radius` (float, default
            4.0), `radial_std` (float, default 1.0), `tangential_std` (float, default 0.25);
            or explicit `means` (a K×latent_dim list) with an isotropic `std` (float,
            default 1.0).
            swiss_roll: `turns` (float, default 2.0), `scale` (float, default 4.0), `noise`
            (float, default 0.05), `num_segments` (int, default 10); latent_dim must be 2.
            categorical: `num_classes` (int, default latent_dim; must equal latent_dim).
        latent_dim: int. Size of the latent code.

    Returns:
        Prior.

    Raises:
        ConfigError: for an unknown name or key or an invalid value.
    """
    return Prior(config, latent_dim)
