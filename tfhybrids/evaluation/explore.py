"""`tfhybrids explore`: latent-space pictures of a trained model, as the papers show them.

- Traversal (the beta-VAE paper's Fig. 1/7): one test image's code, then one row per latent
  unit in which that unit alone sweeps from the prior's 0.15th to 99.85th percentile (about
  -3 to 3 for N(0, I)) while the others stay fixed. Units are ordered by how much the encoder
  uses them (the mean KL of q(z|x) to N(0, 1) for a Gaussian encoder, else the variance of the
  codes), the most used first; at most `max_units` rows. Without an encoder the base code is a
  prior sample and the units are in index order.
- Interpolation: rows of two encoded test images of different classes (first and last column:
  the originals), with the codes in between on the straight line; without an encoder, between
  two prior samples.
- Arithmetic (the DCGAN paper's Fig. 7, on class groups): mean code of class a minus mean code
  of class b plus mean code of class c, decoded. Each row shows decode(mean a), decode(mean
  b), decode(mean c) and the result. Needs an encoder and labels.

`explore_run(run_dir)` writes `RUN_DIR/explore/{traversal,interpolation,arithmetic}.png` and
the same pictures to TensorBoard under `RUN_DIR/logs/explore` (tag `explore/<name>`).
"""

import os

import numpy as np
import tensorflow as tf

from tfhybrids.errors import ConfigError
from tfhybrids import plots
from tfhybrids.evaluation.evaluate import deterministic_codes, has_encoder

PRIOR_QUANTILES = (0.0015, 0.9985)


def _decode(model, codes):
    return np.asarray(model.decode(tf.convert_to_tensor(codes, tf.float32), training=False))


def _prior_range(model, seed, num=4000):
    samples = np.asarray(model.sample_prior(num, tf.constant([seed, 7], tf.int32)))
    return np.quantile(samples, PRIOR_QUANTILES, axis=0)  # [2, d]


def unit_order(model, x):
    """Latent units, the most used first: mean KL per unit for Gaussian encoders, else the
    variance of the codes. Returns (int array [d], float array [d] of the scores)."""
    outputs = model.encode_outputs(tf.convert_to_tensor(x[:1000]))
    if "mean" in outputs and "log_var" in outputs:
        mean, log_var = np.asarray(outputs["mean"]), np.asarray(outputs["log_var"])
        scores = (0.5 * (mean ** 2 + np.exp(log_var) - log_var - 1.0)).mean(axis=0)
    else:
        scores = deterministic_codes(model, x[:1000]).var(axis=0)
    order = np.argsort(-scores, kind="stable")
    return order, scores


def traversal_codes(base_code, units, low, high, steps):
    """Codes [len(units) * steps, d]: row r sweeps unit units[r] from low to high."""
    base_code = np.asarray(base_code, np.float32)
    rows = []
    for unit in units:
        codes = np.repeat(base_code[None], steps, axis=0)
        codes[:, unit] = np.linspace(low[unit], high[unit], steps)
        rows.append(codes)
    return np.concatenate(rows)


def interpolation_codes(code_a, code_b, steps):
    """Codes [steps, d] on the straight line from code_a to code_b (both ends included)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1.0 - t) * np.asarray(code_a, np.float32)[None] + t * np.asarray(code_b, np.float32)[None]


def parse_arithmetic(text, class_names, num_classes):
    """Parses 'a-b+c' (class indices or names) into a triple of class indices."""
    parts = text.replace("+", "-").split("-")
    if len(parts) != 3 or "-" not in text or "+" not in text or text.index("-") > text.index("+"):
        raise ConfigError(f"--arithmetic {text!r}: expected 'a-b+c' with classes by index or "
                          f"name, e.g. '0-1+2'.")
    triple = []
    names = [str(n).lower() for n in (class_names or [])]
    for part in parts:
        part = part.strip()
        if part.isdigit() and int(part) < num_classes:
            triple.append(int(part))
        elif part.lower() in names:
            triple.append(names.index(part.lower()))
        else:
            raise ConfigError(f"--arithmetic {text!r}: unknown class {part!r}; use 0.."
                              f"{num_classes - 1}" + (f" or one of {class_names}"
                                                      if class_names else "") + ".")
    return tuple(triple)


def default_triples(labels, count=4):
    """(a, b, c) class triples that cycle through the classes present."""
    classes = sorted(int(c) for c in np.unique(labels))
    if len(classes) < 3:
        return []
    return [tuple(classes[(i + k) % len(classes)] for k in range(3))
            for i in range(min(count, len(classes)))]


def latent_pictures(model, x, y, seed=0, steps=10, max_units=10, num_pairs=6, triples=None,
                    group_size=200, annotate=False, class_names=None):
    """The explore pictures as uint8 arrays: {"traversal", "interpolation", "arithmetic"}.

    Args:
        model: a model with `decode` and `sample_prior`, and ideally `encode_outputs`.
        x, y: test images [n, h, w, c] in [-1, 1] and labels [n].
        seed: int. Seeds prior samples and the choice of images.
        steps: int. Columns of traversals and interpolations.
        max_units: int. Rows of the traversal.
        num_pairs: int. Rows of the interpolation.
        triples: list of (a, b, c) class indices, or None for `default_triples`.
        group_size: int. Examples per class averaged for the arithmetic.
        annotate: bool. Give each picture a title and row/column labels (the arithmetic's
            rows name their classes); False gives the bare image grids. Defaults to False.
        class_names: list of str or None. Names of the labels, for the annotations.
    """
    if len(np.shape(x)) != 4:
        raise ConfigError("explore draws images; this run's data are points (see its "
                          "samples.png and latent.png instead).")
    if not hasattr(model, "decode") or not hasattr(model, "sample_prior"):
        raise ConfigError(f"{type(model).__name__} has no decode/sample_prior to explore.")
    rng = np.random.default_rng(seed)
    encoder = has_encoder(model)
    low, high = _prior_range(model, seed)
    pictures = {}
    factor = max(1, 64 // x.shape[1])

    if encoder:
        order, _ = unit_order(model, x)
        base = deterministic_codes(model, x[:1])[0]
    else:
        order = np.arange(model.latent_dim)
        base = np.asarray(model.sample_prior(1, tf.constant([seed, 8], tf.int32)))[0]
    units = order[:max_units]
    images = _decode(model, traversal_codes(base, units, low, high, steps))
    pictures["traversal"] = plots.upscale(plots.image_grid(images, columns=steps), factor)
    captions = {"traversal": (
        f"Traversals: row z[k] sweeps latent unit k over the prior's range, the other units "
        f"fixed at {'a test image' if encoder else 'a prior sample'}'s code"
        + (" (rows ordered by KL)" if encoder else ""),
        [f"z[{int(u)}]" for u in units], None)}

    rows = []
    if encoder:
        for _ in range(num_pairs):
            i = rng.integers(len(x))
            others = np.flatnonzero(y != y[i]) if y is not None else np.arange(len(x))
            j = rng.choice(others if len(others) else np.arange(len(x)))
            codes = deterministic_codes(model, x[[i, j]])
            rows.append(np.concatenate([x[i:i + 1], _decode(model, interpolation_codes(
                codes[0], codes[1], steps)), x[j:j + 1]]))
        columns = steps + 2
        captions["interpolation"] = (
            "Interpolations: first and last column two test images of different classes, "
            "between them decodings along the straight line joining their codes",
            None, ["original"] + [""] * steps + ["original"])
    else:
        ends = np.asarray(model.sample_prior(2 * num_pairs, tf.constant([seed, 9], tf.int32)))
        for r in range(num_pairs):
            rows.append(_decode(model, interpolation_codes(ends[2 * r], ends[2 * r + 1], steps)))
        columns = steps
        captions["interpolation"] = ("Interpolations between pairs of prior samples, decoded",
                                     None, None)
    pictures["interpolation"] = plots.upscale(
        plots.image_grid(np.concatenate(rows), columns=columns), factor)

    if encoder and y is not None:
        triples = default_triples(y) if triples is None else triples
        if triples:
            codes = deterministic_codes(model, x)
            means = {}
            for label in {c for triple in triples for c in triple}:
                members = np.flatnonzero(y == label)[:group_size]
                if not len(members):
                    raise ConfigError(f"explore: no test example of class {label} for the "
                                      f"arithmetic.")
                means[label] = codes[members].mean(axis=0)
            arithmetic_rows = []
            for a, b, c in triples:
                arithmetic_rows.append(np.stack([means[a], means[b], means[c],
                                                 means[a] - means[b] + means[c]]))
            images = _decode(model, np.concatenate(arithmetic_rows))
            pictures["arithmetic"] = plots.upscale(plots.image_grid(images, columns=4), factor)

            def name(label):
                return str(class_names[label]) if class_names is not None and \
                    label < len(class_names) else str(label)

            captions["arithmetic"] = (
                "Code arithmetic: decodings of the mean codes of classes A, B, C and of "
                "A - B + C", [f"{name(a)} - {name(b)} + {name(c)}" for a, b, c in triples],
                ["mean A", "mean B", "mean C", "A - B + C"])
    if annotate:
        pictures = {key: plots.annotate(image, *captions[key]) for key, image in pictures.items()}
    return pictures


def explore_run(run_dir, out_dir=None, seed=0, steps=10, max_units=10, num_pairs=6,
                arithmetic=(), log=print):
    """Writes the explore pictures of a trained run as PNGs and TensorBoard images.

    Args:
        run_dir: str. A directory written by `tfhybrids train`.
        out_dir: str or None. Where the PNGs go. Defaults to RUN_DIR/explore.
        arithmetic: list of 'a-b+c' strings (class indices or names); empty for the defaults.

    Returns:
        dict name -> PNG path.
    """
    from tfhybrids.data import load_data
    from tfhybrids.training.run_dir import load_trained_model

    model, config = load_trained_model(run_dir)
    bundle = load_data(config["data"], seed=config["train"]["seed"])
    x, y = bundle.arrays("test", limit=2000)
    triples = None
    if arithmetic:
        triples = [parse_arithmetic(text, bundle.class_names, bundle.num_classes or 0)
                   for text in arithmetic]
    pictures = latent_pictures(model, x, y, seed=seed, steps=steps, max_units=max_units,
                               num_pairs=num_pairs, triples=triples, annotate=True,
                               class_names=bundle.class_names)
    out_dir = out_dir or os.path.join(run_dir, "explore")
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for name, image in pictures.items():
        paths[name] = os.path.join(out_dir, f"{name}.png")
        plots.write_png(paths[name], image)
    writer = tf.summary.create_file_writer(os.path.join(run_dir, "logs", "explore"))
    # The step of the last epoch's scalars and images (epochs count from 0 in TensorBoard).
    step = max(0, int(config["train"].get("epochs", 1)) - 1)
    with writer.as_default():
        for name, image in pictures.items():
            tf.summary.image(f"explore/{name}", image[None], step=step)
    writer.flush()
    writer.close()
    for name, path in paths.items():
        log(f"Wrote {path}")
    return paths
