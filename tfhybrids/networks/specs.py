"""Network specs: the `{type: mlp, hidden_units: [...]}` dicts of a config, validated.

Kept apart from the builders (which import Keras) so that a config is checked before
TensorFlow is imported.
"""

from tfhybrids.errors import ConfigError
from tfhybrids.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_int_list,
    check_keys,
)

NETWORK_TYPES = ("mlp", "conv")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "tanh", "swish")

_COMMON_KEYS = {"type", "activation", "batch_norm", "dropout"}
_SPEC_KEYS = {
    "mlp": _COMMON_KEYS | {"hidden_units"},
    "conv": _COMMON_KEYS | {"filters", "kernel_size", "sync_batch_norm", "init_std",
                            "joint_units", "strides", "input_batch_norm", "dense_units",
                            "upsample_output"},
}
_DEFAULTS = {
    "mlp": {"hidden_units": [512, 512], "batch_norm": False, "dropout": 0.0},
    "conv": {
        "filters": [32, 64],
        "kernel_size": 4,
        "batch_norm": True,
        "dropout": 0.0,
        # Synchronised batch norm computes moments over the global batch under a
        # distribution strategy, so N replicas train exactly like one device.
        "sync_batch_norm": True,
        "init_std": 0.02,
        # Dense layers after the conv features are joined with vector inputs (joint nets);
        # None: DEFAULT_JOINT_UNITS of tfhybrids.networks.builders.
        "joint_units": None,
        # The 64x64 VAE/GAN keys (see tfhybrids.networks.builders); these defaults keep
        # DCGAN's form.
        "strides": None,
        "input_batch_norm": False,
        "dense_units": [],
        "upsample_output": True,
    },
}


def normalize_spec(spec, where="network"):
    """Validates a network spec and fills in its defaults.

    Args:
        spec: dict. ``type`` ("mlp" or "conv") plus that type's keys.
        where: str. Where the spec came from, for error messages.

    Returns:
        A new dict with every key of the type present.
    """
    if spec is None:
        spec = {"type": "mlp"}
    if not isinstance(spec, dict):
        raise ConfigError(
            f"{where}: expected a network spec such as {{type: mlp, hidden_units: [256]}}, "
            f"got {spec!r}."
        )
    kind = check_choice(where, "type", spec.get("type", "mlp"), NETWORK_TYPES)
    check_keys(where, spec, _SPEC_KEYS[kind])
    full = {"type": kind, **_DEFAULTS[kind], **spec}
    if "activation" in full:
        check_choice(where, "activation", full["activation"], ACTIVATIONS)
    check_bool(where, "batch_norm", full["batch_norm"])
    full["dropout"] = check_float(where, "dropout", full["dropout"], 0.0, 0.95)
    if kind == "mlp":
        full["hidden_units"] = check_int_list(where, "hidden_units", full["hidden_units"],
                                              allow_empty=True)
    else:
        full["filters"] = check_int_list(where, "filters", full["filters"])
        full["kernel_size"] = check_int(where, "kernel_size", full["kernel_size"], 1, 9)
        check_bool(where, "sync_batch_norm", full["sync_batch_norm"])
        full["init_std"] = check_float(where, "init_std", full["init_std"], 0.0,
                                       exclusive_minimum=True)
        if full["joint_units"] is not None:
            full["joint_units"] = check_int_list(where, "joint_units", full["joint_units"],
                                                 allow_empty=True)
        _check_larsen_keys(full, where)
    return full


def _check_larsen_keys(full, where):
    if full["strides"] is None:
        full["strides"] = [2] * len(full["filters"])
    full["strides"] = check_int_list(where, "strides", full["strides"])
    if len(full["strides"]) != len(full["filters"]) or set(full["strides"]) - {1, 2}:
        raise ConfigError(f"{where}.strides: expected one stride, 1 or 2, per entry of "
                          f"filters ({len(full['filters'])}), got {full['strides']}.")
    check_bool(where, "input_batch_norm", full["input_batch_norm"])
    full["dense_units"] = check_int_list(where, "dense_units", full["dense_units"],
                                         allow_empty=True)
    check_bool(where, "upsample_output", full["upsample_output"])
