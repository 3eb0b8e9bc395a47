"""The notebooks and the docs name the package as users call it: every name must resolve."""

from __future__ import annotations

import ast
import importlib
import json
import re

import pytest

from tests.builders import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _imports(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module.startswith("vessel_risk"):
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            yield from ((a.name, []) for a in node.names if a.name.startswith("vessel_risk"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_package_name_a_notebook_imports_exists(notebook):
    found = list(_imports(notebook))
    assert found, f"{notebook.name} imports nothing from vessel_risk"
    for module, names in found:
        mod = importlib.import_module(module)
        missing = [n for n in names if not hasattr(mod, n)]
        assert not missing, f"{notebook.name}: {module} has no {missing}"


DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "benchmarks" / "README.md",
]


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for part in parts[i:]:
                obj = getattr(obj, part)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_dotted_name_the_docs_give_resolves(doc):
    names = set(re.findall(r"\bvessel_risk(?:\.[A-Za-z_][A-Za-z_0-9]*)+", doc.read_text()))
    broken = sorted(n for n in names if not _resolves(n))
    assert not broken, f"{doc.name} names what no longer exists: {broken}"
