"""The package's architecture, checked from its source (``/work/shared/ARCHITECTURE.md``).

The packages under ``src/vessel_risk/`` form layers, low to high::

    frames/settings/logs -> geo -> identity -> ingest -> events -> features -> model -> db
    -> delivery -> alerts -> referral -> pipeline -> api -> cli

A package imports only packages of its own layer or below, so the package-level import
graph has no cycle; no module passes 600 lines; and the stage packages import in a
fresh interpreter. The import graph is read with :mod:`ast` from every module, imports
inside functions and under ``TYPE_CHECKING`` included, so an import moved into a
function to dodge a cycle still counts.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest

from tests.builders import ROOT

SRC = ROOT / "src" / "vessel_risk"

LAYERS: list[set[str]] = [
    {"frames", "settings", "logs"},
    {"geo"},
    {"identity"},
    {"ingest"},
    {"events"},
    {"features"},
    {"model"},
    {"db"},
    {"delivery"},
    {"alerts"},
    {"referral"},
    {"pipeline"},
    {"api"},
    {"cli"},
]
LEVEL = {package: level for level, layer in enumerate(LAYERS) for package in layer}
# The root ``vessel_risk/__init__.py`` sits below every layer (importing any package
# imports it first, so it must import none); ``python -m vessel_risk`` above them all.
ROOT_INIT, MAIN = "__init__", "__main__"
LEVEL[ROOT_INIT] = -1
LEVEL[MAIN] = len(LAYERS)

# Imports that break the layering on main today, each with why: (importer, imported) ->
# reason. They are left out of the graph for the cycle and layering checks; the lead
# removes an entry once its import is gone, and test_allowed_imports_still_exist fails
# on an entry that outlived its import. Empty on main at cdcd37d: the one violation of
# step 1 (db -> api, db/migrations/env.py importing vessel_risk.api.access for the
# api_clients table, a cycle api -> db -> api) went with 8a88db1.
ALLOWED: dict[tuple[str, str], str] = {}

MAX_LINES = 600


Edges = dict[tuple[str, str], list[str]]


def _unit(module: str) -> str | None:
    """The top-level unit of ``vessel_risk`` that dotted ``module`` is in, if any."""
    parts = module.split(".")
    if parts[0] != "vessel_risk":
        return None
    return parts[1] if len(parts) > 1 else ROOT_INIT


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted modules an import statement in ``module`` names, relative ones resolved.

    ``from vessel_risk import geo`` names ``vessel_risk.geo``: a name imported from the
    root package is a package of its own.
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    if prefix == "vessel_risk":
        return [f"vessel_risk.{alias.name}" for alias in node.names]
    return [prefix]


def import_graph(src: Path) -> Edges:
    """Package-level imports of the package at ``src``: (importer, imported) -> where.

    Units are the top-level subpackages and modules of ``src`` (``geo``, ``frames``),
    the root ``__init__`` and ``__main__``; ``where`` lists ``path:line`` of each import.
    Imports within one unit are left out.
    """
    edges: Edges = defaultdict(list)
    for path in sorted(src.rglob("*.py")):
        module = _module_name(path, src)
        importer = _unit(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported(node, module, path.name == "__init__.py"):
                imported = _unit(name)
                if imported is not None and imported != importer:
                    where = f"{path.relative_to(src).as_posix()}:{node.lineno}"
                    edges[(str(importer), imported)].append(where)
    return dict(edges)


def find_cycle(edges: Edges) -> list[str] | None:
    """One cycle of the graph as its nodes, first repeated last, or None if acyclic."""
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(edges):
        graph[a].append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _places(where: list[str], most: int = 3) -> str:
    more = f", and {len(where) - most} more" if len(where) > most else ""
    return ", ".join(where[:most]) + more


def describe(cycle: list[str], edges: Edges) -> str:
    """The cycle, then each of its imports with where it is made."""
    steps = [f"{a} -> {b} ({_places(edges[(a, b)])})" for a, b in pairwise(cycle)]
    return " -> ".join(cycle) + ":\n  " + "\n  ".join(steps)


def layering_violations(edges: Edges) -> list[str]:
    """Imports of a package above the importer's layer, or of a unit placed in no layer."""
    found = []
    for (a, b), where in sorted(edges.items()):
        if a not in LEVEL or b not in LEVEL:
            unplaced = sorted({a, b} - LEVEL.keys())
            found.append(f"{a} -> {b}: {', '.join(unplaced)} is in no layer of LAYERS")
        elif LEVEL[b] > LEVEL[a]:
            found.append(f"{a} -> {b} ({_places(where)})")
    return found


@pytest.fixture(scope="module")
def edges() -> Edges:
    graph = import_graph(SRC)
    return {edge: where for edge, where in graph.items() if edge not in ALLOWED}


def test_every_package_has_a_layer():
    units = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    units |= {p.stem for p in SRC.glob("*.py")}
    assert sorted(units - LEVEL.keys()) == []


def test_no_import_cycle_between_packages(edges):
    cycle = find_cycle(edges)
    assert cycle is None, "packages import each other: " + describe(cycle, edges)


def test_packages_import_only_their_layer_or_below(edges):
    order = " -> ".join("/".join(sorted(layer)) for layer in LAYERS)
    violations = layering_violations(edges)
    assert violations == [], f"the layering is {order}; these import upwards:\n" + "\n".join(
        violations
    )


def test_allowed_imports_still_exist():
    graph = import_graph(SRC)
    gone = [f"{a} -> {b}" for a, b in ALLOWED if (a, b) not in graph]
    assert gone == [], "no longer imported: remove from ALLOWED: " + ", ".join(gone)


def test_no_module_passes_600_lines():
    versions = SRC / "db" / "migrations" / "versions"
    long = [
        f"{path.relative_to(SRC).as_posix()} ({n})"
        for path in sorted(SRC.rglob("*.py"))
        if versions not in path.parents
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == [], f"modules over {MAX_LINES} lines: " + ", ".join(long)


STAGES = ["pipeline", "events", "ingest", "referral", "delivery", "model"]


@pytest.mark.parametrize("order", [STAGES, STAGES[::-1]], ids=["as-listed", "reversed"])
def test_stage_packages_import_in_a_fresh_interpreter(order):
    code = "import " + ", ".join(f"vessel_risk.{p}" for p in order)
    code += "; import vessel_risk; print(vessel_risk.__file__)"
    path = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == SRC / "__init__.py"  # this checkout's source


# The checks themselves, on planted packages: each can fail.


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "vessel_risk"
    for name, text in {"__init__.py": "", **files}.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return src


def test_a_cycle_through_a_function_level_import_is_found_and_named(tmp_path):
    src = _plant(
        tmp_path,
        {
            "geo/__init__.py": "",
            "geo/shore.py": "def f():\n    from vessel_risk.events import gaps\n",
            "events/__init__.py": "from . import gaps\n",
            "events/gaps.py": "from ..geo import shore\n",
        },
    )
    edges = import_graph(src)
    assert edges == {("geo", "events"): ["geo/shore.py:2"], ("events", "geo"): ["events/gaps.py:1"]}
    cycle = find_cycle(edges)
    assert cycle == ["events", "geo", "events"]
    assert describe(cycle, edges) == (
        "events -> geo -> events:\n"
        "  events -> geo (events/gaps.py:1)\n"
        "  geo -> events (geo/shore.py:2)"
    )
    assert layering_violations(edges) == ["geo -> events (geo/shore.py:2)"]


def test_imports_from_the_root_package_and_unplaced_packages_are_seen(tmp_path):
    src = _plant(
        tmp_path,
        {
            "frames.py": "import vessel_risk.settings\n",
            "settings.py": "",
            "geo/__init__.py": "from vessel_risk import cli, frames\n",
            "cli/__init__.py": "if TYPE_CHECKING:\n    import vessel_risk.extras.x\n",
            "extras/__init__.py": "",
        },
    )
    edges = import_graph(src)
    assert sorted(edges) == [
        ("cli", "extras"),
        ("frames", "settings"),
        ("geo", "cli"),
        ("geo", "frames"),
    ]
    assert find_cycle(edges) is None
    assert layering_violations(edges) == [
        "cli -> extras: extras is in no layer of LAYERS",
        "geo -> cli (geo/__init__.py:1)",
    ]
