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


def test_two_workers_train_to_the_same_losses_and_only_the_chief_writes(tmp_path):
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
             "--set", "train.verbose=0"],
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
