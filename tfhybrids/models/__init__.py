"""The hybrid models, one per file. `MODELS` maps class names to classes for configs.

Every module of this package is imported here, so a model file's `@register_model` line is
all it takes to make the model available to configs, the CLI and `.keras` loading.
"""

import importlib
import pkgutil

from tfhybrids.models.base import MODELS, HybridModel, register_model

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")
del _module

globals().update(MODELS)

__all__ = ["HybridModel", "MODELS", "register_model", *sorted(MODELS)]
