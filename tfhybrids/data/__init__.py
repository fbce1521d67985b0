"""tf.data sources for tfhybrids: one `load_data(config, seed)` call gives a ready `DataBundle`.

    from tfhybrids.data import load_data
    bundle = load_data({"name": "digits", "batch_size": 64, "image_size": 28}, seed=0)
    for x, y in bundle.train: ...   # x float32 [64, 28, 28, 1] in [-1, 1], y int32 [64]

Sources (`SOURCES`): `digits` (scikit-learn's bundled 8x8 digits), `fashion_mnist` (local IDX
files or a prepared TFDS copy), `toy2d` (2-D rings, grids and Swiss rolls), and `tfds:<name>` (any
dataset prepared with tensorflow-datasets). Nothing is ever downloaded.

Images are float32 NHWC in [-1, 1] (for generators ending in tanh); `to_unit_range` and
`from_unit_range` convert to and from [0, 1]. Labels are int32.

The keys of every source's `data:` section are checked by `check_data` (in `specs.py`,
without TensorFlow). Importing this package does not import TensorFlow either: the source
modules, which do, are imported on first use (`load_data`, or any other name of the
package). Adding a source takes one new module in this package holding
`@register_source("name")` on its loader, and its keys in `specs.SOURCE_KEYS`.
"""

import importlib

from tfhybrids.data.registry import import_sources, load_data, register_source
from tfhybrids.data.specs import check_data

# Names of the package that live in the source modules (which import TensorFlow).
_LAZY = {
    "DataBundle": "base",
    "from_unit_range": "base",
    "to_unit_range": "base",
    "toy2d_modes": "toy2d",
    "toy2d_std": "toy2d",
    "SOURCES": "registry",
}

__all__ = ["check_data", "load_data", "register_source", *sorted(_LAZY)]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Every source module first: `SOURCES` is then complete, and `tfhybrids.data.digits`
    # (a submodule) an attribute.
    import_sources()
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name in globals():
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
