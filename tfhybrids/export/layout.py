"""TF Serving's directory layout, `<base>/<model name>/<integer version>/`, without TensorFlow.

TF Serving watches `<base>/<name>/` and serves the integer-named version directories in it
(the latest by default); anything else there, such as the hidden temporary directory an
export is written to before it is renamed into place, is ignored.
"""

import os
import re

VERSION_PATTERN = re.compile(r"^\d+$")


def existing_versions(model_dir):
    """Integer versions already exported under `model_dir`, ascending."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(d) for d in os.listdir(model_dir) if VERSION_PATTERN.match(d))
