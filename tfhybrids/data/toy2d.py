"""`toy2d`: procedural 2-D point sets, the mode-collapse benchmarks of VEEGAN (Srivastava et al.,
2017, arXiv:1705.07761) and related GAN papers.

Every bundle has kind "points", element_shape (2,), and labels giving the mixture mode that drew
each point (or the Swiss-roll segment it lies on). Points are in their own units, not [-1, 1].

Config keys (besides the common ones in `tfhybrids.data.base`):
    dataset     "ring" (default), "grid" or "swiss_roll".
    num_train   int >= 1, default 10000.
    num_test    int >= 1, default 2500.
  ring: `num_modes` Gaussians evenly spaced on a circle.
    radius      float > 0, default 1.0.
    std         float > 0, default 0.01. Per-coordinate standard deviation of each Gaussian.
    num_modes   int >= 1, default 8.
  grid: grid_size x grid_size Gaussians centred on the grid {-4, -2, 0, 2, 4}^2 by default.
    std         float > 0, default 0.05.
    grid_size   int >= 1, default 5.
    spacing     float > 0, default 2.0. Distance between neighbouring centres.
  swiss_roll: the 2-D Swiss roll (t cos t, t sin t) / 7.5 for t uniform in [1.5 pi, 4.5 pi]
    (scikit-learn's parametrisation, scaled to within about [-1.5, 1.9]), plus Gaussian noise.
    noise       float >= 0, default 0.05. Per-coordinate standard deviation, in output units.
    num_segments  int >= 1, default 10. The roll is cut into this many equal stretches of t; the
                label is the stretch index, from the inside out.

Points come from a numpy Generator seeded with `load_data`'s seed; train and test use separate
streams spawned from it, so they never share points and each is reproducible.

`toy2d_modes(config)` and `toy2d_std(config)` give the mode centres and spread for mode-coverage
metrics (for the Swiss roll: the centre of each segment and the noise).
"""

import dataclasses
import math

import numpy as np

from tfhybrids.data import specs
from tfhybrids.data.base import array_examples, build_bundle, pipeline_options
from tfhybrids.data.registry import register_source
from tfhybrids.validation import check_choice

DATASETS = specs.TOY2D_DATASETS
# scikit-learn's make_swiss_roll parameter range, and a scale bringing the roll to about unit size.
_ROLL_T_MIN = 1.5 * math.pi
_ROLL_T_MAX = 4.5 * math.pi
_ROLL_SCALE = 7.5


@dataclasses.dataclass(frozen=True)
class Toy2DSpec:
    """A checked toy2d config section: which set, how many points, and its shape parameters
    (those of the other sets are None)."""

    dataset: str
    num_train: int
    num_test: int
    std: float
    radius: float | None = None
    num_modes: int | None = None
    grid_size: int | None = None
    spacing: float | None = None
    num_segments: int | None = None


def toy2d_spec(section):
    """The `Toy2DSpec` of a checked toy2d section (see tfhybrids.data.specs)."""
    dataset = section["dataset"]
    # The Swiss roll's spread is called noise: it is not the std of a mixture component.
    spread = "noise" if dataset == "swiss_roll" else "std"
    shape = {key: section[key] for key in specs.TOY2D_DATASET_KEYS[dataset] if key != spread}
    return Toy2DSpec(dataset, section["num_train"], section["num_test"], section[spread],
                     **shape)


def parse_toy2d(config):
    """Checks a toy2d `data:` section and returns its `Toy2DSpec`.

    `name` may be left out (it defaults to "toy2d"), so `toy2d_modes` can take a partial section.
    """
    if isinstance(config, dict):
        config = {"name": "toy2d", **config}
    check_choice("data", "name", specs.check_name(config), ("toy2d",))
    return toy2d_spec(specs.check_source("toy2d", config))


def _roll_point(t):
    """Points on the noiseless Swiss roll at parameter(s) t, shape [..., 2]."""
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=-1) / _ROLL_SCALE


def _modes(spec):
    if spec.dataset == "ring":
        angles = 2.0 * np.pi * np.arange(spec.num_modes) / spec.num_modes
        return spec.radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    if spec.dataset == "grid":
        axis = spec.spacing * (np.arange(spec.grid_size) - (spec.grid_size - 1) / 2.0)
        # Mode i * grid_size + j sits at (axis[i], axis[j]).
        return np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    middles = (np.arange(spec.num_segments) + 0.5) / spec.num_segments
    return _roll_point(_ROLL_T_MIN + (_ROLL_T_MAX - _ROLL_T_MIN) * middles)


def toy2d_modes(config):
    """Returns the mode centres of a toy2d config, float32 `[num_modes, 2]`; label k is row k.

    For the Swiss roll these are the roll's points at the middle of each segment.
    """
    return _modes(parse_toy2d(config)).astype(np.float32)


def toy2d_std(config):
    """Returns the per-coordinate standard deviation of the points around their mode (or the
    Swiss roll's noise) for a toy2d config."""
    return parse_toy2d(config).std


def sample_toy2d(spec, count, rng):
    """Draws `count` points of `spec` with numpy Generator `rng`; returns (x float32, y int32)."""
    if spec.dataset == "swiss_roll":
        position = rng.random(count)
        t = _ROLL_T_MIN + (_ROLL_T_MAX - _ROLL_T_MIN) * position
        points = _roll_point(t)
        labels = np.minimum((position * spec.num_segments).astype(np.int64),
                            spec.num_segments - 1)
    else:
        modes = _modes(spec)
        labels = rng.integers(len(modes), size=count)
        points = modes[labels]
    points = points + spec.std * rng.standard_normal((count, 2))
    return points.astype(np.float32), labels.astype(np.int32)


@register_source("toy2d")
def load_toy2d(config, seed):
    """Loads the `toy2d` source (see the module docstring) as a `DataBundle`."""
    spec = toy2d_spec(config)
    train_rng, test_rng = (np.random.default_rng(stream)
                           for stream in np.random.SeedSequence(seed).spawn(2))
    x_train, y_train = sample_toy2d(spec, spec.num_train, train_rng)
    x_test, y_test = sample_toy2d(spec, spec.num_test, test_rng)
    return build_bundle(
        name="toy2d",
        kind="points",
        train=array_examples(x_train, y_train),
        test=array_examples(x_test, y_test),
        num_train=spec.num_train,
        num_test=spec.num_test,
        options=pipeline_options(config),
        seed=seed,
        num_classes=len(_modes(spec)),
        class_names=None,
    )
