"""`tfhybrids explore`: traversals, interpolations and code arithmetic, on hand-made models and
end to end on a tiny trained VAE."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from conftest import REPO
from tfhybrids import cli
from tfhybrids.errors import ConfigError
from tfhybrids.evaluation import explore


class PixelCodeModel:
    """Code = the image's mean pixel (1-D); decode draws a flat 4x4 image of that value."""

    latent_dim = 1

    def encode_outputs(self, x):
        return {"code": tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1,
                                       keepdims=True)}

    def decode(self, z, training=False):
        return tf.tile(tf.reshape(z, [-1, 1, 1, 1]), [1, 4, 4, 1])

    def sample_prior(self, num, seed):
        return tf.random.stateless_uniform([num, 1], seed=seed, minval=-1.0, maxval=1.0)


def test_traversal_codes_move_one_unit_per_row():
    codes = explore.traversal_codes([0.5, -0.5, 2.0], units=[2, 0], low=[-3, -3, -3],
                                    high=[3, 3, 3], steps=4)
    assert codes.shape == (8, 3)
    np.testing.assert_allclose(codes[:4, 2], [-3, -1, 1, 3])
    np.testing.assert_allclose(codes[:4, :2], [[0.5, -0.5]] * 4)
    np.testing.assert_allclose(codes[4:, 0], [-3, -1, 1, 3])
    np.testing.assert_allclose(codes[4:, 1:], [[-0.5, 2.0]] * 4)


def test_interpolation_includes_both_ends():
    codes = explore.interpolation_codes([0.0, 1.0], [1.0, -1.0], 3)
    np.testing.assert_allclose(codes, [[0, 1], [0.5, 0], [1, -1]])


def test_arithmetic_decodes_mean_a_minus_mean_b_plus_mean_c():
    values = np.array([0.6, 0.4, -0.2, 0.1, 0.3, -0.8], np.float32)
    labels = np.array([0, 0, 1, 1, 2, 2])
    x = np.tile(values[:, None, None, None], [1, 4, 4, 1])
    pictures = explore.latent_pictures(PixelCodeModel(), x, labels, steps=3, num_pairs=2,
                                       triples=[(0, 1, 2)])
    grid = pictures["arithmetic"]
    # Means: class 0 -> 0.5, class 1 -> -0.05, class 2 -> -0.25; 0.5 + 0.05 - 0.25 = 0.3.
    # Upscaled 16x, padding 1 * 16: read the centre of each of the 4 cells.
    cell = (4 + 1) * 16
    centres = [grid[cell // 2 + 8, k * cell + cell // 2 + 8, 0] for k in range(4)]
    expected = np.round((np.array([0.5, -0.05, -0.25, 0.3]) + 1) * 127.5)
    np.testing.assert_allclose(centres, expected, atol=1)
    assert pictures["traversal"].shape[:2] == (5 * 16 + 16, 3 * 5 * 16 + 16)


def test_annotated_pictures_say_what_they_show(monkeypatch):
    captions = {}

    def record(image, title, row_labels=None, column_labels=None):
        captions[title.split(":")[0]] = (row_labels, column_labels)
        return image

    monkeypatch.setattr(explore.plots, "annotate", record)
    values = np.array([0.6, 0.4, -0.2, 0.1, 0.3, -0.8], np.float32)
    x = np.tile(values[:, None, None, None], [1, 4, 4, 1])
    explore.latent_pictures(PixelCodeModel(), x, np.array([0, 0, 1, 1, 2, 2]), steps=3,
                            num_pairs=2, triples=[(0, 1, 2)], annotate=True,
                            class_names=["Sneaker", "Sandal", "Ankle boot"])
    assert set(captions) == {"Traversals", "Interpolations", "Code arithmetic"}
    assert captions["Code arithmetic"] == (["Sneaker - Sandal + Ankle boot"],
                                           ["mean A", "mean B", "mean C", "A - B + C"])
    assert captions["Interpolations"][1][0] == "original"


def test_model_pictures_label_originals_axes_and_prior_samples(monkeypatch):
    from tfhybrids import plots
    from tfhybrids.training.callbacks import model_pictures

    class TwoDimensionalModel:
        """Codes are the first two pixels; decoding fills an image with the first code."""
        latent_dim = 2

        class prior:
            @staticmethod
            def sample(num, seed):
                return tf.random.stateless_normal([num, 2], seed)

        def sample_prior(self, num, seed):
            return self.prior.sample(num, seed)

        def decode(self, codes):
            return tf.tile(tf.tanh(codes[:, :1])[:, None, None, :], [1, 8, 8, 1])

        def encode_outputs(self, x):
            return {"code": tf.reshape(tf.convert_to_tensor(x), [-1, 64])[:, :2]}

        def __call__(self, x):
            return self.decode(self.encode_outputs(x)["code"])

    class Bundle:
        element_shape = (8, 8, 1)
        class_names = [str(i) for i in range(10)]

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 10, 64)
    model, bundle = TwoDimensionalModel(), Bundle()
    calls = []
    real_annotate, real_scatter = plots.annotate, plots.scatter
    monkeypatch.setattr(plots, "annotate", lambda *a, **k: calls.append(("annotate", a, k))
                        or real_annotate(*a, **k))
    monkeypatch.setattr(plots, "scatter", lambda *a, **k: calls.append(("scatter", a, k))
                        or real_scatter(*a, **k))
    pictures = model_pictures(model, bundle, x, y)
    assert set(pictures) == {"samples", "reconstructions", "latent"}
    titles = {args[1].split(":")[0]: kwargs for kind, args, kwargs in calls if kind == "annotate"}
    assert titles["Reconstructions"]["row_labels"][:2] == ["original", "reconstruction"]
    assert "Samples" in titles
    (_, args, latent), = [c for c in calls if c[0] == "scatter"]
    assert latent["reference_label"] == "prior samples"
    assert latent["axis_labels"] == ("z[0]", "z[1]") and "Test codes by label" in latent["title"]
    np.testing.assert_array_equal(args[1], y)  # coloured by label
    # The annotation draws: a title band above the grid.
    grid = np.zeros((40, 40, 1), np.uint8)
    drawn = plots.annotate(grid, "A title", row_labels=["a", "b"])
    assert drawn.shape[0] > 40 and drawn.shape[1] > 40
    assert drawn[:drawn.shape[0] - 40 - 15].min() < 128  # dark text above the (black) grid


def test_units_are_ordered_by_kl():
    class TwoUnits:
        def encode_outputs(self, x):
            n = tf.shape(x)[0]
            mean = tf.stack([tf.zeros([n]), tf.linspace(-2.0, 2.0, n)], axis=1)
            return {"mean": mean, "log_var": tf.zeros_like(mean)}

    order, scores = explore.unit_order(TwoUnits(), np.zeros((10, 2, 2, 1), np.float32))
    np.testing.assert_array_equal(order, [1, 0])
    assert scores[0] == pytest.approx(0.0)


def test_parse_arithmetic():
    names = ["Sneaker", "Sandal", "Ankle boot"]
    assert explore.parse_arithmetic("Sneaker-Sandal+Ankle boot", names, 3) == (0, 1, 2)
    assert explore.parse_arithmetic("2-0+1", None, 3) == (2, 0, 1)
    with pytest.raises(ConfigError):
        explore.parse_arithmetic("0+1-2", names, 3)
    with pytest.raises(ConfigError, match="unknown class"):
        explore.parse_arithmetic("0-1+Boot", names, 3)


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("explore") / "vae")
    assert cli.main(["train", os.path.join(REPO, "configs", "tiny", "vae_digits.yaml"),
                     "--workdir", workdir, "--set", "train.export=false"]) == 0
    return workdir


def test_explore_writes_pngs_and_tensorboard_images(vae_run):
    assert cli.main(["explore", vae_run, "--steps", "5", "--arithmetic", "1-7+9"]) == 0
    for name in ("traversal", "interpolation", "arithmetic"):
        assert os.path.getsize(os.path.join(vae_run, "explore", f"{name}.png")) > 0
    tags = set()
    directory = os.path.join(vae_run, "logs", "explore")
    for name in os.listdir(directory):
        accumulator = event_accumulator.EventAccumulator(os.path.join(directory, name),
                                                         size_guidance={"tensors": 0})
        accumulator.Reload()
        tags |= set(accumulator.Tags()["tensors"])
    assert {"explore/traversal", "explore/interpolation", "explore/arithmetic"} <= tags


def test_explore_rejects_a_bad_arithmetic(vae_run, capsys):
    assert cli.main(["explore", vae_run, "--arithmetic", "1+7"]) == 2
    assert "a-b+c" in capsys.readouterr().err
