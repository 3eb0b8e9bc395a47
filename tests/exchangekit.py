"""Builders for the regional exchange tests: figure tables with every margin, keys and
trusted-keys files, and the attackers that try to recover suppressed cells."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from vessel_risk.referral.disclosure import DIMENSIONS, relations
from vessel_risk.referral.monitoring import MonitoringFrames

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


def holding(published: pd.DataFrame, truth: pd.DataFrame | None, column: str) -> list:
    """The relations of ``published`` an attacker can use on ``column``: all of them, or
    with ``truth`` (the true cells, same rows) those that hold exactly in it (a median
    is not the sum of its parts; a person may count in two months)."""
    rels = relations(published.reset_index(drop=True))
    if truth is None:
        return rels
    true = pd.to_numeric(truth[column]).fillna(0).to_numpy(dtype=float)
    return [r for r in rels if abs(true[r.total] - sum(true[p] for p in r.parts)) < 1e-9]


def subtraction_attack(
    published: pd.DataFrame, *, column: str = "value", truth: pd.DataFrame | None = None
) -> dict[int, float]:
    """The attacker by hand: a total minus its published parts, repeated while it finds
    anything (each recovered cell is then used as known). Row positions -> values."""
    published = published.reset_index(drop=True)
    hidden = published["suppressed"].astype(bool).tolist()
    known = {i: float(v) for i, v in enumerate(published[column]) if not hidden[i]}
    recovered: dict[int, float] = {}
    rels = holding(published, truth, column)
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


def interval_attack(
    published: pd.DataFrame, *, column: str = "value", truth: pd.DataFrame | None = None
) -> dict[int, tuple[float, float]]:
    """The attacker with every relation at once and non-negative cells: the smallest
    and largest value each suppressed cell can take (linear programming, one figure at
    a time: no relation crosses figures)."""
    published = published.reset_index(drop=True)
    by_figure: dict[str, list] = {}
    for r in holding(published, truth, column):
        by_figure.setdefault(r.figure, []).append(r)
    hidden_all = [i for i, s in enumerate(published["suppressed"]) if s]
    out = {m: (0.0, np.inf) for m in hidden_all}  # in no relation: nothing bounds it
    for rels in by_figure.values():
        hidden = sorted({m for r in rels for m in r.members if published["suppressed"][m]})
        col = {m: j for j, m in enumerate(hidden)}
        a, b = [], []
        for r in rels:
            row = np.zeros(len(hidden))
            rhs = 0.0
            for m, sign in [(r.total, 1.0)] + [(p, -1.0) for p in r.parts]:
                if m in col:
                    row[col[m]] += sign
                else:
                    rhs -= sign * float(published[column][m])
            if row.any():
                a.append(row)
                b.append(rhs)
        if not a:
            continue
        for m, j in col.items():
            c = np.zeros(len(hidden))
            c[j] = 1.0
            low = linprog(c, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None))
            high = linprog(-c, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None))
            assert low.status == 0, low.message
            # unbounded above (status 3): the published cells set no upper limit at all
            out[m] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def linear_attack(
    published: pd.DataFrame, *, column: str = "value", truth: pd.DataFrame | None = None
) -> list[int]:
    """The attacker with every relation at once as linear equations: the suppressed
    cells whose unit vector lies in the row space of the equations (their value is the
    same in every solution). One rank test per cell, one figure at a time."""
    published = published.reset_index(drop=True)
    by_figure: dict[str, list] = {}
    for r in holding(published, truth, column):
        by_figure.setdefault(r.figure, []).append(r)
    pinned = []
    for rels in by_figure.values():
        hidden = sorted({m for r in rels for m in r.members if published["suppressed"][m]})
        col = {m: j for j, m in enumerate(hidden)}
        a = np.zeros((len(rels), len(hidden)))
        for i, r in enumerate(rels):
            for m, sign in [(r.total, 1.0)] + [(p, -1.0) for p in r.parts]:
                if m in col:
                    a[i, col[m]] += sign
        rank = np.linalg.matrix_rank(a) if a.size else 0
        for m, j in col.items():
            unit = np.zeros((1, len(hidden)))
            unit[0, j] = 1.0
            if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
                pinned.append(m)
    return sorted(pinned)


def assert_no_cell_recoverable(
    published: pd.DataFrame,
    truth: pd.DataFrame | None = None,
    *,
    columns=("value", "persons"),
    intervals=("value", "persons"),
) -> int:
    """No attacker pins a suppressed cell: subtraction and linear algebra on every
    column of ``columns``, linear programming with non-negative cells on ``intervals``.
    Returns the number of suppressed cells attacked."""
    for column in columns:
        assert subtraction_attack(published, column=column, truth=truth) == {}, column
        assert linear_attack(published, column=column, truth=truth) == [], column
    for column in intervals:
        for m, (lo, hi) in interval_attack(published, column=column, truth=truth).items():
            assert hi - lo > 0.5, (column, m, lo, hi)
    return int(published["suppressed"].sum())


def trusted_file(folder: Path, keys: dict[str, list[str]]) -> Path:
    """A trusted-keys TOML file of ``{state: [public key text]}``."""
    lines = ["[states]"] + [
        f"{state} = [{', '.join(repr(k) for k in ks)}]" for state, ks in keys.items()
    ]
    path = folder / "trusted_keys.toml"
    path.write_text("\n".join(lines).replace("'", '"') + "\n", "utf-8")
    return path


def mechanism_frames(seed: int = 7, *, vessels: int = 36) -> MonitoringFrames:
    """A small mechanism over 2025: alerts at three ports of two states, boardings of
    every other alert, the crews of confirmed boardings screened (3 to 10 persons each,
    nationality, gender and age group drawn), reflection periods, follow-ups at 3, 6
    and 12 months (some done), a few transfers. Deterministic for a ``seed``."""
    rng = random.Random(seed)
    t0 = datetime(2025, 1, 1, 9, tzinfo=UTC)
    ports = [("THA", "SONGKHLA"), ("THA", "RANONG"), ("IDN", "BITUNG")]
    alerts, statuses, inspections, cases = [], [], [], []
    transitions, follow_ups, transfers = [], [], []
    for i in range(vessels):
        state, port = ports[i % 3]
        raised = t0 + timedelta(days=rng.randrange(0, 300))
        alerts.append(
            {
                "alert_id": i + 1,
                "raised_at": raised,
                "state": state,
                "port": port,
                "flag": rng.choice(["CHN", "TWN", "THA"]),
            }
        )
        statuses.append(
            {
                "alert_id": i + 1,
                "at": raised + timedelta(days=1),
                "status": rng.choice(["under_review", "referred", "dismissed"]),
            }
        )
        if i % 2 == 0:
            inspections.append(
                {
                    "inspection_id": 100 + i,
                    "alert_id": i + 1,
                    "inspected_at": raised + timedelta(days=5),
                    "outcome": "confirmed"
                    if i % 4 == 0
                    else rng.choice(["none_found", "not_boarded"]),
                    "state": state,
                    "port": port,
                }
            )
    n = 0
    for boarding in inspections:
        if boarding["outcome"] != "confirmed":
            continue
        for _ in range(rng.randrange(3, 11)):
            n += 1
            case_id = f"case-{n}"
            screened = boarding["inspected_at"] + timedelta(days=1)
            child = rng.random() < 0.1
            cases.append(
                {
                    "case_id": case_id,
                    "screened_at": screened,
                    "presumed_victim": rng.random() < 0.85,
                    "child": child,
                    "inspection_id": boarding["inspection_id"],
                    "alert_id": boarding["alert_id"],
                    "reflection_started_at": screened,
                    "reflection_ends_at": screened + timedelta(days=30),
                    "assistance_started_at": screened + timedelta(days=rng.choice([20, 31, 40])),
                    "state": boarding["state"],
                    "nationality": rng.choice(["MMR", "KHM", "IDN"]),
                    "gender": rng.choice(["man", "man", "woman", None]),
                    "age_group": "child" if child else rng.choice(["18-29", "30-49", "50+"]),
                }
            )
            transitions.append({"case_id": case_id, "to_state": "presumed_victim", "at": screened})
            for months in (3, 6, 12):
                due = screened + timedelta(days=31 + 30 * months)
                done = due + timedelta(days=2) if rng.random() < 0.5 else None
                follow_ups.append(
                    {
                        "case_id": case_id,
                        "months": months,
                        "due_at": due,
                        "done_at": done,
                        "indicators": {"family_reintegration": "achieved"} if done else None,
                    }
                )
            if rng.random() < 0.2:
                transfers.append(
                    {
                        "case_id": case_id,
                        "purpose": "repatriation",
                        "status": "completed",
                        "requested_at": screened + timedelta(days=45),
                    }
                )
    return MonitoringFrames(
        pd.DataFrame(alerts),
        pd.DataFrame(statuses),
        pd.DataFrame(inspections),
        pd.DataFrame(cases),
        pd.DataFrame(transitions),
        pd.DataFrame(follow_ups),
        pd.DataFrame(transfers, columns=["case_id", "purpose", "status", "requested_at"]),
    )
