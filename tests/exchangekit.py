"""Builders for the regional exchange tests: figure tables with every margin, keys and
trusted-keys files, and the attackers that try to recover suppressed cells."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from vessel_risk.referral.disclosure import DIMENSIONS, relations

FIGURE_DEFINITIONS = [
    {
        "id": "persons_screened",
        "name": "Persons screened",
        "definition": "Persons screened in the month.",
        "unit": "persons",
        "level": "person",
        "statistic": "count",
    },
    {
        "id": "boardings",
        "name": "Boardings",
        "definition": "Vessels boarded in the month.",
        "unit": "inspections",
        "level": "vessel",
        "statistic": "count",
    },
]


def additive_table(
    counts: dict[tuple, int], dims: tuple[str, ...], figure: str, *, persons: bool = True
) -> pd.DataFrame:
    """Every margin of a count table: the cells of each subset of ``dims`` (null for a
    dimension totalled over), each the sum of the finest cells below it. ``persons``
    False: a vessel-level count (0 persons)."""
    rows = []
    for r in range(len(dims) + 1):
        for kept in itertools.combinations(range(len(dims)), r):
            sums: dict[tuple, int] = {}
            for key, n in counts.items():
                sub = tuple(key[i] for i in kept)
                sums[sub] = sums.get(sub, 0) + n
            for sub, n in sums.items():
                row = dict.fromkeys(DIMENSIONS)
                row.update({"figure": figure, "value": float(n), "persons": n if persons else 0})
                for i, v in zip(kept, sub, strict=True):
                    row[dims[i]] = v
                rows.append(row)
    return pd.DataFrame(rows, columns=["figure", *DIMENSIONS, "value", "persons"])


def subtraction_attack(published: pd.DataFrame) -> dict[int, float]:
    """The attacker by hand: a total minus its published parts, repeated while it finds
    anything (each recovered cell is then used as known). Row positions -> values."""
    published = published.reset_index(drop=True)
    hidden = published["suppressed"].astype(bool).tolist()
    known = {i: float(v) for i, v in enumerate(published["value"]) if not hidden[i]}
    recovered: dict[int, float] = {}
    rels = relations(published)
    progress = True
    while progress:
        progress = False
        for r in rels:
            unknown = [m for m in r.members if m not in known]
            if len(unknown) != 1:
                continue
            u = unknown[0]
            parts = sum(known[p] for p in r.parts if p != u)
            known[u] = known[r.total] - parts if u != r.total else parts
            recovered[u] = known[u]
            progress = True
    return recovered


def interval_attack(published: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """The attacker with every relation at once and non-negative counts: the smallest
    and largest value each suppressed cell can take (linear programming)."""
    published = published.reset_index(drop=True)
    rels = relations(published)
    hidden = [i for i, s in enumerate(published["suppressed"]) if s]
    col = {m: j for j, m in enumerate(hidden)}
    a, b = [], []
    for r in rels:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for m, sign in [(r.total, 1.0)] + [(p, -1.0) for p in r.parts]:
            if m in col:
                row[col[m]] += sign
            else:
                rhs -= sign * float(published["value"][m])
        if row.any():
            a.append(row)
            b.append(rhs)
    out = {}
    for m, j in col.items():
        c = np.zeros(len(hidden))
        c[j] = 1.0
        if not a:
            out[m] = (0.0, np.inf)
            continue
        low = linprog(c, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None))
        high = linprog(-c, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None))
        assert low.status == 0, low.message
        # unbounded above (status 3): the published cells set no upper limit at all
        out[m] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def assert_no_cell_recoverable(published: pd.DataFrame) -> None:
    """Neither attacker pins any suppressed cell."""
    assert subtraction_attack(published) == {}
    for m, (lo, hi) in interval_attack(published).items():
        assert hi - lo > 0.5, (m, lo, hi)


def trusted_file(folder: Path, keys: dict[str, list[str]]) -> Path:
    """A trusted-keys TOML file of ``{state: [public key text]}``."""
    lines = ["[states]"] + [
        f"{state} = [{', '.join(repr(k) for k in ks)}]" for state, ks in keys.items()
    ]
    path = folder / "trusted_keys.toml"
    path.write_text("\n".join(lines).replace("'", '"') + "\n", "utf-8")
    return path
