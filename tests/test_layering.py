"""The package's floors point down: models know nothing of export or evaluation, and training
knows nothing of evaluation (README, "Layout"). Read from the source with ast, so a lazy import
inside a function counts as much as one at the top of a file."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "tfhybrids"

FORBIDDEN = {
    "models": ("tfhybrids.export", "tfhybrids.evaluation", "tfhybrids.training",
               "tfhybrids.serving"),
    "training": ("tfhybrids.evaluation",),
    # Export builds on models; training calls export at the end of a run, so export must
    # not reach back into training.
    "export": ("tfhybrids.training", "tfhybrids.evaluation"),
    "losses": ("tfhybrids.models", "tfhybrids.training", "tfhybrids.export",
               "tfhybrids.evaluation"),
    "networks": ("tfhybrids.models", "tfhybrids.training", "tfhybrids.export",
                 "tfhybrids.evaluation"),
}


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_a_floor_imports_nothing_above_it(floor):
    offences = []
    for path in sorted((PACKAGE / floor).rglob("*.py")):
        for lineno, module in imported_modules(path):
            if any(module == above or module.startswith(above + ".")
                   for above in FORBIDDEN[floor]):
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{lineno} imports {module}")
    assert not offences, "\n".join(offences)


def test_the_check_sees_a_lazy_import(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from tfhybrids.evaluation import plots\n")
    assert (2, "tfhybrids.evaluation") in set(imported_modules(source))
