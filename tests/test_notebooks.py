"""The notebooks import the package as users do: every import they make must resolve."""

from __future__ import annotations

import ast
import importlib
import json

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
