"""Reference tables behind identity inference, as data: load, validate, refresh.

Three tables ship inside the package (``vessel_risk/identity/data``; their source,
edition and licence are in that folder's ``README.md``):

``mid``
    ITU Maritime Identification Digits to flag (ISO 3166-1 alpha-3): ``mid_flags.csv``,
    columns ``mid``, ``iso3``, ``allocated_to``.
``callsign-series``
    ITU Radio Regulations Appendix 42, table of allocation of international call sign
    series: ``itu_callsign_series.csv``, columns ``start``, ``end`` (3-character
    series bounds such as ``BAA``/``BZZ``), ``iso3``, ``allocated_to``.
``name-patterns``
    Documented name patterns of vessel registries: ``name_patterns.csv``, columns
    ``regex`` (matched at the start of the name normalised by
    :func:`vessel_risk.identity.lists.normalize_name`), ``iso3``, ``registry``,
    ``confidence`` (0..1), ``source``.

A user may replace any of them with :func:`refresh_table` (``vessel-risk reference
refresh``): the file is validated (:func:`validate_table`) and a copy is written to the
user reference folder, :func:`reference_dir`, where it takes precedence over the
shipped table from then on. The folder is ``$VESSEL_RISK_REFERENCE_DIR`` if set, else
``$XDG_DATA_HOME/vessel-risk/reference`` (``~/.local/share/vessel-risk/reference``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd
import pycountry

REFERENCE_DIR_ENV = "VESSEL_RISK_REFERENCE_DIR"
"""Environment variable naming the user reference folder (refreshed tables)."""


@dataclass(frozen=True)
class TableSpec:
    """One reference table: its file name, columns and the shipped edition.

    Attributes
    ----------
    name : str
        ``"mid"``, ``"callsign-series"`` or ``"name-patterns"``.
    file : str
        File name, the same in the package and in the user folder.
    columns : tuple of str
        Required columns, in order.
    source : str
        Where the shipped table comes from.
    date : str
        Edition or date of the shipped table.
    """

    name: str
    file: str
    columns: tuple[str, ...]
    source: str
    date: str


TABLES: dict[str, TableSpec] = {
    "mid": TableSpec(
        "mid",
        "mid_flags.csv",
        ("mid", "iso3", "allocated_to"),
        "ITU, Table of Maritime Identification Digits (MARS), with ISO 3166-1 alpha-3 codes",
        "ITU MID table as copied into the package on 2026-11-29 (292 MIDs)",
    ),
    "callsign-series": TableSpec(
        "callsign-series",
        "itu_callsign_series.csv",
        ("start", "end", "iso3", "allocated_to"),
        "ITU Radio Regulations, Appendix 42: Table of allocation of international call "
        "sign series (administrations only; international organisations left out)",
        "Radio Regulations, edition of 2024",
    ),
    "name-patterns": TableSpec(
        "name-patterns",
        "name_patterns.csv",
        ("regex", "iso3", "registry", "confidence", "source"),
        "Registries' documented vessel-name rules (each row names its source)",
        "2026-12-04",
    ),
}

_EXTRA_ISO3 = frozenset({"XKX"})
"""Codes used for flags that ISO 3166-1 lacks (Kosovo, user-assigned)."""


def reference_dir() -> Path:
    """The user reference folder, where refreshed tables are written and read first.

    Returns
    -------
    Path
        ``$VESSEL_RISK_REFERENCE_DIR`` if set, else ``$XDG_DATA_HOME/vessel-risk/reference``
        (``~/.local/share/vessel-risk/reference`` when ``XDG_DATA_HOME`` is unset). The
        folder may not exist yet.
    """
    env = os.environ.get(REFERENCE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vessel-risk" / "reference"


def _spec(name: str) -> TableSpec:
    if name not in TABLES:
        raise ValueError(f"Unknown reference table {name!r}; expected one of {sorted(TABLES)}.")
    return TABLES[name]


def table_location(name: str) -> tuple[str, str]:
    """Where table ``name`` is read from now.

    Returns
    -------
    (origin, path) : tuple of str
        ``origin`` is ``"user"`` (a refreshed copy in :func:`reference_dir`) or
        ``"package"`` (the shipped table); ``path`` the file read.

    Raises
    ------
    ValueError
        If ``name`` is not a known table.
    """
    spec = _spec(name)
    user = reference_dir() / spec.file
    if user.is_file():
        return "user", str(user)
    return "package", str(resources.files("vessel_risk.identity") / "data" / spec.file)


def _read_csv(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _valid_iso3(code: str) -> bool:
    return code in _EXTRA_ISO3 or pycountry.countries.get(alpha_3=code) is not None


def validate_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check a candidate reference table and return it cleaned (stripped, sorted).

    Checks: the required columns; no empty cell in them; ISO3 codes known to ISO 3166-1;
    for ``mid``, 3-digit MIDs 201-775 without duplicates; for ``callsign-series``,
    3-character bounds of A-Z/0-9 with ``start <= end`` and no two series overlapping;
    for ``name-patterns``, regexes that compile and confidences in (0, 1].

    Parameters
    ----------
    name : str
        A key of :data:`TABLES`.
    frame : DataFrame
        The table as read (strings).

    Returns
    -------
    DataFrame with exactly the table's columns, in order.

    Raises
    ------
    ValueError
        Naming the first rows at fault, if any check fails.
    """
    spec = _spec(name)
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The {name} table needs columns {list(spec.columns)}; {missing} missing "
            f"(got {list(frame.columns)})."
        )
    t = frame[list(spec.columns)].astype("string").apply(lambda s: s.str.strip())
    if t.empty:
        raise ValueError(f"The {name} table has no rows.")
    empty = t.isna() | (t == "")
    if empty.any().any():
        rows = list(t.index[empty.any(axis=1)][:5] + 2)
        raise ValueError(f"The {name} table has empty cells on lines {rows}.")
    t["iso3"] = t["iso3"].str.upper()
    bad = sorted(set(c for c in t["iso3"] if not _valid_iso3(c)))
    if bad:
        raise ValueError(f"The {name} table has codes that are not ISO 3166-1 alpha-3: {bad[:10]}.")
    if name == "mid":
        t = _validate_mid(t)
    elif name == "callsign-series":
        t = _validate_series(t)
    else:
        t = _validate_patterns(t)
    return t.reset_index(drop=True)


def _validate_mid(t: pd.DataFrame) -> pd.DataFrame:
    ok = t["mid"].str.fullmatch(r"[2-7]\d\d")
    if not ok.all():
        raise ValueError(f"MIDs must be 3 digits 201-775; got {list(t['mid'][~ok][:5])}.")
    dup = t["mid"][t["mid"].duplicated()]
    if len(dup):
        raise ValueError(f"The mid table lists MIDs twice: {sorted(set(dup))[:10]}.")
    return t.sort_values("mid")


def _validate_series(t: pd.DataFrame) -> pd.DataFrame:
    t["start"], t["end"] = t["start"].str.upper(), t["end"].str.upper()
    form = t["start"].str.fullmatch(r"[A-Z0-9]{3}") & t["end"].str.fullmatch(r"[A-Z0-9]{3}")
    if not form.all():
        bad = t.loc[~form, ["start", "end"]].head(5).to_numpy().tolist()
        raise ValueError(f"Call sign series bounds must be 3 letters or digits; got {bad}.")
    backwards = t["start"] > t["end"]
    if backwards.any():
        bad = t.loc[backwards, ["start", "end"]].head(5).to_numpy().tolist()
        raise ValueError(f"Call sign series with start after end: {bad}.")
    t = t.sort_values(["start", "end"]).reset_index(drop=True)
    overlap = t["start"].iloc[1:].to_numpy() <= t["end"].iloc[:-1].to_numpy()
    if overlap.any():
        pairs = [
            f"{t['start'][i]}-{t['end'][i]} ({t['iso3'][i]}) and "
            f"{t['start'][i + 1]}-{t['end'][i + 1]} ({t['iso3'][i + 1]})"
            for i in overlap.nonzero()[0][:5]
        ]
        raise ValueError(f"Call sign series overlap: {'; '.join(pairs)}.")
    return t


def _validate_patterns(t: pd.DataFrame) -> pd.DataFrame:
    for rx in t["regex"]:
        try:
            re.compile(rx)
        except re.error as exc:
            raise ValueError(f"Name pattern {rx!r} is not a valid regex: {exc}.") from exc
    conf = pd.to_numeric(t["confidence"], errors="coerce")
    bad = conf.isna() | (conf <= 0) | (conf > 1)
    if bad.any():
        raise ValueError(
            f"Name pattern confidences must be numbers in (0, 1]; got "
            f"{list(t['confidence'][bad][:5])}."
        )
    return t


@lru_cache(maxsize=16)
def _load(name: str, path: str, mtime_ns: int) -> pd.DataFrame:
    try:
        return validate_table(name, _read_csv(path))
    except ValueError as exc:
        raise ValueError(f"The {name} reference table {path} is not usable: {exc}") from exc


def load_table(name: str) -> pd.DataFrame:
    """A reference table, from the user folder if refreshed there, else as shipped.

    Cached per file and modification time, so a refreshed table is read on next use.

    Parameters
    ----------
    name : str
        ``"mid"``, ``"callsign-series"`` or ``"name-patterns"``.

    Returns
    -------
    DataFrame with the table's columns (strings); do not modify it (it is shared).

    Raises
    ------
    ValueError
        If ``name`` is unknown or the file read fails validation.
    """
    _, path = table_location(name)
    return _load(name, path, os.stat(path).st_mtime_ns)


@lru_cache(maxsize=4)
def _mid_dict(path: str, mtime_ns: int) -> dict[str, str]:
    t = _load("mid", path, mtime_ns)
    return dict(zip(t["mid"], t["iso3"], strict=True))


def mid_dict() -> dict[str, str]:
    """The MID table as ``{"412": "CHN", ...}`` (user copy first; cached per file)."""
    _, path = table_location("mid")
    return _mid_dict(path, os.stat(path).st_mtime_ns)


def table_info(name: str) -> dict[str, object]:
    """What :command:`vessel-risk reference show` prints for one table.

    Returns
    -------
    dict with ``table``, ``rows``, ``source``, ``date``, ``origin`` ("package" or
    "user") and ``path``. For a refreshed table, ``source`` is the file it was
    refreshed from and ``date`` when (UTC), from the JSON note written beside it.
    """
    spec = _spec(name)
    origin, path = table_location(name)
    source, date = spec.source, spec.date
    note = Path(path).with_suffix(".json")
    if origin == "user" and note.is_file():
        meta = json.loads(note.read_text(encoding="utf-8"))
        source = f"refreshed from {meta.get('refreshed_from', '?')}"
        date = str(meta.get("refreshed_at", "?"))
    return {
        "table": name,
        "rows": len(load_table(name)),
        "source": source,
        "date": date,
        "origin": origin,
        "path": path,
    }


def _row_keys(name: str, t: pd.DataFrame) -> set[tuple[str, ...]]:
    return set(map(tuple, t[list(TABLES[name].columns[:3])].to_numpy().tolist()))


def refresh_table(name: str, path: str | Path) -> dict[str, object]:
    """Validate a user-supplied table and install it in :func:`reference_dir`.

    The validated copy (UTF-8 CSV) and a JSON note (source file, time, row count) are
    written; from then on :func:`load_table` reads it instead of the shipped table.

    Parameters
    ----------
    name : str
        ``"mid"``, ``"callsign-series"`` or ``"name-patterns"``.
    path : str or Path
        CSV with the table's columns.

    Returns
    -------
    dict with ``rows`` (new row count), ``added`` and ``removed`` (rows, compared by
    their first three columns, against the table read before), ``path`` (installed
    file).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file fails :func:`validate_table`; nothing is written then.
    """
    spec = _spec(name)
    src = Path(path)
    if not src.is_file():
        raise FileNotFoundError(f"No such file: {src}")
    new = validate_table(name, _read_csv(str(src)))
    old = load_table(name)
    before, after = _row_keys(name, old), _row_keys(name, new)
    folder = reference_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / spec.file
    tmp = target.with_suffix(".tmp")
    new.to_csv(tmp, index=False, encoding="utf-8")
    os.replace(tmp, target)
    note = {
        "table": name,
        "refreshed_from": str(src.resolve()),
        "refreshed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rows": len(new),
    }
    target.with_suffix(".json").write_text(json.dumps(note, indent=2), encoding="utf-8")
    return {
        "rows": len(new),
        "added": len(after - before),
        "removed": len(before - after),
        "path": str(target),
    }
