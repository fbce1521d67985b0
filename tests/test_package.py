"""The Python entry point: `tfhybrids.build` from a config, fit on your own tf.data, save and
export, as the package docstring shows; and `help()` finds the API."""

import os
import pydoc

import numpy as np
import tensorflow as tf

import tfhybrids
from conftest import REPO

TINY_AAE = os.path.join(REPO, "configs", "tiny", "aae_digits.yaml")


def test_build_fit_save_and_export_from_python(tmp_path):
    run = tfhybrids.build(TINY_AAE, overrides=["model.latent_dim=3"])
    assert type(run.model).__name__ == "AAE" and run.model.latent_dim == 3
    assert run.config["train"]["epochs"] == 2 and run.data.element_shape == (8, 8, 1)
    # Your own data: any tf.data of images in [-1, 1] with the config's element shape.
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    mine = tf.data.Dataset.from_tensor_slices(images).batch(32)
    before = [w.numpy().copy() for w in run.model.encoder.trainable_weights]
    history = run.model.fit(mine, epochs=1, verbose=0)
    assert np.isfinite(history.history["recon_loss"][-1])
    assert any(not np.allclose(a, w.numpy()) for a, w in
               zip(before, run.model.encoder.trainable_weights))
    run.model.save(tmp_path / "aae.keras")
    # The export step of the example (export_model itself is tested in test_export.py).
    from tfhybrids.export import saved_model

    assert tfhybrids.export.export_model is saved_model.export_model


def test_build_takes_a_config_dict_and_reports_bad_keys():
    import pytest

    with pytest.raises(ValueError, match=r"model.encoder.hidden_units\[0\]: must be at least 1"):
        tfhybrids.build({"model": {"class": "AAE", "latent_dim": 2,
                                   "encoder": {"hidden_units": [0]}},
                         "data": {"name": "digits"}})


def test_help_finds_the_entry_points():
    top = pydoc.render_doc(tfhybrids, renderer=pydoc.plaintext)
    assert "tfhybrids.build(" in top and "export_model(run.model" in top
    export = pydoc.render_doc(tfhybrids.export, renderer=pydoc.plaintext)
    assert "export_model(model, base_dir, name, version=None)" in export
    assert "Exports `model` as `<base_dir>/<name>/<version>/`" in export  # its own docstring
    assert "Adversarial" in pydoc.render_doc(tfhybrids.models.AAE, renderer=pydoc.plaintext)


def _readme():
    with open(os.path.join(REPO, "README.md")) as f:
        return f.read()


def test_the_readme_tour_writes_under_runs_and_its_outputs_are_ignored():
    import re
    import shutil
    import subprocess

    import pytest

    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", _readme(), flags=re.S))
    written = re.findall(r"--(?:base|output) (\S+)", blocks)
    assert written and all(path.startswith("runs/") for path in written), written
    if shutil.which("git") is None or not os.path.isdir(os.path.join(REPO, ".git")) and \
            not os.path.isfile(os.path.join(REPO, ".git")):
        pytest.skip("not a git checkout")
    # Also what serving/README.md's commands write from the repository root.
    outputs = ["runs/models/aae/1/saved_model.pb", "runs/samples.npz",
               "models/aae/1/saved_model.pb", "samples.npz", "bench/smoke/results.md"]
    ignored = subprocess.run(["git", "check-ignore", *outputs], cwd=REPO, capture_output=True,
                             text=True).stdout.split()
    assert ignored == outputs


def test_the_readme_says_how_many_checkpoints_are_kept():
    import re

    from tfhybrids.training.config import TRAIN_DEFAULTS

    kept = re.search(r"the last train\.keep_checkpoints \(default (\d+)\) are kept", _readme())
    assert kept and int(kept.group(1)) == TRAIN_DEFAULTS["keep_checkpoints"]
    assert "one checkpoint per epoch" not in _readme()
