"""Per-epoch checkpoints that a killed run resumes from.

A checkpoint is the model's weights together with every optimizer's state and the seed
generator's state (Keras' `.weights.h5`), plus `state.json` naming the epoch it completes.
Each file is written under a temporary name and renamed, and `state.json` is replaced last,
so a kill at any moment leaves the previous complete checkpoint as the one that is read.
"""

import contextlib
import json
import os
import warnings

import numpy as np

from tfhybrids.errors import TrainingError
from tfhybrids.faults import fault_point


def read_json(path):
    """The JSON document at `path`, or {} if it is missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_json_atomic(path, payload):
    """Writes JSON to `path` via a temporary file and a rename."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _seed_variables(model):
    # Keras' weights files leave out SeedGenerator states; without them a resumed run would
    # replay the noise of the first epochs.
    return {v.path: v for v in model.variables if v.path.endswith("seed_generator_state")}


def seed_states(model):
    """The state of every SeedGenerator in `model`, as {variable path: list of ints}."""
    return {path: [int(x) for x in v.numpy().ravel()] for path, v in _seed_variables(model).items()}


def restore_seed_states(model, states):
    """Restores what `seed_states` saved."""
    variables = _seed_variables(model)
    for path, value in states.items():
        if path in variables:
            variables[path].assign(np.asarray(value, dtype=variables[path].dtype).reshape(
                variables[path].shape))


# Far from any state the training stream reaches ([seed, 0] counting up by one per draw).
_EVALUATION_COUNTER = 1 << 30


@contextlib.contextmanager
def evaluation_noise(model):
    """Evaluates with the same noise every time, then puts the training stream back.

    The adversarial test losses (d_loss, g_loss) depend on prior samples and model noise. With
    the seed generators set to fixed states for each evaluation, the last epoch's `val_*`
    figures, the test losses of metrics.json and those `tfhybrids evaluate` recomputes are one
    and the same figure for the same weights; and validation no longer shifts the noise that
    training draws next.
    """
    saved = seed_states(model)
    for index, variable in enumerate(_seed_variables(model).values()):
        first = int(variable.numpy().ravel()[0])
        fixed = np.zeros(variable.shape, dtype=variable.dtype)
        fixed.ravel()[:2] = [first, _EVALUATION_COUNTER + index]
        variable.assign(fixed)
    try:
        yield
    finally:
        restore_seed_states(model, saved)




RUN_FILE = "run.json"


def check_workdir(workdir, class_name):
    """Refuses a workdir that holds a run of another model class."""
    path = os.path.join(workdir, RUN_FILE)
    if not os.path.exists(path):
        return
    try:
        with open(path) as f:
            previous = json.load(f).get("model_class")
    except (OSError, ValueError):
        previous = None
    if previous and previous != class_name:
        raise TrainingError(
            f"{workdir} holds a run of {previous}, not {class_name}; use another --workdir "
            "or delete that one."
        )


def completed_run(workdir, epochs):
    """The epoch count of a run in `workdir` that finished at least `epochs` epochs (its
    checkpoint, model.keras and metrics.json all written), or None."""
    if not all(os.path.exists(os.path.join(workdir, name)) for name in ("model.keras",
                                                                        "metrics.json")):
        return None
    latest = CheckpointStore(os.path.join(workdir, "checkpoints")).latest()
    return latest[0] if latest is not None and latest[0] >= epochs else None


def completed_message(workdir, epochs):
    """What `tfhybrids train` says instead of training a run that is already complete."""
    return (f"{workdir} is complete (trained for {completed_run(workdir, epochs)} epochs, "
            f"train.epochs is {epochs}; model.keras, metrics.json and the export are there): "
            f"nothing to do. Use --retrain to train it again from scratch, or raise "
            f"train.epochs to train further.")


class CheckpointStore:
    """Saves and restores per-epoch checkpoints in `directory`, keeping the last `keep`."""

    def __init__(self, directory, keep=2):
        self.directory = directory
        self.keep = keep
        self.state_path = os.path.join(directory, "state.json")

    def latest(self):
        """Returns (epoch, weights_path) of the last complete checkpoint, or None."""
        if not os.path.exists(self.state_path):
            return None
        try:
            with open(self.state_path) as f:
                state = json.load(f)
            path = os.path.join(self.directory, state["weights"])
            epoch = int(state["epoch"])
        except (OSError, ValueError, KeyError) as error:
            raise TrainingError(
                f"{self.state_path} is unreadable ({error}); delete the checkpoints folder to "
                "start over."
            ) from None
        if not os.path.exists(path):
            raise TrainingError(
                f"{self.state_path} names {path}, which is missing; delete the checkpoints "
                "folder to start over."
            )
        return epoch, path

    def save(self, model, epoch, extra=None):
        """Writes the checkpoint that completes `epoch` (1-based count of finished epochs)."""
        os.makedirs(self.directory, exist_ok=True)
        name = f"epoch-{epoch:05d}.weights.h5"
        tmp = os.path.join(self.directory, f".tmp-{os.getpid()}.weights.h5")
        model.save_weights(tmp)
        fault_point("checkpoint_weights_written")
        os.replace(tmp, os.path.join(self.directory, name))
        fault_point("checkpoint_renamed")
        write_json_atomic(self.state_path, {
            "epoch": epoch,
            "weights": name,
            "seed_states": seed_states(model),
            **(extra or {}),
        })
        self._prune(keep_name=name)

    def restore(self, model):
        """Loads the latest checkpoint into `model` and returns its epoch (0 when none)."""
        latest = self.latest()
        if latest is None:
            return 0
        epoch, path = latest
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(path)
        for warning in caught:
            text = str(warning.message)
            if text.startswith("Skipping variable loading"):
                # Keras loads what fits and skips the rest: a resumed run would then restart
                # that optimizer (its step count, hence its schedule) from scratch.
                raise TrainingError(
                    f"{path} does not fit this config ({text.split('.')[0].strip()}): resume "
                    "with the optimizers the run started with (a learning rate that was a "
                    "number stays a number, a schedule a schedule), or use another --workdir.")
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
        with open(self.state_path) as f:
            restore_seed_states(model, json.load(f).get("seed_states", {}))
        return epoch

    def _prune(self, keep_name):
        names = sorted(
            n for n in os.listdir(self.directory)
            if n.startswith("epoch-") and n.endswith(".weights.h5")
        )
        for name in names[: max(0, len(names) - self.keep)]:
            if name != keep_name:
                os.remove(os.path.join(self.directory, name))
        for name in os.listdir(self.directory):
            if name.startswith(".tmp-"):
                try:
                    os.remove(os.path.join(self.directory, name))
                except OSError:
                    pass
