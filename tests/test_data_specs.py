"""Tests for tfhybrids.data.specs: every source's keys and values are checked (naming
`data.<key>` and the fix) and its defaults filled in without TensorFlow, and the files it can
see are missing are reported before a loader runs."""

import pytest

from tfhybrids.data import specs
from tfhybrids.data.specs import check_data, check_data_available
from tfhybrids.errors import ConfigError, DataError

FOLDERS = {"domain_x": "x", "domain_y": "y"}
# One section per registered source, with whatever that source requires.
SECTIONS = {
    "digits": {"name": "digits"},
    "dsprites": {"name": "dsprites"},
    "shapes64": {"name": "shapes64"},
    "four_points": {"name": "four_points"},
    "fashion_mnist": {"name": "fashion_mnist"},
    "fashion_mnist_style": {"name": "fashion_mnist_style"},
    "image_folders": {"name": "image_folders", **FOLDERS},
    "tfds:": {"name": "tfds:mnist"},
    "tfds:cycle_gan/": {"name": "tfds:cycle_gan/horse2zebra"},
    "toy2d": {"name": "toy2d"},
}


def test_every_registered_source_has_a_spec_and_every_spec_a_loader():
    from tfhybrids.data import SOURCES

    assert set(SOURCES) == set(specs.SOURCE_KEYS) == set(SECTIONS)


@pytest.mark.parametrize("section, match", [
    ({"name": "digits", "image_size": 4}, r"^data\.image_size: must be at least 8, got 4\.$"),
    ({"name": "dsprites", "num_train": 0}, r"^data\.num_train: must be at least 1"),
    ({"name": "shapes64", "num_test": "many"}, r"^data\.num_test: expected an integer"),
    ({"name": "four_points", "num_train": 2.5}, r"^data\.num_train: expected an integer"),
    ({"name": "fashion_mnist", "train_limit": 0}, r"^data\.train_limit: must be at least 1"),
    ({"name": "fashion_mnist_style", "train_limit": 30001},
     r"^data\.train_limit: must be at most 30000"),
    ({"name": "image_folders", **FOLDERS, "channels": 2},
     r"^data\.channels: unknown value 2\. .*Choose one of: 1, 3"),
    ({"name": "image_folders", "domain_x": "x"}, r"image_folders needs data\.domain_y"),
    ({"name": "tfds:mnist", "label_key": 3}, r"^data\.label_key: expected a string"),
    ({"name": "tfds:cycle_gan/horse2zebra", "image_size": 1000},
     r"^data\.image_size: must be at most 512"),
    ({"name": "toy2d", "dataset": "grid", "spacing": 0}, r"^data\.spacing: must be greater"),
    ({"name": "toy2d", "dataset": "rings"}, r"^data\.dataset: .*Did you mean 'ring'"),
    ({"name": "digits", "batch_size": -3}, r"^data\.batch_size: must be at least 1, got -3"),
    ({"name": "digits", "image_size": "x"}, r"^data\.image_size: expected an integer"),
    ({"name": "digits", "cache": "yes"}, r"^data\.cache: expected auto, true or false"),
    ({"name": "digits", "labeled_batch_size": 8}, r"set data\.labels_per_class too"),
    ({"name": "tfds:"}, r"^data\.name: 'tfds:' needs a dataset name"),
    ({"name": "digit"}, r"^data\.name: .*Did you mean 'digits'"),
    ({"batch_size": 8}, r"^data: missing required key 'name'"),
])
def test_a_bad_value_names_its_key_path(section, match):
    with pytest.raises(ConfigError, match=match):
        check_data(section)


@pytest.mark.parametrize("source", sorted(SECTIONS))
def test_an_unknown_key_lists_the_keys_of_that_source(source):
    with pytest.raises(ConfigError) as error:
        check_data({**SECTIONS[source], "batchsize": 8})
    message = str(error.value)
    assert "unknown key 'batchsize'. Did you mean 'batch_size'?" in message
    allowed = message.split("Allowed keys: ")[1].rstrip(".").split(", ")
    extra = specs.TOY2D_DATASET_KEYS["ring"] if source == "toy2d" else {}
    assert set(allowed) == {"name", *specs.COMMON_KEYS, *specs.SOURCE_KEYS[source], *extra}


def test_toy2d_keys_follow_the_dataset():
    with pytest.raises(ConfigError, match=r"data \(toy2d dataset 'grid'\): unknown key 'radius'"):
        check_data({"name": "toy2d", "dataset": "grid", "radius": 2.0})


@pytest.mark.parametrize("source", sorted(SECTIONS))
def test_defaults_are_filled_in_once(source):
    section = check_data(SECTIONS[source])
    extra = specs.TOY2D_DATASET_KEYS["ring"] if source == "toy2d" else {}
    assert set(section) == {"name", *specs.COMMON_KEYS, *specs.SOURCE_KEYS[source], *extra}
    assert check_data(section) == section  # a checked section passes unchanged


def test_the_filled_in_values():
    assert check_data({"name": "fashion_mnist", "batch_size": 32, "image_size": 32}) == {
        "name": "fashion_mnist", "batch_size": 32, "shuffle_buffer": 10000, "cache": "auto",
        "prefetch": True, "labels_per_class": None, "labels_seed": 0,
        "labeled_batch_size": None, "path": "/usr/share/datasets/fashion-mnist",
        "data_dir": None, "image_size": 32, "train_limit": None, "test_limit": None}
    swiss = check_data({"name": "toy2d", "dataset": "swiss_roll", "noise": "1e-2"})
    assert (swiss["noise"], swiss["num_segments"], swiss["num_test"]) == (0.01, 10, 2500)


def test_a_source_registered_elsewhere_checks_its_own_keys():
    section = {"name": "mine", "anything": 1}
    assert check_data(section, sources=["mine"]) == section
    with pytest.raises(ConfigError, match="unknown value 'mine'"):
        check_data(section)


def test_data_certainly_missing_on_disk_is_found_without_loading(tmp_path):
    empty = str(tmp_path)
    fashion = {"name": "fashion_mnist", "path": empty, "data_dir": empty}
    with pytest.raises(DataError, match=f"Fashion-MNIST not found in {empty} .*apt-get install"):
        check_data_available(fashion)
    with pytest.raises(DataError, match=r"not prepared in .*`tfds build mnist --data_dir "):
        check_data_available({"name": "tfds:mnist", "data_dir": empty})
    with pytest.raises(DataError, match=r"^data\.domain_y: folder .* does not exist"):
        check_data_available({"name": "image_folders", "domain_x": empty,
                              "domain_y": str(tmp_path / "absent")})
    # A dataset folder TFDS might read (half prepared or not) is left for TFDS to judge,
    # and so are names and places only TFDS can resolve.
    (tmp_path / "fashion_mnist").mkdir()
    (tmp_path / "mnist").mkdir()
    check_data_available(fashion)
    check_data_available({"name": "tfds:mnist", "data_dir": empty})
    check_data_available({"name": "tfds:mnist:3.0.1", "data_dir": str(tmp_path / "absent")})
    check_data_available({"name": "tfds:mnist", "data_dir": "gs://bucket/tfds"})
    check_data_available({"name": "digits"})
