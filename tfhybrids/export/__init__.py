"""SavedModel export for TensorFlow Serving.

    from tfhybrids.export import export_model
    path = export_model(model, "models", "aae")        # -> models/aae/<next version>/

`export_model(model, base_dir, name, version=None)` writes a SavedModel with the model's
serving signatures (encode, decode, generate, reconstruct, ...) in TF Serving's
`<base>/<name>/<version>/` layout; `serving_functions(model)` gives those signatures as
functions. Both live in `saved_model.py` (which imports TensorFlow, so they are loaded on first
use; `help()` lists them); `existing_versions` in `layout.py` (no TensorFlow).
"""

from tfhybrids.export.layout import existing_versions

__all__ = ["existing_versions", "export_model", "serving_functions"]


def __getattr__(name):
    if name in ("export_model", "serving_functions"):
        from tfhybrids.export import saved_model

        return getattr(saved_model, name)
    raise AttributeError(f"module 'tfhybrids.export' has no attribute {name!r}")


def __dir__():
    # So that dir() and help() show the lazily loaded functions too.
    return sorted(set(globals()) | set(__all__))
