"""Disclosure control of the mechanism's figures before they leave the state (issue 18).

The monitoring figures are one long tidy frame (:data:`CELL_COLUMNS`): one row per
figure, month and combination of the dimensions (state, port, flag, nationality, gender,
age group), a null where a dimension does not apply or is totalled over. ``persons`` is
the number of distinct persons a cell rests on (0 for vessel-level figures).

Two rules protect the persons behind the cells:

* **Primary suppression** (k-anonymity of cells): a cell resting on at least one and
  fewer than ``k`` persons is not published (``k`` = 5 by default, the threshold most
  national statistical offices use for counts of people, e.g. the UK Office for National
  Statistics' disclosure control guidance and Eurostat's SDC handbook for tabular data).
* **Complementary suppression**: every cell that is the total of other published cells
  along a dimension (a state's total over its ports, a month's total over nationalities,
  the total over months, ...) forms one linear relation ``total = sum(parts)``. A
  suppressed cell that is the only unknown in a relation could be recovered by
  subtraction; so could one fixed by several relations together. More cells are
  suppressed, smallest first, until no suppressed cell is determined by the published
  cells: the linear system the published figures give has no unique value for any
  suppressed cell (:func:`exposed`).

Suppression was chosen over controlled rounding because a suppressed cell is visibly
missing: a receiving state never reads a rounded figure as a count, published totals
stay exact, and figures of persons (where rounding 3 to 5 would invent people) are
never altered. Relations are taken from the frame's structure alone (every total with
its parts along one dimension), assumed to hold even where a figure is not additive:
that is the attacker's best case, so protection against it is protection against less.
Relations across figures (e.g. screened = presumed + not presumed) are not modelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DIMENSIONS = ("period", "state", "port", "flag", "nationality", "gender", "age_group")
"""The dimensions a cell may be broken down by; null means totalled over or not
applicable."""

CELL_COLUMNS = ("figure", *DIMENSIONS, "value", "persons")
"""The columns of the long tidy frame of figures (one row per cell)."""

DEFAULT_K = 5
"""Cells resting on fewer persons than this (and at least one) are suppressed."""

_TOL = 1e-9


@dataclass(frozen=True)
class Relation:
    """One published total and its parts along one dimension.

    Attributes
    ----------
    figure : str
        The figure the cells belong to (relations never cross figures).
    total : int
        Row position (0-based) of the total cell.
    parts : tuple of int
        Row positions of the cells that break the total down by ``dimension``.
    dimension : str
        One of :data:`DIMENSIONS`.
    """

    figure: str
    total: int
    parts: tuple[int, ...]
    dimension: str

    @property
    def members(self) -> tuple[int, ...]:
        """The total and its parts."""
        return (self.total, *self.parts)


def _keys(frame: pd.DataFrame) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    missing = [c for c in ("figure", *DIMENSIONS) if c not in frame.columns]
    if missing:
        raise ValueError(f"The frame of figures must have the columns {missing}.")
    dims = frame[list(DIMENSIONS)].astype(object)
    keys = []
    for figure, row in zip(frame["figure"].tolist(), dims.itertuples(index=False), strict=True):
        cell = tuple((d, str(v)) for d, v in zip(DIMENSIONS, row, strict=True) if not pd.isna(v))
        keys.append((str(figure), cell))
    return keys


def relations(frame: pd.DataFrame) -> list[Relation]:
    """Every total of ``frame`` with its parts along each dimension.

    A cell is a part of the total along dimension ``d`` when it has the same figure
    and the same non-null dimensions plus ``d``, agreeing on all but ``d``.

    Parameters
    ----------
    frame : DataFrame
        Rows of cells with the columns ``figure`` and :data:`DIMENSIONS`.

    Returns
    -------
    list of Relation
        Sorted by total, then dimension; row positions are 0-based positions in
        ``frame``.

    Raises
    ------
    ValueError
        When a column is missing or two rows are the same cell.
    """
    keys = _keys(frame)
    where: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for i, key in enumerate(keys):
        if key in where:
            raise ValueError(f"Two rows of the figures are the same cell: {key}.")
        where[key] = i
    parts: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, (figure, cell) in enumerate(keys):
        for j, (d, _) in enumerate(cell):
            total = where.get((figure, cell[:j] + cell[j + 1 :]))
            if total is not None:
                parts[(total, d)].append(i)
    return [
        Relation(keys[total][0], total, tuple(sorted(p)), d)
        for (total, d), p in sorted(parts.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]


def exposed(
    n_rows: int, rels: Sequence[Relation], suppressed: Sequence[bool] | np.ndarray
) -> list[int]:
    """Suppressed cells the published cells determine (recoverable by linear algebra).

    With the published cells known, each relation ``total - sum(parts) = 0`` is a linear
    equation in the suppressed cells. A suppressed cell is determined when every
    solution gives it the same value: its column of the null space is zero.

    Parameters
    ----------
    n_rows : int
        Number of cells.
    rels : sequence of Relation
    suppressed : sequence of bool of shape (n_rows,)

    Returns
    -------
    list of int
        Row positions of the determined suppressed cells, ascending.
    """
    mask = np.asarray(suppressed, dtype=bool)
    if mask.shape != (n_rows,):
        raise ValueError(f"suppressed must have shape ({n_rows},). Got {mask.shape} instead.")
    out: list[int] = []
    by_figure: dict[str, list[Relation]] = defaultdict(list)
    for r in rels:
        by_figure[r.figure].append(r)
    for group in by_figure.values():
        unknown = sorted({m for r in group for m in r.members if mask[m]})
        if not unknown:
            continue
        col = {m: j for j, m in enumerate(unknown)}
        a = np.zeros((len(group), len(unknown)))
        for i, r in enumerate(group):
            if mask[r.total]:
                a[i, col[r.total]] += 1.0
            for p in r.parts:
                if mask[p]:
                    a[i, col[p]] -= 1.0
        a = a[np.any(a != 0, axis=1)]
        if a.shape[0] == 0:
            continue
        _, s, vt = np.linalg.svd(a, full_matrices=True)
        rank = int(np.sum(s > _TOL * max(1.0, float(s.max()))))
        null = vt[rank:]
        if null.shape[0] == 0:  # full column rank: every unknown is fixed
            out.extend(unknown)
            continue
        fixed = np.all(np.abs(null) < 1e-8, axis=0)
        out.extend(m for m, f in zip(unknown, fixed, strict=True) if f)
    return sorted(out)


def _weight(persons: np.ndarray, values: np.ndarray, i: int) -> tuple[bool, float, float, int]:
    # Prefer cells that are not zero (a suppressed zero protects nothing), then the
    # smallest (least information lost), then the first.
    zero = persons[i] == 0 and values[i] == 0
    return (bool(zero), float(persons[i]), float(values[i]), i)


def suppression(frame: pd.DataFrame, *, k: int = DEFAULT_K) -> np.ndarray:
    """Which cells to suppress: primary (1 to k-1 persons) and complementary.

    Parameters
    ----------
    frame : DataFrame
        The long tidy frame of figures (:data:`CELL_COLUMNS`), true values.
    k : int, default 5
        The smallest number of persons a published cell may rest on.

    Returns
    -------
    ndarray of bool of shape (len(frame),)
        True for each cell not to publish. No suppressed cell is determined by the
        others through the relations of :func:`relations` (:func:`exposed` is empty).

    Raises
    ------
    ValueError
        When ``k`` is below 2 or the frame lacks a column or repeats a cell.
    """
    if k < 2:
        raise ValueError(f"The 'k' parameter of suppression must be at least 2. Got {k} instead.")
    rels = relations(frame)
    persons = pd.to_numeric(frame["persons"]).fillna(0).to_numpy(dtype=float)
    values = pd.to_numeric(frame["value"]).fillna(0).abs().to_numpy(dtype=float)
    mask = (persons > 0) & (persons < k)
    if not mask.any():
        return mask
    by_figure: dict[str, list[Relation]] = defaultdict(list)
    for r in rels:
        by_figure[r.figure].append(r)
    for group in by_figure.values():  # no relation crosses figures
        if any(mask[m] for r in group for m in r.members):
            _complement(group, mask, persons, values)
    return mask


def _complement(
    rels: list[Relation], mask: np.ndarray, persons: np.ndarray, values: np.ndarray
) -> None:
    """Suppress more cells of one figure (``mask`` in place) until none is exposed."""
    weight = lambda i: _weight(persons, values, i)  # noqa: E731
    member_of: dict[int, list[Relation]] = defaultdict(list)
    for r in rels:
        for m in r.members:
            member_of[m].append(r)
    while True:
        changed = True
        while changed:  # no relation may hold a single suppressed cell
            changed = False
            for r in rels:
                hidden = [m for m in r.members if mask[m]]
                if len(hidden) == 1:
                    open_ = [m for m in r.members if not mask[m]]
                    if open_:
                        mask[min(open_, key=weight)] = True
                        changed = True
        found = exposed(len(mask), rels, mask)
        if not found:
            return
        # several relations together pin these cells: suppress one more cell next to
        # each (in one pass; the check runs again)
        added = False
        for cell in found:
            near = {m for r in member_of[cell] for m in r.members if not mask[m]}
            if near:
                mask[min(near, key=weight)] = True
                added = True
        if not added:  # widen to the whole figure
            near = {m for r in rels for m in r.members if not mask[m]}
            if not near:
                return
            mask[min(near, key=weight)] = True


def protect(frame: pd.DataFrame, *, k: int = DEFAULT_K) -> pd.DataFrame:
    """The publishable copy of ``frame``: suppressed cells lose value and persons.

    Parameters
    ----------
    frame : DataFrame
        The long tidy frame of figures (:data:`CELL_COLUMNS`).
    k : int, default 5
        As :func:`suppression`.

    Returns
    -------
    DataFrame
        ``frame``'s rows in order with a boolean column ``suppressed``; where it is
        True, ``value`` and ``persons`` are null. Every other row rests on 0 or at
        least ``k`` persons. The input is not changed.
    """
    mask = suppression(frame, k=k)
    out = frame.reset_index(drop=True).copy()
    out["value"] = pd.to_numeric(out["value"]).astype("Float64")
    out["persons"] = pd.to_numeric(out["persons"]).astype("Int64")
    out.loc[mask, ["value", "persons"]] = pd.NA
    out["suppressed"] = mask
    return out
