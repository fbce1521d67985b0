"""What every hybrid shares: trackers, seeding, optimizers per player, the train step,
config round-trip.

A model subclass declares
- `network_names`: attributes holding its networks (serialised in `get_config`),
- `optimizer_names`: one optimizer per player, named in `compile`, with its default,
- `metric_names`: the names `train_step`/`test_step` report, exactly,
- `phases()`: its train step as a list of `Phase`s, the paper's update rule: which players
  descend which per-example losses, in which order (see `Phase`),
and maps each optimizer to the variables it updates in `player_variables`. `train_step` runs
the phases; `test_step` computes the same losses without updating anything.

Distribution: per-example losses are reduced with `tf.nn.compute_average_loss`, i.e. divided
by the *global* batch size, so gradients summed across replicas equal the single-device
gradient; trackers are updated with the per-example values, so the reported figures are the
global means. Random draws are made for the whole global batch on every replica (same seed,
same values) and each replica keeps its own slice, so N replicas see exactly the noise one
device would see for the same global batch.
"""

import copy
import functools
import inspect
from typing import NamedTuple

import keras
import tensorflow as tf

from tfhybrids.errors import ConfigError, ShapeError
from tfhybrids.optimizers import OPTIMIZER_CLASSES, optimizer_spec
from tfhybrids.schedules import make_learning_rate
from tfhybrids.validation import check_choice, check_float, check_int

MODELS = {}


def register_model(cls):
    """Registers a model class by name for configs, and with Keras for `.keras` loading."""
    MODELS[cls.__name__] = cls
    return keras.saving.register_keras_serializable(package="tfhybrids")(cls)


def output_activation(logits, element_shape):
    """Decoder output: logits for a Bernoulli likelihood, tanh for images in [-1, 1], and
    linear for unbounded vector data (the 2-D toy sets)."""
    if logits or len(element_shape) == 1:
        return "linear"
    return "tanh"


def decoder_io(input_dim, element_shape, logits=False):
    """The `network_io` entry of a decoder (or generator) from `input_dim` to data."""
    return ("decoder", {"input_dim": input_dim, "output_shape": element_shape,
                        "output_activation": output_activation(logits, element_shape)})


def bernoulli_mean(outputs, bernoulli):
    """Images in [-1, 1] from a decoder's outputs: the mean 2 sigmoid(logits) - 1 of a
    Bernoulli likelihood, or the outputs themselves (the mean of a Gaussian one)."""
    return 2.0 * tf.sigmoid(outputs) - 1.0 if bernoulli else outputs


# ----------------------------------------------------------------- serving conventions
# Signatures take and give images as float32 in [0, 1] and draw codes from int64 seeds (see
# tfhybrids.export); a model's own signatures (`extra_serving_functions`) convert with these.
def is_images(model):
    """Whether the model's data are images [H, W, C] (else vectors, e.g. 2-D points)."""
    return len(model.image_shape) == 3


def data_name(model):
    """The name of data inputs and outputs: "images", or "points" for vector data."""
    return "images" if is_images(model) else "points"


def to_model_range(model, x):
    """Signature input (images in [0, 1]) -> model input (images in [-1, 1]); points as is."""
    x = tf.cast(x, tf.float32)
    return x * 2.0 - 1.0 if is_images(model) else x


def from_model_range(model, x):
    """Model output (images in [-1, 1]) -> signature output (clipped to [0, 1]); points as is."""
    x = tf.cast(x, tf.float32)
    return tf.clip_by_value((x + 1.0) / 2.0, 0.0, 1.0) if is_images(model) else x


def seed_pair(seed):
    """A 64-bit seed folded into the two 32-bit halves of a stateless seed (int32 [2])."""
    seed = tf.cast(seed, tf.int64)
    return tf.stack([tf.cast(seed % 2147483647, tf.int32),
                     tf.cast(seed // 2147483647, tf.int32)])


def codes_from_seeds(model, seeds):
    """Prior codes [batch, latent_dim], row i drawn with the stateless seed seeds[i].

    Each row is drawn on its own, so a seed gives the same code whatever batch it is in.
    """
    def one(seed):
        return model.sample_prior(1, seed_pair(seed))[0]

    return tf.map_fn(one, tf.cast(seeds, tf.int64),
                     fn_output_signature=tf.TensorSpec([model.latent_dim], tf.float32))


def check_prior_dimension(model, prior, required=None):
    """Raises ConfigError unless `prior` has the model's `latent_dim`. A model that cannot do
    without a prior passes `required`, the hint of the error for a missing one."""
    name = type(model).__name__
    if prior is None:
        if required:
            raise ConfigError(f"{name}: a prior is required ({required}).")
        return
    if prior.latent_dim != model.latent_dim:
        raise ConfigError(f"{name}: the prior has dimension {prior.latent_dim} but latent_dim "
                          f"is {model.latent_dim}; make them equal.")


def check_output_size(model, network, role, size, what):
    """Raises ConfigError unless `network` (the model's `role`, e.g. "encoder") outputs
    `size` values; `what` says what they are, e.g. "2 * latent_dim = 8 values"."""
    if network.output_shape[-1] != size:
        raise ConfigError(f"{type(model).__name__}: the {role} must output {what}, it outputs "
                          f"{network.output_shape[-1]}.")


def check_gaussian_encoder(model, encoder):
    """Raises ConfigError unless the encoder outputs a Gaussian posterior's mean and
    log-variance, 2 * latent_dim values."""
    check_output_size(model, encoder, "encoder", 2 * model.latent_dim,
                      f"2 * latent_dim = {2 * model.latent_dim} values (mean and log-variance)")


def check_likelihood(model, likelihood, observation_std):
    """Validates and sets the model's data likelihood p(x|z): `likelihood` ("bernoulli" or
    "gaussian") and the Gaussian's `observation_std` (> 0)."""
    model.likelihood = check_choice("model", "likelihood", likelihood, ("bernoulli", "gaussian"))
    model.observation_std = check_float("model", "observation_std", observation_std,
                                        minimum=0.0, exclusive_minimum=True)


DEFAULT_OPTIMIZER = {"class_name": "Adam", "config": {"learning_rate": 1e-3}}


def make_optimizer(spec, where="optimizer"):
    """Builds a Keras optimizer from an instance, a name ("adam"), the config form
    ({"name": "adam", "learning_rate": 2e-4 or a schedule, "beta_1": 0.5}; see
    tfhybrids.optimizers) or Keras' {"class_name", "config"} form.

    `where` names the optimizer in error messages (a config key path or a compile keyword).
    """
    if isinstance(spec, keras.optimizers.Optimizer):
        return spec
    if isinstance(spec, str) and spec.lower() not in OPTIMIZER_CLASSES:
        try:
            return keras.optimizers.get(spec)
        except ValueError:
            raise ConfigError(f"{where}: unknown optimizer {spec!r}; choose one of "
                              f"{', '.join(OPTIMIZER_CLASSES)}.") from None
    if isinstance(spec, str) or (isinstance(spec, dict) and "class_name" not in spec):
        spec = optimizer_spec(where, spec)
    if not isinstance(spec, dict):
        raise TypeError(
            f"{where}: expected a keras optimizer, its name ('adam'), the config form "
            "{'name': 'adam', 'learning_rate': 2e-4} or Keras' {'class_name': 'Adam', "
            f"'config': {{...}}}}, got {type(spec).__name__} ({spec!r}).")
    config = dict(spec.get("config") or {})
    rate = config.get("learning_rate")
    # Keras' own serialised schedules carry a class_name; the config form carries a name.
    if rate is not None and not (isinstance(rate, dict) and "class_name" in rate) and not (
            isinstance(rate, keras.optimizers.schedules.LearningRateSchedule)):
        config["learning_rate"] = make_learning_rate(rate, f"{where}.learning_rate")
    return keras.optimizers.get({**spec, "config": config})


class Batch(NamedTuple):
    """What a train or test step's loss functions take.

    x, y: the batch (y None for unlabelled data); labelled: a second, labelled (x, y)
    batch when the stream pairs one with each step (semi-supervised models), else None;
    draws: random draws a model shares between its phases (see `HybridModel.step_inputs`).
    """

    x: object
    y: object = None
    labelled: object = None
    draws: object = None


class Phase:
    """One forward pass of a train step, and the players that descend their losses from it.

    A phase with one player is a sequential phase: that player's loss on its own forward
    pass, after the previous phases' updates (the AAE's reconstruction, then regularisation).
    A phase with several players is a simultaneous one: one forward pass, and every player
    descends its own loss from the same weights (VAE/GAN's Algorithm 1, BiGAN, ...).

    Args:
        losses: callable (batch: Batch, training: bool) -> {metric name: per-example
            tensor}, or a per-example tensor when `metric` is given. A value may be a pair
            (per-example tensor, per-example weight) for a metric averaged over some rows.
            It is the same function at training and at evaluation (`training` only switches
            batch norm and dropout).
        players: {optimizer name: objective}, in the order their updates apply: a metric
            name, or a callable (losses dict) -> per-example tensor. Each objective is reduced
            over the global batch (`HybridModel.reduce`) and minimised by its optimizer.
        metric: str or None. The name of what `losses` returns when it returns one tensor.
        repeat: int. Runs of the phase per step, each with fresh draws (a GAN's k
            discriminator steps); the last run's losses are reported.
        cost: callable () -> scalar, or None. A cost on parameters added to each player's
            loss; it is the same on every replica, so it is divided by the replica count
            (replica gradients are summed).
    """

    def __init__(self, losses, players, metric=None, repeat=1, cost=None):
        self.losses = losses
        self.players = dict(players)
        self.metric = metric
        self.repeat = repeat
        self.cost = cost

    def evaluate(self, batch, training=False):
        """The phase's per-example losses: {metric name: tensor or (tensor, weight)}."""
        values = self.losses(batch, training)
        return values if isinstance(values, dict) else {self.metric: values}

    def player_losses(self, model, values):
        """{optimizer name: its scalar loss} for the phase's losses `values`: each objective
        reduced over the global batch, plus the cost."""
        player_losses = {}
        for player, objective in self.players.items():
            objective = values[objective] if isinstance(objective, str) else objective(values)
            if isinstance(objective, tuple):
                objective = objective[0]
            loss = model.reduce(objective)
            if self.cost is not None:
                _, replicas = model._replica_position()
                loss = loss + self.cost() / tf.cast(replicas, tf.float32)
            player_losses[player] = loss
        return player_losses

    def train(self, model, batch):
        """Runs the phase's updates of `model` on `batch`; returns its last losses."""
        for _ in range(self.repeat):
            with tf.GradientTape(persistent=len(self.players) > 1) as tape:
                values = self.evaluate(batch, training=True)
                player_losses = self.player_losses(model, values)
            # The reported losses must be those of this forward pass, computed before any
            # weight moves (see `after`).
            with after(values):
                for player, loss in player_losses.items():
                    model.minimize(tape, loss, player)
            del tape
        return values


def after(values):
    """A context in which the ops created wait for the tensors in `values` (a dict of
    tensors or (tensor, weight) pairs).

    Why: nothing orders a loss that is only reported (a tracker's per-example values, not on
    a gradient's path) with the updates that follow it, and the optimised graph may compute
    it after some of them, from weights already moved. VEEGAN's, AVB's and the conditional
    VAE/GAN's step-1 d_loss changed from run to run with the same seed (by up to ~5e-4, about
    one Adam step, on a loaded machine; never eagerly or with Grappler off). Ordering the
    updates after the values makes the same seed give the same run.
    """
    tensors = [t for t in tf.nest.flatten(values) if t is not None]
    return tf.control_dependencies(tensors)


def sequential(player, metric, loss, **options):
    """A sequential phase: `player` descends `metric` = loss(batch, training), per example,
    on a forward pass of its own (options: `Phase`'s repeat and cost). `loss` may also return
    a dict of per-example terms, of which `metric` is the player's objective."""
    return Phase(loss, {player: metric}, metric=metric, **options)


def simultaneous(losses, **players):
    """A simultaneous phase: one forward pass `losses(batch, training)` -> {metric: per
    example}, then each player (optimizer name = objective) descends its objective from the
    same weights, in the order given."""
    return Phase(losses, players)


class LatentPrior:
    """Mixin of the models whose codes have a prior `prior` (None: N(0, I)) of size
    `latent_dim`."""

    def sample_prior(self, num, seed):
        """`num` codes of the prior for the stateless seed `seed`."""
        if self.prior is None:
            return tf.random.stateless_normal([num, self.latent_dim], seed=seed)
        return self.prior.sample(num, seed)

    def prior_samples_or_noise(self, local_batch):
        """This replica's codes from p(z) (N(0, I) without a prior) for a training step."""
        if self.prior is None:
            return self.normal_noise(local_batch, [self.latent_dim])
        return self.prior_samples(self.prior, local_batch)


def _marks_training(train_step):
    # Marks, while train_step is traced, that tracker updates come from training (see
    # update_trackers); model authors write phases or plain train_steps.
    @functools.wraps(train_step)
    def marked(self, data):
        self._in_train_step = True
        try:
            return train_step(self, data)
        finally:
            self._in_train_step = False

    return marked


class HybridModel(keras.Model):
    """Base class of the tfhybrids models. See the module docstring for the contract.

    Args:
        seed: int or None. Seed of the model's `keras.random.SeedGenerator`; the same seed
            gives the same noise, prior samples and hence the same run. Defaults to None.
    """

    network_names = ()
    optimizer_names = ("optimizer",)
    default_optimizers = {}
    metric_names = ("loss",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "train_step" in cls.__dict__:
            cls.train_step = _marks_training(cls.__dict__["train_step"])

    _in_train_step = False

    def __init__(self, seed=None, **kwargs):
        # The networks (and the prior) given by name are kept as attributes of that name.
        parts = {name: kwargs.pop(name) for name in (*self.network_names, "prior")
                 if name in kwargs}
        super().__init__(**kwargs)
        if seed is not None:
            seed = check_int("model", "seed", seed, minimum=0)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        for name, value in parts.items():
            setattr(self, name, value)
        # The networks are functional models, built when they are constructed, so the
        # model has nothing to build; marking it built lets it be saved before any call.
        self.built = True

    # ----------------------------------------------------------------- metrics and logs
    @property
    def metrics(self):
        return list(self.trackers.values())

    def update_trackers(self, values, sample_weights=None):
        """Updates each tracker from a per-example tensor (or a scalar) of the same name, or
        from a pair (per-example tensor, per-example weight).

        `sample_weights` ({name: per-example weights}, optional) weighs some of them, e.g. a
        loss defined on the labelled rows only. When the model skips non-finite batches,
        non-finite training values are left out of the averages (the step that produced them
        was not applied either); evaluation reports them as they are.
        """
        sample_weights = sample_weights or {}
        for name, value in values.items():
            weight = sample_weights.get(name)
            if isinstance(value, tuple):
                value, weight = value
            if getattr(self, "skip_nonfinite", False) and self._in_train_step:
                value = tf.convert_to_tensor(value)
                finite = tf.math.is_finite(value)
                finite_weight = tf.cast(finite, value.dtype)
                if weight is not None:
                    finite_weight = finite_weight * tf.cast(weight, value.dtype)
                self.trackers[name].update_state(
                    tf.where(finite, value, tf.zeros_like(value)), sample_weight=finite_weight)
            else:
                self.trackers[name].update_state(value, sample_weight=weight)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # ----------------------------------------------------------------- the step
    def phases(self):
        """The train step as a list of `Phase`s, run in order. Subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} defines neither phases() nor "
                                  "train_step().")

    def step_inputs(self, data):
        """The `Batch` the phases' loss functions take for a batch of data: (x, y), or a pair
        of batches ((x, y), labelled (x, y)). A model that shares draws between phases
        adds them here (`batch._replace(draws=...)`)."""
        if (isinstance(data, (tuple, list)) and len(data) == 2
                and isinstance(data[0], (tuple, list))):
            return Batch(*self.unpack(data[0]), labelled=self.unpack(data[1]))
        return Batch(*self.unpack(data))

    @_marks_training
    def train_step(self, data):
        batch = self.step_inputs(data)
        values = {}
        for phase in self.phases():
            # A phase starts once the previous phases' reported losses are computed.
            with after(values):
                values.update(phase.train(self, batch))
        return self.update_trackers(values)

    def test_step(self, data):
        batch = self.step_inputs(data)
        values = {}
        for phase in self.phases():
            values.update(phase.evaluate(batch))
        return self.update_trackers(values)

    # ----------------------------------------------------------------- compile and players
    def compile(self, jit_compile=False, steps_per_execution=1, skip_nonfinite=False,
                **optimizers):
        """Configures one optimizer per player.

        Args:
            jit_compile: bool. XLA-compile the train step. Off by default: on CPU it is
                slower; turn it on for GPUs.
            steps_per_execution: int. Train steps per `tf.function` call.
            skip_nonfinite: bool. Skip the update of a player whose gradients are not finite
                (NaN or Inf) instead of applying it. Implemented with Keras'
                LossScaleOptimizer, which makes the skip decision across replicas; the
                trainer resets its scale to 1 after each skip (see training.callbacks).
                Always on under a mixed_float16 policy, where loss scaling needs it.
            **optimizers: one keyword per name in `optimizer_names`, each a Keras optimizer,
                its name, the config form ({"name": "adam", "learning_rate": 2e-4}, where
                the rate may be a schedule such as {"name": "piecewise", "boundaries":
                [4500], "values": [1e-3, 1e-4]}; see tfhybrids.optimizers) or Keras'
                {"class_name", "config"} dict; missing ones get the model's defaults.
        """
        unknown = sorted(set(optimizers) - set(self.optimizer_names))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.compile() got unknown optimizer(s) {unknown}; "
                f"its players are {list(self.optimizer_names)}."
            )
        self.skip_nonfinite = bool(skip_nonfinite)
        mixed_float16 = keras.config.dtype_policy().name == "mixed_float16"
        built = {}
        for name in self.optimizer_names:
            spec = optimizers.get(name) or self.default_optimizers.get(name, DEFAULT_OPTIMIZER)
            optimizer = make_optimizer(spec, where=name)
            if (self.skip_nonfinite or mixed_float16) and not isinstance(
                    optimizer, keras.optimizers.LossScaleOptimizer):
                optimizer = keras.optimizers.LossScaleOptimizer(
                    optimizer, initial_scale=2.0**15 if mixed_float16 else 1.0,
                    dynamic_growth_steps=2000 if mixed_float16 else 2**30)
            built[name] = optimizer
        first = built[self.optimizer_names[0]]
        super().compile(optimizer=first, jit_compile=jit_compile,
                        steps_per_execution=steps_per_execution)
        for name, optimizer in built.items():
            setattr(self, name, optimizer)
            # Building here, inside the strategy scope that compile is called in, is what
            # lets `fit` run a multi-optimizer train_step under MirroredStrategy.
            optimizer.build(self.player_variables(name))
        self._optimizer_specs = {
            name: keras.saving.serialize_keras_object(opt) for name, opt in built.items()
        }
        self._optimizer_specs["skip_nonfinite"] = self.skip_nonfinite

    def player_variables(self, optimizer_name):
        """The trainable variables the optimizer `optimizer_name` updates."""
        raise NotImplementedError

    def get_compile_config(self):
        if not getattr(self, "_optimizer_specs", None):
            return None
        return dict(self._optimizer_specs)

    def compile_from_config(self, config):
        config = dict(config)
        skip_nonfinite = config.pop("skip_nonfinite", False)
        optimizers = {
            name: keras.saving.deserialize_keras_object(spec) for name, spec in config.items()
        }
        self.compile(skip_nonfinite=skip_nonfinite, **optimizers)

    def minimize(self, tape, loss, optimizer_name):
        """Applies the gradient of `loss` (taken on `tape`) with the named player's optimizer."""
        optimizer = getattr(self, optimizer_name)
        variables = self.player_variables(optimizer_name)
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            # Scale inside the tape, so the gradient is taken of the scaled loss.
            with tape:
                loss = optimizer.scale_loss(loss)
        gradients = tape.gradient(loss, variables)
        optimizer.apply(gradients, variables)

    # ----------------------------------------------------------------- distribution helpers
    @staticmethod
    def reduce(per_example):
        """Mean over the global batch: the loss to differentiate under any strategy."""
        return tf.nn.compute_average_loss(per_example)

    @staticmethod
    def _replica_position():
        context = tf.distribute.get_replica_context()
        if context is None:
            return 0, 1
        return context.replica_id_in_sync_group, context.num_replicas_in_sync

    def _local_slice(self, global_values, local_batch):
        replica_id, _ = self._replica_position()
        start = tf.cast(replica_id, tf.int32) * local_batch
        return global_values[start:start + local_batch]

    def draw_seed(self):
        """A fresh stateless seed (int32 [2]) from the model's seed generator."""
        return keras.random.randint((2,), 0, 2**31 - 1, seed=self.seed_generator, dtype="int32")

    def normal_noise(self, local_batch, shape):
        """N(0, 1) noise of shape [local_batch, *shape], this replica's slice of the global draw."""
        _, replicas = self._replica_position()
        global_noise = tf.random.stateless_normal(
            tf.concat([[local_batch * replicas], tf.constant(shape, tf.int32)], 0),
            seed=self.draw_seed(),
        )
        return self._local_slice(global_noise, local_batch)

    def prior_samples(self, prior, local_batch):
        """Samples of `prior` for this replica's slice of the global batch."""
        _, replicas = self._replica_position()
        global_samples = prior.sample(local_batch * replicas, self.draw_seed())
        return self._local_slice(global_samples, local_batch)

    def prior_samples_for_labels(self, prior, labels):
        """Label-conditioned prior samples for this replica's labels.

        The labels are placed at this replica's rows of a global-batch-sized label vector, so
        each row's sample is drawn exactly as on a single device with the same global batch.
        """
        replica_id, replicas = self._replica_position()
        labels = tf.cast(labels, tf.int32)
        local_batch = tf.shape(labels)[0]
        start = tf.cast(replica_id, tf.int32) * local_batch
        padded = tf.pad(labels, [[start, local_batch * replicas - start - local_batch]])
        global_samples = prior.sample_for_labels(padded, self.draw_seed())
        return self._local_slice(global_samples, local_batch)

    # ----------------------------------------------------------------- data and shapes
    def call_inputs(self, x, y=None):
        """What `call` takes for a batch (x, y) of data: x itself by default.

        A pure GAN returns codes (its call generates), a conditional model (x, condition).
        Used by the test harness, pictures and export.
        """
        return x

    def extra_serving_functions(self):
        """Model-specific signatures beyond the generic ones: {name: (fn, input_signature)}.

        Override to add e.g. a conditional `generate`, `classify` or `translate_x_to_y`;
        an entry with a generic name replaces the generic one.
        """
        return {}

    @staticmethod
    def unpack(data):
        """Splits a batch into (x, y); y is None for unlabelled data."""
        if isinstance(data, (tuple, list)):
            if len(data) == 1:
                return data[0], None
            return data[0], data[1]
        return data, None

    def check_input_shape(self, x, expected_shape, what="images"):
        """Raises ShapeError when x does not have shape [batch, *expected_shape]."""
        shape = tuple(x.shape[1:])
        if len(shape) != len(expected_shape) or any(
            s is not None and e is not None and s != e for s, e in zip(shape, expected_shape)
        ):
            raise ShapeError(
                f"{type(self).__name__} expects {what} of shape (batch, "
                f"{', '.join(str(s) for s in expected_shape)}), got {tuple(x.shape)}."
            )

    # ----------------------------------------------------------------- building from a config
    @classmethod
    def network_io(cls, args, element_shape, num_classes, prior):
        """Says how to build each network: {name: (role, builder kwargs)}.

        `role` is "encoder", "decoder" or "discriminator" (see tfhybrids.networks); the
        kwargs give input and output shapes. Subclasses define this from their arguments.
        """
        raise NotImplementedError

    @classmethod
    def from_settings(cls, settings, prior, element_shape, num_classes=None, seed=None):
        """Builds the model from the `model:` section of a config.

        Network arguments hold specs (e.g. {type: conv, filters: [32, 64]}) that are built
        here for the data's shape; every other key is passed to the constructor unchanged.
        """
        from tfhybrids.networks import build_decoder, build_discriminator, build_encoder

        builders = {"encoder": build_encoder, "decoder": build_decoder,
                    "discriminator": build_discriminator}
        args = {k: v for k, v in settings.items() if k != "class"}
        if "latent_dim" in inspect.signature(cls.__init__).parameters and "latent_dim" not in args:
            raise ConfigError(f"model ({cls.__name__}): missing required key 'latent_dim'.")
        for name, (role, kwargs) in cls.network_io(args, element_shape, num_classes, prior).items():
            args[name] = builders[role](args.get(name), name=name, **kwargs)
        if "prior" in inspect.signature(cls.__init__).parameters:
            args["prior"] = prior
        args.setdefault("seed", seed)
        return cls(**args)

    # ----------------------------------------------------------------- config helpers
    def build(self, input_shape=None):
        # The networks are functional models built at construction; nothing to create here.
        self.built = True

    def get_config(self):
        """The constructor's arguments: each is kept as the attribute of its name (networks
        serialised, the prior as its config), so `from_config` gives the same model."""
        config = super().get_config()
        for name in inspect.signature(type(self).__init__).parameters:
            if name in ("self", "kwargs"):
                continue
            value = getattr(self, name)
            if name in self.network_names:
                value = keras.saving.serialize_keras_object(value)
            elif name == "prior":
                value = None if value is None else value.get_config()
            config[name] = value
        return config

    @classmethod
    def from_config(cls, config):
        # Keras' deserialisation consumes nested dicts; work on a copy of the caller's.
        config = copy.deepcopy(config)
        for name in cls.network_names:
            if isinstance(config.get(name), dict):
                config[name] = keras.saving.deserialize_keras_object(config[name])
        if isinstance(config.get("prior"), dict):
            from tfhybrids.priors import Prior

            config["prior"] = Prior.from_config(config["prior"])
        return cls(**config)
