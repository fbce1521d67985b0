"""What a config may say about each model class, read from the model files without importing them.

Importing `tfhybrids.models` imports TensorFlow, which takes 5-15 s; a config typo should be
reported at once. So the config validator reads the facts it needs from the source of
`tfhybrids/models/*.py` with `ast`: each `@register_model` class, its constructor arguments
(inherited through its base classes), `network_names`, `optimizer_names`, and whether its
networks are built from the generic specs of `tfhybrids.networks.specs` (the class or a base
defines `network_io`). `tests/test_cli.py` checks the table against the imported classes.
"""

import ast
import dataclasses
import functools
import os

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """The facts of one model class a config is validated against.

    Attributes:
        name: str. The class name (`model.class`).
        arguments: tuple of str. Constructor arguments a `model:` section may hold.
        network_names: tuple of str. Arguments that hold network specs.
        optimizer_names: tuple of str. Keys allowed under `optimizers:`.
        generic_networks: bool. True when every network is built from an mlp/conv spec
            (`tfhybrids.networks.specs.normalize_spec`); False for models with their own
            network kinds (CycleGAN's resnet and patch nets).
    """

    name: str
    arguments: tuple
    network_names: tuple
    optimizer_names: tuple
    generic_networks: bool


@dataclasses.dataclass
class _ClassSource:
    bases: list
    registered: bool
    init_arguments: list | None
    attributes: dict
    defines_network_io: bool
    defines_from_settings: bool


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError):
        return None


def _read_module(path):
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    classes = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        registered = any(isinstance(d, ast.Name) and d.id == "register_model"
                         for d in node.decorator_list)
        info = _ClassSource(bases=[b.id for b in node.bases if isinstance(b, ast.Name)],
                            registered=registered, init_arguments=None,
                            attributes={}, defines_network_io=False,
                            defines_from_settings=False)
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                if item.name == "__init__":
                    args = item.args
                    info.init_arguments = [a.arg for a in args.posonlyargs + args.args
                                           + args.kwonlyargs][1:]
                info.defines_network_io |= item.name == "network_io"
                info.defines_from_settings |= item.name == "from_settings"
            elif isinstance(item, ast.Assign):
                for target in item.targets:
                    if isinstance(target, ast.Name):
                        info.attributes[target.id] = _literal(item.value)
        classes[node.name] = info
    return classes


@functools.lru_cache(maxsize=1)
def model_catalog():
    """Returns {class name: ModelInfo} for every registered model class."""
    sources = {}
    for filename in sorted(os.listdir(MODELS_DIR)):
        if filename.endswith(".py") and filename not in ("__init__.py", "base.py"):
            sources.update(_read_module(os.path.join(MODELS_DIR, filename)))

    def lineage(name):
        # The class then its bases, depth first (the models use single inheritance).
        chain = []
        while name in sources:
            chain.append(sources[name])
            name = next((b for b in sources[name].bases), None)
        return chain

    def inherited(chain, attribute, default):
        for source in chain:
            value = source.attributes.get(attribute)
            if value is not None:
                return tuple(value)
        return default

    def arguments(chain):
        # As `config.constructor_arguments`: the nearest __init__'s named arguments.
        for source in chain:
            if source.init_arguments is not None:
                return tuple(a for a in source.init_arguments if a != "prior")
        return ("seed",)

    catalog = {}
    for name, source in sources.items():
        if not source.registered:
            continue
        chain = lineage(name)
        builds_own = next((s for s in chain if s.defines_network_io or s.defines_from_settings),
                          None)
        catalog[name] = ModelInfo(
            name=name,
            arguments=arguments(chain),
            network_names=inherited(chain, "network_names", ()),
            optimizer_names=inherited(chain, "optimizer_names", ("optimizer",)),
            generic_networks=builds_own is not None and any(s.defines_network_io
                                                            for s in chain),
        )
    return catalog
