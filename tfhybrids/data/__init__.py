"""tf.data sources for tfhybrids: one `load_data(config, seed)` call gives a ready `DataBundle`.

    from tfhybrids.data import load_data
    bundle = load_data({"name": "digits", "batch_size": 64, "image_size": 28}, seed=0)
    for x, y in bundle.train: ...   # x float32 [64, 28, 28, 1] in [-1, 1], y int32 [64]

Sources (`SOURCES`): `digits` (scikit-learn's bundled 8x8 digits), `fashion_mnist` (local IDX
files or a prepared TFDS copy), `toy2d` (2-D rings, grids and Swiss rolls), and `tfds:<name>` (any
dataset prepared with tensorflow-datasets). Nothing is ever downloaded.

Images are float32 NHWC in [-1, 1] (for generators ending in tanh); `to_unit_range` and
`from_unit_range` convert to and from [0, 1]. Labels are int32.

Adding a source takes one new module in this package holding `@register_source("name")` on its
loader: every module here is imported below, which runs its registration.
"""

import importlib
import pkgutil

from tfhybrids.data.base import DataBundle, from_unit_range, to_unit_range
from tfhybrids.data.registry import SOURCES, load_data, register_source
from tfhybrids.data.toy2d import toy2d_modes, toy2d_std

# Import every module of the package so each source's `register_source` line runs; a new source
# needs no edit here (the same pattern as fairseq's model registry).
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
del _module

__all__ = [
    "DataBundle",
    "SOURCES",
    "from_unit_range",
    "load_data",
    "register_source",
    "to_unit_range",
    "toy2d_modes",
    "toy2d_std",
]
