"""Data at scale: does training memory stay flat as the data set grows, is the input pipeline
fast enough, and is a late resume as cheap as an early one?

Writes two procedural `shapes64` TFDS datasets (ArrayRecord, raw uint8 64x64x3 images): a large
one (by default 170,000 train images: 2.1 GB on disk, 8.4 GB decoded to float32, four times the
`data.cache: auto` budget) and one ten times smaller, plus a PNG-encoded set for the cost of
decoding, into a temporary directory that is deleted afterwards. On each it measures:

  peak RSS       resource.getrusage(RUSAGE_CHILDREN).ru_maxrss of a training subprocess
                 (`tfhybrids train <config>` for a fixed number of steps, data.cache false so
                 both sizes stream; the small set would fit the auto cache budget).
  pipeline       images/s of the training stream alone (read, decode, batch), after warm-up.
  training       images/s of `model.fit` on that stream, after a warm-up epoch.
  resume         seconds from building the stream at a late step of a data epoch to its first
                 batch, read by index (this library) and by skipping the epoch's first batches
                 (what a sequential reader has to do), and at step 0 for reference.

    python benchmarks/data_scale.py                      # about 2 GB and 0.2 GB
    python benchmarks/data_scale.py --train-images 20000 # a quick run

The machine this runs on may be shared: throughput ratios are only meaningful within one run.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(REPO, "configs", "vae_64.yaml")
TEST_IMAGES = 512


def _data_section(data_dir, name, batch_size, cache=False):
    return {"name": f"tfds:{name}", "data_dir": data_dir, "label_key": "label",
            "batch_size": batch_size, "cache": cache}


def _grow_train_split(data_dir, name, count):
    """Makes the train split of a written TFDS ArrayRecord dataset `count` records long by
    cycling its records, and updates dataset_info.json to match.

    TFDS's writer serialises about 5 ms an example on this machine (12 minutes for 170k), so
    the large sets hold `DISTINCT_IMAGES` rendered images repeated: reading, decoding and
    memory cost per record are those of distinct images.
    """
    from array_record.python.array_record_data_source import ArrayRecordDataSource
    from array_record.python.array_record_module import ArrayRecordWriter

    folder = os.path.join(data_dir, name, "1.0.0")
    (shard,) = [f for f in os.listdir(folder) if "-train.array_record-" in f]
    path = os.path.join(folder, shard)
    source = ArrayRecordDataSource([path])
    records = [source[i] for i in range(len(source))]
    writer = ArrayRecordWriter(path + ".grown", "group_size:1")
    for i in range(count):
        writer.write(records[i % len(records)])
    writer.close()
    os.replace(path + ".grown", path)
    info_path = os.path.join(folder, "dataset_info.json")
    with open(info_path) as f:
        info = json.load(f)
    for split in info["splits"]:
        if split["name"] == "train":
            split["shardLengths"] = [str(count)]
            split["numBytes"] = str(sum(len(records[i % len(records)]) for i in range(count)))
    with open(info_path, "w") as f:
        json.dump(info, f)


DISTINCT_IMAGES = 8192


def write_datasets(root, train_images, ratio, png_images):
    from tfhybrids.data.shapes64 import write_tfds

    written = {}
    for label, count, encoding in (("large", train_images, "raw"),
                                   ("small", train_images // ratio, "raw"),
                                   ("png", png_images, "png")):
        start = time.perf_counter()
        name = f"shapes64_{label}"
        write_tfds(os.path.join(root, "tfds"), min(count, DISTINCT_IMAGES), TEST_IMAGES,
                   seed=0, name=name, encoding=encoding)
        if count > DISTINCT_IMAGES:
            _grow_train_split(os.path.join(root, "tfds"), name, count)
        seconds = time.perf_counter() - start
        disk = sum(os.path.getsize(os.path.join(folder, f))
                   for folder, _, files in os.walk(os.path.join(root, "tfds", name))
                   for f in files)
        written[label] = {"name": name, "encoding": encoding, "train_images": count,
                          "write_s": round(seconds, 1),
                          "pixels_gb": round(count * 64 * 64 * 3 / 1e9, 3),
                          "decoded_float32_gb": round(count * 64 * 64 * 3 * 4 / 1e9, 2),
                          "disk_mb": round(disk / 1e6, 1)}
        print(f"wrote {name}: {written[label]}", flush=True)
    return written


def peak_rss_of_training(config, data, workdir, steps):
    """Runs a training subprocess and returns (peak RSS in MB, wall seconds)."""
    command = [sys.executable, "-m", "tfhybrids.cli", "train", config, "--workdir", workdir,
               "--set", f"data={json.dumps(data)}", "--set", "train.epochs=1",
               "--set", f"train.steps_per_epoch={steps}", "--set", "train.export=false",
               "--set", "train.image_every=0", "--set", "train.verbose=0"]
    # A fresh measuring process per run: RUSAGE_CHILDREN is the peak of the children it has
    # waited for, so each figure must come from a process with one child.
    measure = ("import resource, subprocess, sys, time\n"
               "start = time.perf_counter()\n"
               f"code = subprocess.run({command!r}, capture_output=True, text=True)\n"
               "seconds = time.perf_counter() - start\n"
               "if code.returncode: sys.exit(code.stderr[-3000:])\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, seconds)\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": REPO}
    result = subprocess.run([sys.executable, "-c", measure], capture_output=True, text=True,
                            env=env)
    if result.returncode:
        raise RuntimeError(f"training failed: {result.stderr[-3000:]}")
    kilobytes, seconds = result.stdout.split()
    return int(kilobytes) / 1024, float(seconds)


def pipeline_rate(stream, batch_size, batches, warmup=20):
    iterator = iter(stream)
    for _ in range(warmup):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def first_batch_seconds(make_stream):
    start = time.perf_counter()
    next(iter(make_stream()))
    return time.perf_counter() - start


def training_rate(config_path, data, steps):
    """Images/s of model.fit on the training stream, timed over a second epoch of `steps`."""
    import keras

    from tfhybrids.training.config import load_config
    from tfhybrids.training.data_stream import train_stream
    from tfhybrids.training.runner import build_run

    config = load_config(config_path, [f"data={json.dumps(data)}"])
    bundle, model, _ = build_run(config)
    times = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            times.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            times[-1] = time.perf_counter() - times[-1]

    model.fit(train_stream(bundle, 0), epochs=2, steps_per_epoch=steps, verbose=0,
              callbacks=[EpochTimer()])
    return steps * bundle.batch_size / times[-1]


def measure(root, written, config, steps, batch_size):
    import dataclasses

    from tfhybrids.data import load_data
    from tfhybrids.training.data_stream import batches_per_data_epoch, train_stream

    data_dir = os.path.join(root, "tfds")
    results = {}
    png = written.pop("png")
    bundle = load_data(_data_section(data_dir, png["name"], batch_size), seed=0)
    results["png_pipeline_images_per_s"] = round(pipeline_rate(train_stream(bundle, 0),
                                                               batch_size, 100))
    print(f"png: {png}, pipeline {results['png_pipeline_images_per_s']} images/s", flush=True)
    for label, info in written.items():
        data = _data_section(data_dir, info["name"], batch_size)
        rss_mb, wall = peak_rss_of_training(config, data, os.path.join(root, f"run_{label}"),
                                            steps)
        bundle = load_data(data, seed=0)
        late = batches_per_data_epoch(bundle) - 5
        sequential = dataclasses.replace(bundle, indexed={})
        results[label] = {
            **info,
            "peak_rss_mb": round(rss_mb),
            "training_run_s": round(wall, 1),
            "pipeline_images_per_s": round(pipeline_rate(train_stream(bundle, 0), batch_size,
                                                         200)),
            "first_batch_s_step_0": round(first_batch_seconds(
                lambda: train_stream(bundle, 0)), 3),
            "late_step": late,
            "first_batch_s_late_by_index": round(first_batch_seconds(
                lambda: train_stream(bundle, 0, start_step=late)), 3),
            "first_batch_s_late_by_skipping": round(first_batch_seconds(
                lambda: train_stream(sequential, 0, start_step=late)), 2),
        }
        print(f"{label}: {results[label]}", flush=True)
    results["training_images_per_s"] = round(training_rate(
        config, _data_section(data_dir, written["small"]["name"], batch_size), steps), 1)
    print(f"training: {results['training_images_per_s']} images/s", flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-images", type=int, default=170_000,
                        help="train images of the large set (170000: 2.1 GB of pixels)")
    parser.add_argument("--ratio", type=int, default=10, help="large / small")
    parser.add_argument("--png-images", type=int, default=8000,
                        help="train images of a PNG-encoded set, for the decoding pipeline")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="a 64x64 config")
    parser.add_argument("--steps", type=int, default=30, help="training steps per run")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--tmp", default=None, help="parent of the temporary directory")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    root = tempfile.mkdtemp(prefix="tfhybrids_data_scale_", dir=args.tmp)
    try:
        written = write_datasets(root, args.train_images, args.ratio, args.png_images)
        results = measure(root, written, args.config, args.steps, args.batch_size)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    large, small = results["large"], results["small"]
    rss_ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    pipeline_ratio = min(large["pipeline_images_per_s"], small["pipeline_images_per_s"],
                         results["png_pipeline_images_per_s"]) / results["training_images_per_s"]
    print(f"peak RSS large/small: {rss_ratio:.3f} ({large['peak_rss_mb']} vs "
          f"{small['peak_rss_mb']} MB; large set decoded: {large['decoded_float32_gb']} GB)")
    print(f"input pipeline / training images/s: {pipeline_ratio:.1f}x")
    results["summary"] = {"rss_ratio": round(rss_ratio, 3),
                          "pipeline_over_training": round(pipeline_ratio, 1),
                          "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    print(json.dumps(results["summary"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
