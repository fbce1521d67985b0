"""Callbacks for `fit`: checkpoints each epoch, TensorBoard scalars (with every player's
learning rate) and images, a non-finite loss guard."""

import math

import keras
import numpy as np
import tensorflow as tf

from tfhybrids.errors import TrainingError
from tfhybrids import plots
from tfhybrids.schedules import current_learning_rate
from tfhybrids.faults import fault_point
from tfhybrids.training.checkpoints import evaluation_noise


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves a resumable checkpoint at the end of every epoch (see training.checkpoints)."""

    def __init__(self, store, is_chief=True):
        super().__init__()
        self.store = store
        self.is_chief = is_chief

    def on_epoch_end(self, epoch, logs=None):
        if self.is_chief:
            self.store.save(self.model, epoch + 1)


class TensorBoard(keras.callbacks.TensorBoard):
    """Keras' TensorBoard callback, with one learning-rate series per optimizer.

    Keras logs a single `epoch_learning_rate`, that of `model.optimizer` (only the first
    player's); this logs `learning_rate/<optimizer name>` for every player instead, at the
    step of the epoch scalars: the rate of the optimizer's next update, which a schedule
    computes from that optimizer's own step count.
    """

    def _collect_learning_rate(self, logs):
        return logs

    def _log_epoch_metrics(self, epoch, logs):
        super()._log_epoch_metrics(epoch, logs)
        with self._train_writer.as_default():
            for name in self.model.optimizer_names:
                self.summary.scalar(f"learning_rate/{name}",
                                    current_learning_rate(getattr(self.model, name)),
                                    step=epoch)


class EvaluationNoise(keras.callbacks.Callback):
    """Runs every validation pass of `fit` under `checkpoints.evaluation_noise`, so the
    validation losses of an epoch are the test losses of its weights, not of its noise."""

    def on_test_begin(self, logs=None):
        self._noise = evaluation_noise(self.model)
        self._noise.__enter__()

    def on_test_end(self, logs=None):
        self._noise.__exit__(None, None, None)


class FaultPoints(keras.callbacks.Callback):
    """Lets the resume tests kill training mid-epoch (see tfhybrids.faults)."""

    def on_train_batch_end(self, batch, logs=None):
        fault_point("train_batch")


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training with a clear error when a reported loss becomes NaN or infinite.

    It raises before the epoch's checkpoint is written, so the last checkpoint on disk holds
    the last good state. With `skip=True` (train.on_nonfinite: skip_batch) the model has
    already declined to apply non-finite updates; this callback then counts the skipped
    player updates, resets the loss scale that recorded them, and reports them per epoch.
    """

    def __init__(self, store, skip=False, log=print):
        super().__init__()
        self.store = store
        self.skip = skip
        self.log = log
        self.epoch = 0
        self.skipped = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.skipped = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.skip and self.skipped:
            self.log(f"Epoch {epoch + 1}: skipped {self.skipped} player update(s) with "
                     "non-finite gradients.")

    def on_train_batch_end(self, batch, logs=None):
        if self.skip:
            for name in self.model.optimizer_names:
                optimizer = getattr(self.model, name)
                scale = getattr(optimizer, "dynamic_scale", None)
                value = float(scale.numpy()) if scale is not None else 1.0
                if value < 1.0:
                    # Each skipped update halves the scale, and this runs once per
                    # steps_per_execution steps, so the scale tells how many were skipped.
                    self.skipped += max(1, round(-math.log2(value)))
                    scale.assign(1.0)
            return
        for name, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                latest = self.store.latest() if self.store else None
                where = (f"the last good checkpoint is {latest[1]} (epoch {latest[0]})"
                         if latest else "no checkpoint was written yet")
                raise TrainingError(
                    f"{name} became {value} at epoch {self.epoch + 1}, step {batch + 1}; "
                    f"training stopped and {where}. Lower the learning rate or check the data."
                )


class ImageSummaries(keras.callbacks.Callback):
    """Writes sample grids, reconstructions and 2-D latent plots to TensorBoard.

    Samples decode a fixed set of prior codes each time, so the grids show how one set of
    samples evolves; reconstructions show fixed test images above their reconstructions.
    """

    def __init__(self, log_dir, bundle, every=1, num_samples=64, seed=1234):
        super().__init__()
        self.log_dir = log_dir
        self.bundle = bundle
        self.every = every
        self.num_samples = num_samples
        self.seed = seed
        self.writer = None
        self.test_x, self.test_y = bundle.arrays("test", limit=2000)

    def on_train_begin(self, logs=None):
        self.writer = tf.summary.create_file_writer(self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        if not self.every or (epoch + 1) % self.every:
            return
        images = model_pictures(self.model, self.bundle, self.test_x, self.test_y,
                                self.num_samples, self.seed)
        # The step of the epoch's scalars (Keras' TensorBoard callback counts epochs from 0),
        # so a picture and the losses beside it belong to the same epoch.
        with self.writer.as_default(step=epoch):
            for name, image in images.items():
                tf.summary.image(name, image[None], step=epoch)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.flush()


def model_pictures(model, bundle, test_x, test_y, num_samples=64, seed=1234):
    """The pictures of a model at this point: {"samples", "reconstructions", "latent"}.

    Each value is a uint8 [H, W, C] array. Which ones exist depends on what the model can do
    (a sampler, an encoder, a 2-D code).
    """
    pictures = {}
    is_images = len(bundle.element_shape) == 3
    factor = max(1, 64 // bundle.element_shape[0]) if is_images else 1
    if hasattr(model, "sample_prior") and hasattr(model, "decode"):
        codes = model.sample_prior(num_samples if is_images else 2000,
                                   tf.constant([seed, 0], tf.int32))
        samples = np.asarray(model.decode(codes))
        if is_images:
            pictures["samples"] = plots.annotate(
                plots.upscale(plots.image_grid(samples, columns=8), factor),
                f"Samples: decode(z) for the same {len(samples)} prior draws z at every epoch")
        else:
            pictures["samples"] = plots.scatter(
                samples, reference=test_x, reference_label="test data",
                title="Samples decode(z), z ~ prior (blue), over test data (grey)",
                axis_labels=("x[0]", "x[1]"))
    if hasattr(model, "encode_outputs") and is_images:
        originals = test_x[:32]
        recon = np.asarray(model(originals))
        rows = []
        for start in range(0, len(originals), 8):
            rows.extend([originals[start:start + 8], recon[start:start + 8]])
        pictures["reconstructions"] = plots.annotate(
            plots.upscale(plots.image_grid(np.concatenate(rows), columns=8), factor),
            "Reconstructions: each row of test images (original) above the model's "
            "reconstruction of it",
            row_labels=["original", "reconstruction"] * (len(rows) // 2))
    if hasattr(model, "encode_outputs") and getattr(model, "latent_dim", None) == 2:
        codes = latent_codes(model, test_x)
        reference = None
        prior = getattr(model, "prior", None)
        if prior is not None:
            reference = np.asarray(prior.sample(2000, tf.constant([seed, 1], tf.int32)))
        # As the AAE paper's Figure 2: the codes of test images coloured by their label,
        # over samples of the prior they were matched to.
        pictures["latent"] = plots.scatter(
            codes, test_y, reference=reference, reference_label="prior samples",
            title=("Test codes by label" + (" over prior samples (grey)" if reference is
                                             not None else "")),
            class_names=bundle.class_names, axis_labels=("z[0]", "z[1]"))
    return pictures


def latent_codes(model, x, batch_size=500):
    """The deterministic code of each input: the mean for a VAE, the code for an AAE."""
    codes = []
    for start in range(0, len(x), batch_size):
        outputs = model.encode_outputs(x[start:start + batch_size])
        code = outputs.get("code", outputs.get("mean"))
        codes.append(np.asarray(code))
    return np.concatenate(codes) if codes else np.zeros((0, model.latent_dim), np.float32)
