"""benchmarks/mode_collapse.py resumes after a kill: a repeated command skips the runs (and the
AVB toy) finished earlier with the same settings, by their result files under OUT/runs/."""

import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import mode_collapse  # noqa: E402


def fake_run(data, key, seed, args):
    return ({"model": mode_collapse.MODELS[key][0], "key": key, "data": data, "seed": seed,
             "steps": args.steps, "cpu_seconds": 1.0, "modes_captured": 8, "num_modes": 8,
             "high_quality_percent": 50.0}, None)


class Killed(Exception):
    pass


def test_a_repeated_command_trains_only_the_runs_not_finished(tmp_path, monkeypatch):
    trained, kill_at = [], [3]

    def counting_run(*job):
        trained.append(job[:3])
        if len(trained) == kill_at[0]:
            raise Killed  # the benchmark is killed while it trains the third run
        return fake_run(*job)

    monkeypatch.setattr(mode_collapse, "run_one", counting_run)
    argv = ["--models", "gan,veegan", "--datasets", "ring", "--seeds", "2", "--no-avb",
            "--out", str(tmp_path), "--steps", "7"]
    try:
        mode_collapse.run_benchmark(mode_collapse.parse_args(argv), print)
    except Killed:
        pass
    assert len(os.listdir(tmp_path / "runs")) == 2
    trained.clear()
    kill_at[0] = None
    runs = mode_collapse.run_benchmark(mode_collapse.parse_args(argv), print)
    assert trained == [("ring", "veegan", 0), ("ring", "veegan", 1)]
    assert [(r["key"], r["seed"]) for r in runs] == [
        ("gan", 0), ("gan", 1), ("veegan", 0), ("veegan", 1)]
    # Other settings are other runs: nothing is reused.
    trained.clear()
    mode_collapse.run_benchmark(mode_collapse.parse_args(argv[:-1] + ["8"]), print)
    assert len(trained) == 4


def test_the_avb_toy_is_reused_only_with_the_same_settings(tmp_path):
    args = mode_collapse.parse_args(["--avb-steps", "20", "--out", str(tmp_path)])
    assert mode_collapse.load_finished_avb(args) is None
    mode_collapse.save_finished_avb(args, {"log_likelihood": -1.4, "steps": 20,
                                           "cpu_seconds": 3.0})
    (tmp_path / "avb_posterior.png").write_bytes(b"")
    assert mode_collapse.load_finished_avb(args)["log_likelihood"] == -1.4
    other = mode_collapse.parse_args(["--avb-steps", "30", "--out", str(tmp_path)])
    assert mode_collapse.load_finished_avb(other) is None
    fresh = mode_collapse.parse_args(["--avb-steps", "20", "--fresh", "--out", str(tmp_path)])
    assert mode_collapse.load_finished_avb(fresh) is None
