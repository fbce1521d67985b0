"""The hybrid models, one per file. `MODELS` maps class names to classes for configs."""

from tfhybrids.models.aae import AAE
from tfhybrids.models.base import MODELS, HybridModel, register_model
from tfhybrids.models.vae import VAE

__all__ = ["AAE", "HybridModel", "MODELS", "VAE", "register_model"]
