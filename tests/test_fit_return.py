"""`fit` returns when its last step is done: no tf.data clean-up left waiting after it."""

import os
import sys

import pytest

from conftest import REPO
from tfhybrids.data import load_data
from tfhybrids.training.config import load_config
from tfhybrids.training.data_stream import train_stream

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import fit_return  # noqa: E402


def test_training_and_validation_datasets_have_no_autotune_model():
    # Deleting an iterator of an autotuned pipeline could wait up to 60 s for the autotuning
    # thread (tfhybrids.data.base.without_autotune_model); `fit` deletes two, the stream's
    # and the validation data's.
    config = load_config(os.path.join(REPO, "configs", "vae_digits.yaml"))
    bundle = load_data(config["data"], seed=0)
    for name, dataset in (("train stream", train_stream(bundle, seed=0, start_step=3)),
                          ("train", bundle.train), ("test", bundle.test)):
        assert dataset.options().autotune.enabled is False, name


@pytest.mark.slow
def test_fit_returns_within_a_second_of_its_last_step():
    # Long enough (about a minute) for the autotuning thread's sleep to have grown to tens of
    # seconds; before the fix about half of such runs waited 5-60 s with the CPU idle.
    result = fit_return.time_fit_return(
        os.path.join(REPO, "configs", "vae_fashion_mnist.yaml"), steps=200, epochs=2)
    assert result["wall"] < 1.0, result
