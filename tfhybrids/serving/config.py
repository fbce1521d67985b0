"""`models.config` for TF Serving: serve several exported models from one server.

TF Serving serves one model with `--model_name/--model_base_path`, or several with
`--model_config_file=models.config`, a text protobuf (ModelServerConfig):

    model_config_list {
      config {
        name: "aae"
        base_path: "/models/aae"
        model_platform: "tensorflow"
      }
      ...
    }

Each `base_path` holds integer version directories; the server serves the latest one (or
every one, with `model_version_policy { all {} }`) and picks up new versions as they appear.
`base_path` must be the path as the server sees it: inside the container image, where the
export base is mounted at /models, that is /models/<name>.
"""

import os

from tfhybrids.errors import ConfigError
from tfhybrids.export.layout import existing_versions


def find_exports(base_dir):
    """{model name: [versions]} of the exports under `base_dir` (`<name>/<version>/`)."""
    if not os.path.isdir(base_dir):
        raise ConfigError(f"{base_dir} is not a directory; give the --base of `tfhybrids "
                          "export` (the folder holding <name>/<version>/).")
    found = {}
    for name in sorted(os.listdir(base_dir)):
        versions = [v for v in existing_versions(os.path.join(base_dir, name))
                    if os.path.exists(os.path.join(base_dir, name, str(v), "saved_model.pb"))]
        if versions:
            found[name] = versions
    return found


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def models_config_text(models, all_versions=False):
    """The models.config text for {model name: base path}.

    Args:
        models: dict {name: base_path}, base paths as the server sees them.
        all_versions: bool. Serve every version instead of the latest. Defaults to False.
    """
    if not models:
        raise ConfigError("no models to put in models.config.")
    lines = ["# Written by `tfhybrids serving-config`. Serve with:",
             "#   tensorflow_model_server --port=8500 --rest_api_port=8501 \\",
             "#     --model_config_file=<this file>",
             "model_config_list {"]
    for name, base_path in models.items():
        lines += ["  config {",
                  f"    name: {_quote(name)}",
                  f"    base_path: {_quote(base_path)}",
                  '    model_platform: "tensorflow"']
        if all_versions:
            lines += ["    model_version_policy { all {} }"]
        lines += ["  }"]
    lines += ["}"]
    return "\n".join(lines) + "\n"


def write_models_config(base_dir, output=None, base_path=None, names=None, all_versions=False):
    """Writes a models.config for the exports under `base_dir`; returns (path, text).

    Args:
        base_dir: str. The folder holding `<name>/<version>/` exports.
        output: str or None. File to write; defaults to `<base_dir>/models.config`; "-"
            writes nothing and returns the text only.
        base_path: str or None. Where `base_dir` is as the server sees it (e.g. "/models"
            in the container); defaults to `base_dir`'s absolute path.
        names: list of str or None. Only these models; defaults to every export found.
        all_versions: bool. Serve every version, not only the latest.
    """
    found = find_exports(base_dir)
    if not found:
        raise ConfigError(f"{base_dir} holds no exports (<name>/<version>/saved_model.pb); "
                          "write some with `tfhybrids export RUN_DIR --base "
                          f"{base_dir}`.")
    if names:
        unknown = [n for n in names if n not in found]
        if unknown:
            raise ConfigError(f"no export named {', '.join(unknown)} under {base_dir}; "
                              f"there are: {', '.join(found)}.")
        found = {n: found[n] for n in names}
    root = base_path if base_path is not None else os.path.abspath(base_dir)
    text = models_config_text({name: f"{root.rstrip('/')}/{name}" for name in found},
                              all_versions=all_versions)
    if output == "-":
        return None, text
    path = output or os.path.join(base_dir, "models.config")
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path, text
