"""`dsprites`: procedural dSprites-like images with known generative factors, rendered with numpy.

The factors and their values follow dSprites (Matthey, Higgins, Hassabis & Lerchner 2017), the
data of the beta-VAE paper's disentanglement metric (Higgins et al. 2017):

    shape        3 values: square, ellipse, heart
    scale        6 values, linearly spaced in [0.5, 1]
    orientation  40 values, 2 pi k / 40 for k = 0..39 (dSprites' grid includes both 0 and 2 pi;
                 here each angle appears once)
    pos_x        32 values, linearly spaced in [0, 1]
    pos_y        32 values, linearly spaced in [0, 1]

737,280 combinations, each a 64x64 binary image (one white sprite on black; the label is the
shape). The sprites are drawn by this module rather than read from DeepMind's file, so pixels
differ from dSprites, but the factor structure is the same. A pixel is on when its centre lies
inside the sprite: a square of half-side 0.8 R, an ellipse with semi-axes R and R / 2, or the
heart (x^2 + y^2 - 1)^3 <= x^2 y^3, all with R = 12 px times the scale, rotated by the
orientation about the centre, which sits at 16 + 31 * pos pixels from the top-left corner (one
pixel per position step, as in dSprites).

Factor-sampling API (what the beta-VAE metric uses; see `evaluation.disentanglement`):

    from tfhybrids.data.dsprites import DSPRITES
    factors = DSPRITES.sample_factors(100, np.random.default_rng(0))  # int [100, 5], indices
    images = DSPRITES.render(factors)                                 # float32 [100, 64, 64, 1]

The data source renders a cached subset of random factor combinations (not all 737k images):

Config keys (besides the common ones in `tfhybrids.data.base`):
    num_train   int >= 1, default 20000. Random combinations rendered for training.
    num_test    int >= 1, default 2000.

Train and test combinations come from separate numpy streams spawned from the seed given to
`load_data`, so each split is reproducible (they may share combinations, as i.i.d. draws from
the full grid do). Images are in [-1, 1] (0 -> -1, 1 -> +1), shape (64, 64, 1), labels int32.
"""

import numpy as np

from tfhybrids.data.base import array_examples, build_bundle, pipeline_options
from tfhybrids.data.registry import register_source
from tfhybrids.errors import DataError

SHAPES = ("square", "ellipse", "heart")
IMAGE_SIZE = 64
_BASE_RADIUS = 12.0  # pixels, at scale 1: every scale step then changes every sprite


class SpriteFactors:
    """The factors of dSprites-like images: sample them, render them. See the module docstring.

    Attributes:
        factor_names: tuple of str.
        factor_sizes: tuple of int. Number of values of each factor.
    """

    factor_names = ("shape", "scale", "orientation", "pos_x", "pos_y")
    factor_sizes = (len(SHAPES), 6, 40, 32, 32)
    image_shape = (IMAGE_SIZE, IMAGE_SIZE, 1)

    @property
    def num_factors(self):
        return len(self.factor_sizes)

    def sample_factors(self, num, rng):
        """Draws `num` factor combinations uniformly: int64 [num, 5] of value indices.

        Args:
            num: int. How many.
            rng: numpy.random.Generator.
        """
        return np.stack([rng.integers(size, size=num) for size in self.factor_sizes], axis=1)

    def check_factors(self, factors):
        """Returns factors as int64 [n, 5], raising DataError for a wrong shape or range."""
        factors = np.asarray(factors)
        if factors.ndim != 2 or factors.shape[1] != self.num_factors:
            raise DataError(f"dsprites: factors must be [n, {self.num_factors}] indices "
                            f"({', '.join(self.factor_names)}), got shape {factors.shape}.")
        factors = factors.astype(np.int64)
        if len(factors) and ((factors < 0).any() or (factors >= self.factor_sizes).any()):
            raise DataError(f"dsprites: factor indices must be within 0..size-1 for sizes "
                            f"{self.factor_sizes}.")
        return factors

    def factor_values(self, factors):
        """The values behind factor indices: dict name -> float array [n] (shape stays an index)."""
        factors = self.check_factors(factors)
        return {
            "shape": factors[:, 0].astype(np.float64),
            "scale": np.linspace(0.5, 1.0, self.factor_sizes[1])[factors[:, 1]],
            "orientation": 2.0 * np.pi * factors[:, 2] / self.factor_sizes[2],
            "pos_x": np.linspace(0.0, 1.0, self.factor_sizes[3])[factors[:, 3]],
            "pos_y": np.linspace(0.0, 1.0, self.factor_sizes[4])[factors[:, 4]],
        }

    def render_binary(self, factors):
        """Renders factor combinations as uint8 {0, 1} images [n, 64, 64, 1]."""
        factors = self.check_factors(factors)
        # Positions are whole-pixel steps, so an image is one of the 720 centred sprites
        # (shape x scale x orientation), drawn once, pasted at its offset.
        sprites = _sprite_templates(self.factor_sizes[:3])[factors[:, 0], factors[:, 1],
                                                            factors[:, 2]]
        side = _TEMPLATE_SIZE
        out = np.zeros((len(factors), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
        # One slice assignment per distinct position (at most 1024), not per image.
        positions = factors[:, 4] * self.factor_sizes[3] + factors[:, 3]
        order = np.argsort(positions, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(positions[order]) != 0])
        for members in np.split(order, starts[1:]):
            top, left = factors[members[0], 4], factors[members[0], 3]
            out[members, top:top + side, left:left + side] = sprites[members]
        return out[..., None]

    def render(self, factors):
        """Renders factor combinations as float32 images [n, 64, 64, 1] in [-1, 1]."""
        return self.render_binary(factors).astype(np.float32) * 2.0 - 1.0


_TEMPLATE_SIZE = 32
_TEMPLATES = {}


def _sprite_templates(sizes):
    """uint8 [shapes, scales, orientations, 32, 32]: each sprite centred on a 32x32 canvas."""
    if sizes not in _TEMPLATES:
        num_shapes, num_scales, num_angles = sizes
        shape, scale, angle = (a.ravel() for a in np.meshgrid(
            np.arange(num_shapes), np.linspace(0.5, 1.0, num_scales),
            2.0 * np.pi * np.arange(num_angles) / num_angles, indexing="ij"))
        masks = _draw(shape, scale, angle, _TEMPLATE_SIZE)
        _TEMPLATES[sizes] = masks.astype(np.uint8).reshape(
            num_shapes, num_scales, num_angles, _TEMPLATE_SIZE, _TEMPLATE_SIZE)
    return _TEMPLATES[sizes]


def _draw(shape, scale, angle, side):
    """Boolean masks [n, side, side] of sprites centred on the canvas (see the module docstring)."""
    radius = (_BASE_RADIUS * scale)[:, None, None]
    angle = angle[:, None, None]
    pixel = np.arange(side, dtype=np.float64) + 0.5 - side / 2.0
    dx = pixel[None, None, :] / radius
    dy = pixel[None, :, None] / radius
    cos, sin = np.cos(angle), np.sin(angle)
    # Rotate the pixel back into the sprite's frame; v points up (image rows grow downwards).
    u = cos * dx + sin * dy
    v = sin * dx - cos * dy
    shape = shape.astype(np.int64)[:, None, None]
    square = np.maximum(np.abs(u), np.abs(v)) <= 0.8
    ellipse = u ** 2 + (2.0 * v) ** 2 <= 1.0
    hx, hy = 1.15 * u, 1.15 * v + 0.1
    heart = (hx ** 2 + hy ** 2 - 1.0) ** 3 - hx ** 2 * hy ** 3 <= 0.0
    return np.where(shape == 0, square, np.where(shape == 1, ellipse, heart))


DSPRITES = SpriteFactors()


@register_source("dsprites")
def load_dsprites(config, seed):
    """Loads the `dsprites` source (see the module docstring) as a `DataBundle`."""
    num_train, num_test = config["num_train"], config["num_test"]
    train_rng, test_rng = (np.random.default_rng(stream)
                           for stream in np.random.SeedSequence(seed).spawn(2))
    splits = {}
    for split, count, rng in (("train", num_train, train_rng), ("test", num_test, test_rng)):
        factors = DSPRITES.sample_factors(count, rng)
        splits[split] = (DSPRITES.render_binary(factors), factors[:, 0].astype(np.int32))

    def decode(images):
        import tensorflow as tf

        return tf.cast(images, tf.float32) * 2.0 - 1.0

    return build_bundle(
        name="dsprites",
        kind="image",
        train=array_examples(*splits["train"], decode),
        test=array_examples(*splits["test"], decode),
        num_train=num_train,
        num_test=num_test,
        options=pipeline_options(config),
        seed=seed,
        num_classes=len(SHAPES),
        class_names=list(SHAPES),
    )
