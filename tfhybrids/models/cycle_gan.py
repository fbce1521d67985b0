"""CycleGAN: unpaired image-to-image translation with cycle consistency."""

import tensorflow as tf

from tfhybrids import losses
from tfhybrids.errors import ConfigError
from tfhybrids.models.base import HybridModel, from_model_range, register_model, to_model_range
from tfhybrids.validation import check_bool, check_float, check_int

# The paper's optimiser (§4, "Training details"): Adam, learning rate 2e-4, beta_1 0.5.
PAPER_OPTIMIZER = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}


def history_query(history, count, images, seed, replace_probability=0.5):
    """One query of CycleGAN's image history (Shrivastava et al. 2017; CycleGAN §4).

    Images are taken one after another, as the paper's buffer does: while the buffer holds
    fewer than `size` images, the image is stored and returned; once it is full, with
    probability `replace_probability` a uniformly chosen stored image is returned and the new
    image takes its slot, otherwise the new image is returned and the buffer is unchanged.

    A pure function of its inputs (the randomness comes from the stateless `seed`), so it can
    run inside `tf.function` and give the same result on every replica.

    Args:
        history: float tensor [size, ...]. The stored images (rows >= count are unused).
        count: int32 scalar. How many rows of `history` hold images.
        images: float tensor [n, ...]. This step's generated images.
        seed: int32 [2]. Stateless seed of the coin flips and slot choices.
        replace_probability: float. Chance that a full buffer returns a stored image.

    Returns:
        (outputs [n, ...], new history [size, ...], new count).
    """
    history = tf.convert_to_tensor(history)
    images = tf.cast(images, history.dtype)
    size = history.shape[0]
    n = tf.shape(images)[0]
    coin_seed, slot_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    coins = tf.random.stateless_uniform([n], coin_seed)
    slots = tf.random.stateless_uniform([n], slot_seed, minval=0, maxval=size, dtype=tf.int32)

    def step(i, history, count, outputs):
        image = images[i]

        def store():
            return (tf.tensor_scatter_nd_update(history, [[count]], image[None]), count + 1,
                    image)

        def swap():
            slot = slots[i]
            return (tf.tensor_scatter_nd_update(history, [[slot]], image[None]), count,
                    history[slot])

        def keep():
            return history, count, image

        history, count, output = tf.cond(
            count < size, store,
            lambda: tf.cond(coins[i] < replace_probability, swap, keep))
        return i + 1, history, count, outputs.write(i, output)

    outputs = tf.TensorArray(history.dtype, size=n, element_shape=images.shape[1:])
    _, history, count, outputs = tf.while_loop(
        lambda i, *_: i < n, step,
        (tf.constant(0), history, tf.cast(count, tf.int32), outputs))
    return tf.reshape(outputs.stack(), tf.shape(images)), history, count


@register_model
class CycleGAN(HybridModel):
    """CycleGAN (Zhu, Park, Isola & Efros 2017, arXiv 1703.10593): two generators
    G: X -> Y and F: Y -> X, and two discriminators D_Y (on Y) and D_X (on X), trained on
    *unpaired* images of the two domains.

    Objective (§3, with the least-squares GAN of §4 and Mao et al. 2017):

        L(G, F, D_X, D_Y) = L_GAN(G, D_Y) + L_GAN(F, D_X) + lambda L_cyc(G, F)
                            [+ lambda_id L_identity(G, F)]
        L_cyc = E_x |F(G(x)) - x|_1 + E_y |G(F(y)) - y|_1         (forward, backward cycle)
        L_identity = E_y |G(y) - y|_1 + E_x |F(x) - x|_1           (§5.2, optional)

    Players and updates, each step (as in the paper's implementation):
    1. The generators G and F minimise (D_Y(G(x)) - 1)^2 + (D_X(F(y)) - 1)^2
       + lambda (L_cyc) + lambda_id L_identity, jointly (one loss, one optimiser each).
    2. D_Y minimises 1/2 [(D_Y(y) - 1)^2 + D_Y(y_fake)^2] and D_X likewise with x and
       x_fake, where the fakes come from a *history* of generated images (§4,
       Shrivastava et al. 2017): a buffer of the last `history_size` fakes; once full,
       each fake is, with probability 1/2, swapped for a random stored one.
    Patch discriminators output a map of scores; the losses average it per example.

    Data: each example is a pair [x, y] stacked as [2, H, W, C] (x of domain X, y of
    domain Y, unrelated to each other: see tfhybrids.data.unpaired). `call` translates
    both halves: [G(x), F(y)].

    Ablation switches (the paper's Table 4): `use_gan_xy`/`use_gan_yx` put L_GAN(G, D_Y)/
    L_GAN(F, D_X) in the generators' loss, `use_forward_cycle`/`use_backward_cycle` put
    |F(G(x)) - x| / |G(F(y)) - y| there. Every term is still computed and reported, and the
    discriminators always train (a switched-off D only watches: a low d_y_loss then says
    G(x) does not look like Y). "Cycle alone" switches both GANs off, "GAN alone" both cycles,
    "GAN + forward" the backward cycle.

    Distribution: the history is model state (non-trainable variables, saved and
    checkpointed with the model). Under a distribution strategy each replica gathers the
    fakes of the whole global batch, runs the same query with the same seed, and keeps its
    own slice, so every replica holds the same history and N replicas train exactly like one
    device on the global batch (the variables are written with ONLY_FIRST_REPLICA
    aggregation; all replicas agree anyway).

    Learning rates (§4): Adam(2e-4, beta_1 0.5), constant for the first half of training and
    decayed linearly to zero over the second half. The decay depends on the run's length, so
    it is an optimizer schedule of the config (`learning_rate: {name: linear,
    initial_learning_rate: 2e-4, constant_steps: N/2, decay_steps: N/2}` for N steps, as in
    configs/cycle_gan_fashion_mnist.yaml); `compile()` without optimizers gives the constant
    rate.

    Departures from the paper: the networks (tfhybrids.networks.build_image_translator,
    build_patch_discriminator) use zero padding rather than reflection padding and are
    sized by the config; any batch size (the paper uses 1).

    Args:
        generator_xy: keras.Model. G: images [H, W, C] in [-1, 1] -> same shape (tanh).
        generator_yx: keras.Model. F: the same, Y -> X.
        discriminator_x: keras.Model. D_X: images -> scores [batch, ...] (raw, no sigmoid).
        discriminator_y: keras.Model. D_Y: the same, for domain Y.
        cycle_weight: float. lambda. Defaults to 10 (the paper's).
        identity_weight: float. lambda_id, the weight of the identity loss; the paper uses
            0.5 * lambda for painting <-> photo and 0 elsewhere. Defaults to 0.
        history_size: int. Fakes kept for the discriminators; 0 turns the history off.
            Defaults to 50.
        use_gan_xy: bool. G is trained adversarially against D_Y. Defaults to True.
        use_gan_yx: bool. F is trained adversarially against D_X. Defaults to True.
        use_forward_cycle: bool. The forward cycle x -> G -> F -> x is in the loss.
            Defaults to True.
        use_backward_cycle: bool. The backward cycle y -> F -> G -> y is in the loss.
            Defaults to True.
        seed: int or None. Seed of the history's coin flips. Defaults to None.

    Example:
    >>> from tfhybrids.networks import build_image_translator, build_patch_discriminator
    >>> g = {"filters": 4, "downsamples": 1, "residual_blocks": 1}
    >>> d = {"filters": [4, 8]}
    >>> model = CycleGAN(build_image_translator(g, (8, 8, 1), name="generator_xy"),
    ...                  build_image_translator(g, (8, 8, 1), name="generator_yx"),
    ...                  build_patch_discriminator(d, (8, 8, 1), name="discriminator_x"),
    ...                  build_patch_discriminator(d, (8, 8, 1), name="discriminator_y"))
    >>> model.compile()
    """

    network_names = ("generator_xy", "generator_yx", "discriminator_x", "discriminator_y")
    optimizer_names = ("generator_xy_optimizer", "generator_yx_optimizer",
                       "discriminator_x_optimizer", "discriminator_y_optimizer")
    default_optimizers = {name: PAPER_OPTIMIZER for name in optimizer_names}
    metric_names = ("loss", "g_xy_loss", "g_yx_loss", "cycle_x_loss", "cycle_y_loss",
                    "identity_loss", "d_x_loss", "d_y_loss")
    default_signature = "translate_x_to_y"

    def __init__(self, generator_xy, generator_yx, discriminator_x, discriminator_y,
                 cycle_weight=10.0, identity_weight=0.0, history_size=50, use_gan_xy=True,
                 use_gan_yx=True, use_forward_cycle=True, use_backward_cycle=True, seed=None,
                 **kwargs):
        super().__init__(seed=seed, generator_xy=generator_xy, generator_yx=generator_yx,
                         discriminator_x=discriminator_x, discriminator_y=discriminator_y,
                         **kwargs)
        self.cycle_weight = check_float("model", "cycle_weight", cycle_weight, minimum=0.0)
        self.identity_weight = check_float("model", "identity_weight", identity_weight,
                                           minimum=0.0)
        self.history_size = check_int("model", "history_size", history_size, minimum=0)
        self.use_gan_xy = check_bool("model", "use_gan_xy", use_gan_xy)
        self.use_gan_yx = check_bool("model", "use_gan_yx", use_gan_yx)
        self.use_forward_cycle = check_bool("model", "use_forward_cycle", use_forward_cycle)
        self.use_backward_cycle = check_bool("model", "use_backward_cycle", use_backward_cycle)
        if not any((self.use_gan_xy, self.use_gan_yx)) and not (
                self.cycle_weight and (self.use_forward_cycle or self.use_backward_cycle)):
            raise ConfigError(
                "CycleGAN: with both GAN terms and every cycle term switched off (or "
                "cycle_weight 0) the generators have nothing to learn; switch one on.")

        self.image_shape = tuple(int(d) for d in generator_xy.input_shape[1:])
        for name in self.network_names:
            network = getattr(self, name)
            shape = tuple(int(d) for d in network.input_shape[1:])
            if shape != self.image_shape:
                raise ConfigError(
                    f"CycleGAN: {name} takes images of shape {shape} but generator_xy takes "
                    f"{self.image_shape}; both domains must share one image shape (resize "
                    "them to one data.image_size).")
        for name in ("generator_xy", "generator_yx"):
            shape = tuple(int(d) for d in getattr(self, name).output_shape[1:])
            if shape != self.image_shape:
                raise ConfigError(f"CycleGAN: {name} outputs shape {shape}, not its input "
                                  f"shape {self.image_shape}; use an image-to-image network.")

        if self.history_size:
            # Per-replica copies agree (see the class docstring); the first replica's write
            # is the one kept.
            self.history_x = self.add_weight(
                shape=(self.history_size, *self.image_shape), initializer="zeros",
                trainable=False, name="history_x", aggregation="only_first_replica")
            self.history_y = self.add_weight(
                shape=(self.history_size, *self.image_shape), initializer="zeros",
                trainable=False, name="history_y", aggregation="only_first_replica")
            self.history_x_count = self.add_weight(
                shape=(), dtype="int32", initializer="zeros", trainable=False,
                name="history_x_count", aggregation="only_first_replica")
            self.history_y_count = self.add_weight(
                shape=(), dtype="int32", initializer="zeros", trainable=False,
                name="history_y_count", aggregation="only_first_replica")

    # ------------------------------------------------------------------ building
    @staticmethod
    def domain_shape(element_shape):
        """The image shape of one domain from the data's element shape [2, H, W, C]."""
        element_shape = tuple(int(d) for d in element_shape)
        if len(element_shape) != 4 or element_shape[0] != 2:
            raise ConfigError(
                f"CycleGAN trains on unpaired (x, y) image pairs stacked as [2, H, W, C], but "
                f"the data has examples of shape {element_shape}; use an unpaired source "
                "(image_folders, fashion_mnist_style or tfds:cycle_gan/<pair>).")
        return element_shape[1:]

    @classmethod
    def from_settings(cls, settings, prior, element_shape, num_classes=None, seed=None):
        """Builds the model from the `model:` section of a config: each network key holds a
        spec, {type: resnet, ...} for the generators and {type: patch, ...} for the
        discriminators (see tfhybrids.networks), built here for the data's image shape."""
        from tfhybrids.networks import build_image_translator, build_patch_discriminator

        if prior is not None:
            raise ConfigError("CycleGAN has no latent code; remove the prior section.")
        image_shape = cls.domain_shape(element_shape)
        args = {k: v for k, v in settings.items() if k != "class"}
        for name in ("generator_xy", "generator_yx"):
            args[name] = build_image_translator(args.get(name), image_shape, name=name)
        for name in ("discriminator_x", "discriminator_y"):
            args[name] = build_patch_discriminator(args.get(name), image_shape, name=name)
        args.setdefault("seed", seed)
        return cls(**args)

    # ------------------------------------------------------------------ inference
    def split_pairs(self, pairs):
        """[batch, 2, H, W, C] -> (x [batch, H, W, C], y [batch, H, W, C])."""
        pairs = tf.convert_to_tensor(pairs)
        self.check_input_shape(pairs, (2, *self.image_shape), what="unpaired (x, y) pairs")
        return pairs[:, 0], pairs[:, 1]

    def translate_x_to_y(self, x, training=False):
        """G(x): domain-X images in [-1, 1] -> domain Y."""
        return self.generator_xy(x, training=training)

    def translate_y_to_x(self, y, training=False):
        """F(y): domain-Y images in [-1, 1] -> domain X."""
        return self.generator_yx(y, training=training)

    def call(self, pairs, training=False):
        """Translates both halves of each pair: [G(x), F(y)], shaped like the input."""
        x, y = self.split_pairs(pairs)
        return tf.stack([self.translate_x_to_y(x, training),
                         self.translate_y_to_x(y, training)], axis=1)

    def extra_serving_functions(self):
        spec = [tf.TensorSpec([None, *self.image_shape], tf.float32, name="images")]

        def translate_x_to_y(images):
            """Translates domain-X images to domain Y with G (images in [0, 1] in and out)."""
            return {"images": from_model_range(
                self, self.translate_x_to_y(to_model_range(self, images)))}

        def translate_y_to_x(images):
            """Translates domain-Y images to domain X with F (images in [0, 1] in and out)."""
            return {"images": from_model_range(
                self, self.translate_y_to_x(to_model_range(self, images)))}

        return {"translate_x_to_y": (translate_x_to_y, spec),
                "translate_y_to_x": (translate_y_to_x, spec)}

    # ------------------------------------------------------------------ objective
    def generator_terms(self, x, y, training):
        """Per-example terms of the generators' objective and their total, `loss`.

        Every term is computed (for reporting); only the switched-on ones enter `loss`.
        Returns (terms dict, fake_y = G(x), fake_x = F(y)).
        """
        fake_y = self.generator_xy(x, training=training)
        fake_x = self.generator_yx(y, training=training)
        terms = {
            "g_xy_loss": losses.least_squares_generator_loss(
                self.discriminator_y(fake_y, training=training)),
            "g_yx_loss": losses.least_squares_generator_loss(
                self.discriminator_x(fake_x, training=training)),
            "cycle_x_loss": losses.cycle_consistency_loss(
                x, self.generator_yx(fake_y, training=training)),
            "cycle_y_loss": losses.cycle_consistency_loss(
                y, self.generator_xy(fake_x, training=training)),
        }
        if self.identity_weight:
            terms["identity_loss"] = (
                losses.identity_loss(y, self.generator_xy(y, training=training))
                + losses.identity_loss(x, self.generator_yx(x, training=training)))
        else:
            terms["identity_loss"] = tf.zeros_like(terms["g_xy_loss"])
        total = tf.zeros_like(terms["g_xy_loss"])
        if self.use_gan_xy:
            total += terms["g_xy_loss"]
        if self.use_gan_yx:
            total += terms["g_yx_loss"]
        if self.use_forward_cycle:
            total += self.cycle_weight * terms["cycle_x_loss"]
        if self.use_backward_cycle:
            total += self.cycle_weight * terms["cycle_y_loss"]
        if self.identity_weight:
            total += self.identity_weight * terms["identity_loss"]
        terms["loss"] = total
        return terms, fake_y, fake_x

    @staticmethod
    def discriminator_loss(discriminator, real, fake, training):
        """1/2 [(D(real) - 1)^2 + D(fake)^2] per example: the paper halves D's objective
        "to slow down the rate at which D learns relative to G" (§4)."""
        return 0.5 * losses.least_squares_discriminator_loss(
            discriminator(real, training=training), discriminator(fake, training=training))

    def query_history(self, fakes, domain):
        """This replica's fakes after a query of the domain's history (see history_query).

        The query runs on the fakes of the whole global batch, gathered from every replica,
        with the same seed everywhere; each replica then keeps its own rows.
        """
        if not self.history_size:
            return fakes
        history = getattr(self, f"history_{domain}")
        count = getattr(self, f"history_{domain}_count")
        _, replicas = self._replica_position()
        local_batch = tf.shape(fakes)[0]
        everyone = fakes
        if replicas > 1:
            everyone = tf.distribute.get_replica_context().all_gather(fakes, axis=0)
        outputs, new_history, new_count = history_query(
            history.value, count.value, everyone, self.draw_seed())
        history.assign(new_history)
        count.assign(new_count)
        return self._local_slice(outputs, local_batch)

    def train_step(self, data):
        pairs, _ = self.unpack(data)
        x, y = self.split_pairs(pairs)
        with tf.GradientTape(persistent=True) as tape:
            terms, fake_y, fake_x = self.generator_terms(x, y, training=True)
            loss = self.reduce(terms["loss"])
        # One joint objective; each generator's optimiser applies its part of the gradient.
        self.minimize(tape, loss, "generator_xy_optimizer")
        self.minimize(tape, loss, "generator_yx_optimizer")
        del tape

        pool_y = self.query_history(tf.stop_gradient(fake_y), "y")
        pool_x = self.query_history(tf.stop_gradient(fake_x), "x")
        with tf.GradientTape() as tape:
            d_y = self.discriminator_loss(self.discriminator_y, y, pool_y, training=True)
            loss = self.reduce(d_y)
        self.minimize(tape, loss, "discriminator_y_optimizer")
        with tf.GradientTape() as tape:
            d_x = self.discriminator_loss(self.discriminator_x, x, pool_x, training=True)
            loss = self.reduce(d_x)
        self.minimize(tape, loss, "discriminator_x_optimizer")
        return self.update_trackers({**terms, "d_x_loss": d_x, "d_y_loss": d_y})

    def test_step(self, data):
        # No history here: evaluation must not change the model's state.
        pairs, _ = self.unpack(data)
        x, y = self.split_pairs(pairs)
        terms, fake_y, fake_x = self.generator_terms(x, y, training=False)
        return self.update_trackers({
            **terms,
            "d_x_loss": self.discriminator_loss(self.discriminator_x, x, fake_x, False),
            "d_y_loss": self.discriminator_loss(self.discriminator_y, y, fake_y, False),
        })

    def player_variables(self, optimizer_name):
        network = optimizer_name[: -len("_optimizer")]
        return getattr(self, network).trainable_variables

