"""SavedModel export for TensorFlow Serving.

`export_model` and `serving_functions` live in `saved_model.py` (which imports TensorFlow,
so they are loaded on first use); `existing_versions` in `layout.py` (no TensorFlow).
"""

from tfhybrids.export.layout import existing_versions

__all__ = ["existing_versions", "export_model", "serving_functions"]


def __getattr__(name):
    if name in ("export_model", "serving_functions"):
        from tfhybrids.export import saved_model

        return getattr(saved_model, name)
    raise AttributeError(f"module 'tfhybrids.export' has no attribute {name!r}")
