"""The `prior:` section of a config, validated without TensorFlow.

`check_prior(config, latent_dim)` checks a prior's name, keys and values against the latent
size and returns the section with its defaults filled in: the config that
`tfhybrids.priors.Prior` is built from and that `Prior.get_config` gives back. Config
validation calls it before TensorFlow is imported, so a typo in a prior costs no import.
"""

from tfhybrids.errors import ConfigError
from tfhybrids.validation import check_choice, check_float, check_int, check_keys

_WHERE = "prior"


def _check_means(value, latent_dim):
    """Returns `means` as a K×d list of floats, raising ConfigError for a wrong shape."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(
            f"{_WHERE}.means: expected a non-empty list of {latent_dim}-element lists "
            f"(one mean per component), got {value!r}."
        )
    means = []
    for k, row in enumerate(value):
        if not isinstance(row, (list, tuple)) or len(row) != latent_dim:
            raise ConfigError(
                f"{_WHERE}.means[{k}]: expected a list of latent_dim={latent_dim} numbers, "
                f"got {row!r}."
            )
        means.append([check_float(_WHERE, f"means[{k}][{i}]", x) for i, x in enumerate(row)])
    return means


def _gaussian(options, latent_dim):
    check_keys(_WHERE, options, ["name", "scale"])
    scale = check_float(_WHERE, "scale", options.get("scale", 1.0), minimum=0.0,
                        exclusive_minimum=True)
    return {"name": "gaussian", "scale": scale}


def _gaussian_mixture(options, latent_dim):
    petal_keys = ("radius", "radial_std", "tangential_std")
    check_keys(_WHERE, options, ["name", "num_components", "means", "std", *petal_keys])
    if "means" in options:
        clashing = [key for key in petal_keys if key in options]
        if clashing:
            raise ConfigError(
                f"{_WHERE}: {', '.join(clashing)} shape the default petal layout and cannot be "
                "combined with explicit 'means'; give the spread of each component with 'std'."
            )
        means = _check_means(options["means"], latent_dim)
        if "num_components" in options:
            given = check_int(_WHERE, "num_components", options["num_components"], minimum=1)
            if given != len(means):
                raise ConfigError(
                    f"{_WHERE}.num_components: {given} does not match the {len(means)} "
                    "rows of 'means'; drop num_components or make them agree."
                )
        std = check_float(_WHERE, "std", options.get("std", 1.0), minimum=0.0,
                          exclusive_minimum=True)
        return {"name": "gaussian_mixture", "num_components": len(means), "means": means,
                "std": std}
    if "std" in options:
        raise ConfigError(
            f"{_WHERE}.std: applies only with explicit 'means'; the default petal layout "
            "takes radial_std and tangential_std."
        )
    return {
        "name": "gaussian_mixture",
        "num_components": check_int(_WHERE, "num_components",
                                    options.get("num_components", 10), minimum=1),
        "radius": check_float(_WHERE, "radius", options.get("radius", 4.0), minimum=0.0),
        "radial_std": check_float(_WHERE, "radial_std", options.get("radial_std", 1.0),
                                  minimum=0.0, exclusive_minimum=True),
        "tangential_std": check_float(_WHERE, "tangential_std",
                                      options.get("tangential_std", 0.25),
                                      minimum=0.0, exclusive_minimum=True),
    }


def _swiss_roll(options, latent_dim):
    check_keys(_WHERE, options, ["name", "turns", "scale", "noise", "num_segments"])
    if latent_dim != 2:
        raise ConfigError(
            f"{_WHERE}: the swiss_roll prior is two-dimensional, but latent_dim is {latent_dim}; "
            "set latent_dim to 2 or choose another prior."
        )
    return {
        "name": "swiss_roll",
        "turns": check_float(_WHERE, "turns", options.get("turns", 2.0), minimum=0.0,
                             exclusive_minimum=True),
        "scale": check_float(_WHERE, "scale", options.get("scale", 4.0), minimum=0.0,
                             exclusive_minimum=True),
        "noise": check_float(_WHERE, "noise", options.get("noise", 0.05), minimum=0.0),
        "num_segments": check_int(_WHERE, "num_segments", options.get("num_segments", 10),
                                  minimum=1),
    }


def _categorical(options, latent_dim):
    check_keys(_WHERE, options, ["name", "num_classes"])
    num_classes = check_int(_WHERE, "num_classes", options.get("num_classes", latent_dim),
                            minimum=1)
    if num_classes != latent_dim:
        raise ConfigError(
            f"{_WHERE}.num_classes: the categorical code is the one-hot vector itself, so "
            f"num_classes ({num_classes}) must equal latent_dim ({latent_dim})."
        )
    return {"name": "categorical", "num_classes": num_classes}


# Each checker takes (options: dict, latent_dim: int) and returns the options with their
# defaults filled in, or raises ConfigError naming the key.
PRIOR_CHECKS = {
    "gaussian": _gaussian,
    "gaussian_mixture": _gaussian_mixture,
    "swiss_roll": _swiss_roll,
    "categorical": _categorical,
}
PRIOR_NAMES = tuple(PRIOR_CHECKS)


def check_prior(config, latent_dim):
    """Validates a `prior:` section for codes of size `latent_dim`.

    Returns:
        dict. The section with every key of the named prior, defaults filled in.

    Raises:
        ConfigError: for a missing or unknown name, an unknown key, a value of the wrong
            type or out of range, or a prior that does not fit `latent_dim`.
    """
    if not isinstance(config, dict) or "name" not in config:
        raise ConfigError(
            f"{_WHERE}: expected a mapping with a 'name' key (one of "
            f"{', '.join(PRIOR_NAMES)}), got {config!r}."
        )
    name = check_choice(_WHERE, "name", config["name"], PRIOR_NAMES)
    latent_dim = check_int(_WHERE, "latent_dim", latent_dim, minimum=1)
    return PRIOR_CHECKS[name](config, latent_dim)
