"""SavedModel export for TensorFlow Serving."""

from tfhybrids.export.saved_model import existing_versions, export_model, serving_functions

__all__ = ["existing_versions", "export_model", "serving_functions"]
