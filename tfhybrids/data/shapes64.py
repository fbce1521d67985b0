"""`shapes64`: procedural 64x64 colour images (coloured shapes on textured backgrounds) with
known generative factors, rendered with numpy, offline.

It stands in for CelebA-sized colour data in tests and benchmarks: the 64x64 RGB configs
(configs/*_64.yaml) train on it as they would on `tfds:celeb_a`, and `write_tfds` stores any
number of its images as a prepared TFDS dataset (ArrayRecord), so the streaming pipeline can
be measured on data larger than memory (benchmarks/data_scale.py).

Factors (each drawn uniformly and independently):

    shape           3 values: square, ellipse, triangle (the label)
    scale           4 values, linearly spaced in [0.5, 1]: radius 14 px times the scale
    pos_x, pos_y    8 values each: the shape's centre at 16 + 32 k / 7 px, k = 0..7
    shape_hue       8 values: the shape's colour, hue k / 8 at saturation 0.85, value 0.95
    texture         4 values: horizontal stripes, vertical stripes, checkerboard, diagonal
                    stripes, all with an 8-pixel period
    background_hue  8 values: the texture's two tones, hue (k + 0.5) / 8 at saturation 0.5,
                    values 0.25 and 0.45

3 x 4 x 8 x 8 x 8 x 4 x 8 = 196,608 combinations. The shape's edge is antialiased (2x2
supersampling), so an image is a deterministic function of its factors. Images are uint8 in
storage and [-1, 1] float32 in the bundle, shape (64, 64, 3); labels are the shape index.

Config keys (besides the common ones in `tfhybrids.data.base`):
    num_train   int >= 1, default 20000. Random combinations rendered for training.
    num_test    int >= 1, default 2000.

Train and test combinations come from separate numpy streams spawned from the seed given to
`load_data` (as for `dsprites`). 20000 images are 980 MB decoded, within the `data.cache: auto`
budget; larger sets are better written once with `write_tfds` and read as `tfds:<name>`.
"""

import colorsys

import numpy as np

from tfhybrids.data.base import array_examples, build_bundle, decode_images, pipeline_options
from tfhybrids.data.registry import register_source
from tfhybrids.errors import DataError
from tfhybrids.validation import check_choice, check_int

SHAPES = ("square", "ellipse", "triangle")
TEXTURES = ("horizontal", "vertical", "checkerboard", "diagonal")
IMAGE_SIZE = 64
_TEMPLATE_SIZE = 32
_BASE_RADIUS = 14.0
_SUPERSAMPLE = 2
_PERIOD = 8


class ShapeFactors:
    """The factors of `shapes64` images: sample them, render them. See the module docstring.

    Attributes:
        factor_names: tuple of str.
        factor_sizes: tuple of int. Number of values of each factor.
        image_shape: (64, 64, 3).
    """

    factor_names = ("shape", "scale", "pos_x", "pos_y", "shape_hue", "texture",
                    "background_hue")
    factor_sizes = (len(SHAPES), 4, 8, 8, 8, len(TEXTURES), 8)
    image_shape = (IMAGE_SIZE, IMAGE_SIZE, 3)

    @property
    def num_factors(self):
        return len(self.factor_sizes)

    def sample_factors(self, num, rng):
        """Draws `num` factor combinations uniformly: int64 [num, 7] of value indices."""
        return np.stack([rng.integers(size, size=num) for size in self.factor_sizes], axis=1)

    def check_factors(self, factors):
        """Returns factors as int64 [n, 7], raising DataError for a wrong shape or range."""
        factors = np.asarray(factors)
        if factors.ndim != 2 or factors.shape[1] != self.num_factors:
            raise DataError(f"shapes64: factors must be [n, {self.num_factors}] indices "
                            f"({', '.join(self.factor_names)}), got shape {factors.shape}.")
        factors = factors.astype(np.int64)
        if len(factors) and ((factors < 0).any() or (factors >= self.factor_sizes).any()):
            raise DataError(f"shapes64: factor indices must be within 0..size-1 for sizes "
                            f"{self.factor_sizes}.")
        return factors

    def render_uint8(self, factors):
        """Renders factor combinations as uint8 RGB images [n, 64, 64, 3]."""
        factors = self.check_factors(factors)
        shape, scale, pos_x, pos_y, shape_hue, texture, background_hue = factors.T
        image = _backgrounds()[texture, background_hue]                 # uint8 [n, 64, 64, 3]
        alpha = _shape_templates()[shape, scale][..., None]            # [n, 32, 32, 1]
        colour = 255.0 * _shape_colours()[shape_hue][:, None, None, :]  # [n, 1, 1, 3]
        offsets = np.round(np.arange(8) * (IMAGE_SIZE - _TEMPLATE_SIZE) / 7).astype(np.int64)
        # One slice assignment per distinct position (at most 64), not per image, and only
        # over the shape's 32x32 window.
        positions = pos_y * 8 + pos_x
        order = np.argsort(positions, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(positions[order]) != 0])
        for members in np.split(order, starts[1:]):
            top, left = offsets[pos_y[members[0]]], offsets[pos_x[members[0]]]
            window = (slice(top, top + _TEMPLATE_SIZE), slice(left, left + _TEMPLATE_SIZE))
            a = alpha[members]
            mixed = image[(members, *window)] * (1.0 - a) + colour[members] * a
            image[(members, *window)] = (mixed + 0.5).astype(np.uint8)  # rounds (all >= 0)
        return image

    def render(self, factors):
        """Renders factor combinations as float32 images [n, 64, 64, 3] in [-1, 1]."""
        return self.render_uint8(factors).astype(np.float32) / 127.5 - 1.0


def _hsv(hue, saturation, value):
    return np.array(colorsys.hsv_to_rgb(hue, saturation, value), np.float32)


def _shape_colours():
    return np.stack([_hsv(k / 8, 0.85, 0.95) for k in range(8)])


def _background_tones():
    return np.stack([np.stack([_hsv((k + 0.5) / 8, 0.5, value) for value in (0.25, 0.45)])
                     for k in range(8)])


def _textures():
    """int64 [4, 64, 64] of 0/1: which of its two tones each background pixel takes."""
    row, col = np.mgrid[:IMAGE_SIZE, :IMAGE_SIZE]
    half = _PERIOD // 2
    return np.stack([
        (row // half) % 2,
        (col // half) % 2,
        (row // half + col // half) % 2,
        ((row + col) // half) % 2,
    ]).astype(np.int64)


_BACKGROUNDS = []


def _backgrounds():
    """uint8 [4, 8, 64, 64, 3]: every texture in every background hue's two tones."""
    if not _BACKGROUNDS:
        tones = np.round(255.0 * _background_tones()).astype(np.uint8)  # [8, 2, 3]
        hues = np.arange(len(tones))[None, :, None, None]
        _BACKGROUNDS.append(tones[hues, _textures()[:, None]])
    return _BACKGROUNDS[0]


_TEMPLATES = []


def _shape_templates():
    """float32 [3, 4, 32, 32]: each shape's coverage of each pixel, centred on a 32x32 canvas."""
    if not _TEMPLATES:
        fine = _TEMPLATE_SIZE * _SUPERSAMPLE
        pixel = (np.arange(fine) + 0.5) / _SUPERSAMPLE - _TEMPLATE_SIZE / 2.0
        dy, dx = np.meshgrid(pixel, pixel, indexing="ij")
        masks = []
        for shape in range(len(SHAPES)):
            for scale in np.linspace(0.5, 1.0, 4):
                u, v = dx / (_BASE_RADIUS * scale), -dy / (_BASE_RADIUS * scale)
                if shape == 0:
                    inside = np.maximum(np.abs(u), np.abs(v)) <= 0.8
                elif shape == 1:
                    inside = u ** 2 + (1.6 * v) ** 2 <= 1.0
                else:  # an upward equilateral triangle inscribed in the unit circle
                    inside = (v >= -0.5) & (v <= 1.0 - np.sqrt(3.0) * np.abs(u))
                coverage = inside.reshape(_TEMPLATE_SIZE, _SUPERSAMPLE, _TEMPLATE_SIZE,
                                          _SUPERSAMPLE).mean(axis=(1, 3))
                masks.append(coverage.astype(np.float32))
        _TEMPLATES.append(np.stack(masks).reshape(len(SHAPES), 4, _TEMPLATE_SIZE,
                                                  _TEMPLATE_SIZE))
    return _TEMPLATES[0]


SHAPES64 = ShapeFactors()


def split_factors(seed, num_train, num_test):
    """The factors of the train and test splits drawn from `seed` (see the module docstring)."""
    train_rng, test_rng = (np.random.default_rng(stream)
                           for stream in np.random.SeedSequence(seed).spawn(2))
    return SHAPES64.sample_factors(num_train, train_rng), SHAPES64.sample_factors(num_test,
                                                                                  test_rng)


@register_source("shapes64")
def load_shapes64(config, seed):
    """Loads the `shapes64` source (see the module docstring) as a `DataBundle`."""
    num_train, num_test = config["num_train"], config["num_test"]
    splits = {}
    for split, factors in zip(("train", "test"), split_factors(seed, num_train, num_test)):
        splits[split] = (SHAPES64.render_uint8(factors), factors[:, 0].astype(np.int32))

    def decode(images):
        return decode_images(images, 255)

    return build_bundle(
        name="shapes64",
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


def write_tfds(data_dir, num_train, num_test, seed=0, name="shapes64_records",
               chunk=2048, file_format="array_record", encoding="png"):
    """Writes `shapes64` images as a prepared TFDS dataset, readable as `tfds:<name>`.

    The images are stored with their shape label, PNG-encoded (TFDS `Image` features: like
    CelebA's JPEGs they are decoded on every read) or raw (uint8 `Tensor` features: 12,288
    bytes an image, ten times faster to write, nothing to decode but the bytes); rendering
    runs `chunk` images at a time.

    Args:
        data_dir: str. The TFDS data dir to write to (`data.data_dir` when reading).
        num_train, num_test: int. Images in each split.
        seed: int. Seeds the factors, as `load_data` does for `shapes64`.
        name: str. The dataset name.
        chunk: int. Images rendered at a time.
        file_format: str. "array_record" (read by index) or "tfrecord" (read in order).
        encoding: str. "png" or "raw".

    Returns:
        The TFDS builder of the written dataset.
    """
    import tensorflow_datasets as tfds

    num_train = check_int("write_tfds", "num_train", num_train, minimum=1)
    num_test = check_int("write_tfds", "num_test", num_test, minimum=1)
    check_choice("write_tfds", "encoding", encoding, ("png", "raw"))
    if encoding == "png":
        image_feature = tfds.features.Image(shape=SHAPES64.image_shape)
    else:
        image_feature = tfds.features.Tensor(shape=SHAPES64.image_shape, dtype=np.uint8)
    train_factors, test_factors = split_factors(seed, num_train, num_test)

    def examples(factors):
        for start in range(0, len(factors), chunk):
            block = factors[start:start + chunk]
            for offset, image in enumerate(SHAPES64.render_uint8(block)):
                yield start + offset, {"image": image, "label": int(block[offset, 0])}

    return tfds.dataset_builders.store_as_tfds_dataset(
        name=name, version="1.0.0",
        features=tfds.features.FeaturesDict({
            "image": image_feature,
            "label": tfds.features.ClassLabel(names=list(SHAPES))}),
        data_dir=str(data_dir),
        split_datasets={"train": examples(train_factors), "test": examples(test_factors)},
        file_format=file_format, disable_shuffling=True,
        description="Procedural coloured shapes on textured backgrounds (tfhybrids shapes64).")
