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
                            "joint_units"},
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
        # Dense layers after the conv features are joined with vector inputs (joint nets).
        "joint_units": [],
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
        full["joint_units"] = check_int_list(where, "joint_units", full["joint_units"],
                                             allow_empty=True)
    return full
