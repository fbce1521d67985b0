"""Two worker processes on 127.0.0.1 train one model with MultiWorkerMirroredStrategy.

Keras `fit` cannot run under this strategy in TF 2.21; tfhybrids drives the model's own
train_step through `strategy.run`. Both workers must end with the same losses, and only the
chief may write to its workdir.
"""

import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO

TINY_AAE = os.path.join(REPO, "configs", "tiny", "aae_digits.yaml")


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _train_two_workers(tmp_path, *extra):
    """Runs the two workers of one multi-worker run; returns their (returncode, out, err)."""
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    processes = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
               "TF_CONFIG": json.dumps({"cluster": cluster,
                                        "task": {"type": "worker", "index": index}})}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "tfhybrids.cli", "train", TINY_AAE,
             "--workdir", str(tmp_path / f"worker{index}"),
             "--set", "train.strategy=multi_worker", "--set", "train.image_every=0",
             "--set", "train.verbose=0", *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=420)
            outputs.append((process.returncode, out, err))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    return outputs


@pytest.mark.slow  # the default run stays under 10 minutes
def test_two_workers_train_to_the_same_losses_and_only_the_chief_writes(tmp_path):
    outputs = _train_two_workers(tmp_path)
    for code, out, err in outputs:
        assert code == 0, err[-3000:]
    losses = [re.search(r"Test metrics: (.*)", out).group(1) for _, out, _ in outputs]
    assert losses[0] == losses[1]
    assert "recon_loss=" in losses[0]

    chief, other = tmp_path / "worker0", tmp_path / "worker1"
    assert (chief / "checkpoints" / "state.json").exists()
    assert (chief / "metrics.json").exists()
    assert (chief / "export" / "aae" / "1" / "saved_model.pb").exists()
    assert not other.exists() or not any(other.iterdir())


@pytest.mark.slow
def test_streamed_workers_each_read_half_the_examples_and_train_as_one_device(tmp_path):
    from streamed_data import write_digits_records

    records = write_digits_records(tmp_path / "records")
    steps = 40  # 2 epochs of 20: each worker trains on 40 * 16 rows of the global batches
    settings = ["--set", "train.steps_per_epoch=20", "--set", f"data.name={records['name']}",
                "--set", f"data.data_dir={records['data_dir']}", "--set", "data.cache=false"]
    outputs = _train_two_workers(tmp_path, *settings)
    for code, out, err in outputs:
        assert code == 0, err[-3000:]
    reads = [int(re.search(r"Read (\d+) train examples by index", out).group(1))
             for _, out, _ in outputs]
    # Its half (640) plus the parallel readers' read-ahead; the whole batches would be 1280.
    assert all(steps * 16 <= count < steps * 32 for count in reads), reads

    one_device = subprocess.run(
        [sys.executable, "-m", "tfhybrids.cli", "train", TINY_AAE,
         "--workdir", str(tmp_path / "one_device"), "--set", "train.image_every=0", *settings],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True,
        timeout=300)
    assert one_device.returncode == 0, one_device.stderr[-3000:]
    with open(tmp_path / "one_device" / "metrics.json") as f:
        expected = json.load(f)["test"]
    with open(tmp_path / "worker0" / "metrics.json") as f:
        trained = json.load(f)["test"]
    for key, value in expected.items():
        np.testing.assert_allclose(trained[key], value, rtol=1e-4, err_msg=key)
