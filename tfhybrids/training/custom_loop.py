"""A training loop for strategies under which Keras' `fit` does not run.

Keras 3 `fit` fails under MultiWorkerMirroredStrategy in TF 2.21 (it reduces scalar logs
along a dimension they do not have; tensorflow/tensorflow#72388). This loop calls the
model's own `train_step` and `test_step` through `strategy.run` and reduces their logs itself,
so every model trains under every strategy with one implementation of its training logic. It
drives the same Keras callbacks as `fit` (progress bar, TensorBoard, checkpoints).

Each worker keeps its own slice of every global batch (`distribute_datasets_from_function`),
so replica r sees rows [r*b, (r+1)*b) of the global batch: the rows, and hence the noise
slices, one device would give it. The training stream is built per worker for its slice
(`data_stream.train_stream(..., shard=...)`), so a source with random access reads only that
slice; other datasets are read whole by every worker, which keeps its slice.
"""

import keras
import numpy as np
import tensorflow as tf

from tfhybrids.training.checkpoints import evaluation_noise
from tfhybrids.training.data_stream import keep_rows


def distribute(strategy, dataset):
    """A distributed dataset in which each worker gets its slice of each global batch.

    Args:
        strategy: tf.distribute.Strategy.
        dataset: tf.data.Dataset of global batches (each worker reads it and keeps its slice),
            or a function `shard -> dataset` that builds input pipeline `index` of `count`'s
            slice itself, `shard = (index, count)`.
    """
    def pipeline(context):
        shard = (context.input_pipeline_id, context.num_input_pipelines)
        if callable(dataset):
            return dataset(shard)
        return keep_rows(dataset, *shard)

    return strategy.distribute_datasets_from_function(pipeline)


def _reduce_logs(strategy, per_replica_logs):
    return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
            for name, value in per_replica_logs.items()}


def _to_python(logs):
    return {name: float(np.asarray(value)) for name, value in logs.items()}


def evaluate(model, strategy, dataset, steps):
    """Runs test_step over `steps` batches under `strategy` and returns the mean logs."""
    for metric in model.metrics:
        metric.reset_state()
    iterator = iter(distribute(strategy, dataset))

    @tf.function
    def test_step(iterator):
        return _reduce_logs(strategy, strategy.run(model.test_step, args=(next(iterator),)))

    logs = {}
    for _ in range(steps):
        logs = test_step(iterator)
    return _to_python(logs)


def fit(model, strategy, stream, epochs, steps_per_epoch, initial_epoch=0, callbacks=(),
        validation_data=None, validation_steps=None, verbose=1):
    """Trains like `model.fit` under any strategy; returns the History callback.

    `stream` is a dataset of global batches or a function of the shard (see `distribute`).
    """
    iterator = iter(distribute(strategy, stream))

    @tf.function
    def train_step(iterator):
        return _reduce_logs(strategy, strategy.run(model.train_step, args=(next(iterator),)))

    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=verbose != 0, model=model,
        verbose=verbose, epochs=epochs, steps=steps_per_epoch)
    model.stop_training = False
    callback_list.on_train_begin()
    epoch_logs = {}
    for epoch in range(initial_epoch, epochs):
        for metric in model.metrics:
            metric.reset_state()
        callback_list.on_epoch_begin(epoch)
        for step in range(steps_per_epoch):
            callback_list.on_train_batch_begin(step)
            logs = _to_python(train_step(iterator))
            callback_list.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        epoch_logs = dict(logs)
        if validation_data is not None and validation_steps:
            with evaluation_noise(model):
                val_logs = evaluate(model, strategy, validation_data, validation_steps)
            epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end(epoch_logs)
    return model.history


def barrier(strategy):
    """Blocks until every worker reaches this point (a one-element all-reduce)."""

    @tf.function
    def ones():
        return strategy.reduce(tf.distribute.ReduceOp.SUM,
                               strategy.run(lambda: tf.ones([])), axis=None)

    return float(ones())
