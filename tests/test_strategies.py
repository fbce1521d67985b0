"""Strategy and precision options of the train section."""

import numpy as np
import pytest

from model_harness import make_dataset
from tfhybrids.errors import ConfigError
from tfhybrids.training.config import validate
from tfhybrids.training.runner import build_model, dtype_policy
from tfhybrids.training.strategies import is_chief, make_strategy, needs_custom_loop

CASE = {"model": {"class": "VAE", "latent_dim": 2,
                  "encoder": {"type": "conv", "filters": [4, 8]},
                  "decoder": {"type": "conv", "filters": [4, 8]}},
        "shape": (8, 8, 1)}


def _config(**train):
    return validate({"model": CASE["model"], "data": {"name": "digits"}, "train": train})


def test_mixed_bfloat16_computes_in_bfloat16_with_float32_outputs_and_trains():
    config = _config(mixed_precision="mixed_bfloat16")
    with dtype_policy("mixed_bfloat16"):
        model = build_model(config, CASE["shape"], 10)
    hidden = [layer for layer in model.encoder.layers if layer.name.startswith("conv2d")][0]
    assert hidden.compute_dtype == "bfloat16"
    assert hidden.variable_dtype == "float32"
    assert model.encoder.output.dtype == "float32"
    assert model.decoder.output.dtype == "float32"
    history = model.fit(make_dataset(CASE, num_batches=2), epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    # The policy is restored for whatever is built next.
    assert build_model(_config(), CASE["shape"], 10).encoder.layers[1].compute_dtype == "float32"


def test_mixed_float16_wraps_every_optimizer_in_loss_scaling():
    import keras

    with dtype_policy("mixed_float16"):
        model = build_model(_config(mixed_precision="mixed_float16"), CASE["shape"], 10)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


def test_default_strategy_is_single_process_chief():
    strategy = make_strategy("default")
    assert is_chief(strategy)
    assert not needs_custom_loop(strategy)


def test_unknown_precision_policy_is_refused():
    with pytest.raises(ConfigError, match="mixed_precision"):
        _config(mixed_precision="float8")


@pytest.mark.parametrize("gpus, flags, expected", [
    (["GPU:0"], {"avx512f"}, "mixed_float16"),
    ([], {"avx512f", "amx_bf16", "amx_tile"}, "mixed_bfloat16"),
    ([], {"avx512f", "avx512_bf16"}, "mixed_bfloat16"),
    ([], {"avx2", "avx512f"}, None),
])
def test_auto_precision_picks_the_policy_the_hardware_has_units_for(gpus, flags, expected):
    from tfhybrids.training.runner import resolve_mixed_precision

    assert resolve_mixed_precision("auto", gpus=gpus, flags=flags) == expected
    assert resolve_mixed_precision("mixed_bfloat16", gpus=gpus, flags=flags) == "mixed_bfloat16"
    assert _config(mixed_precision="auto")["train"]["mixed_precision"] == "auto"


def test_precision_default_is_float32_on_every_machine():
    # The suite's numerics must not depend on the CPU it runs on.
    assert _config()["train"]["mixed_precision"] is None
