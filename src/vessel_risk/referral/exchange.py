"""The regional exchange format (issue 18; seed report §5.5): what one state's mechanism
shares with the others, signed, in JSON, CSV or Parquet.

An export holds three tables and the definitions of its figures:

``indicators``
    The mechanism's monitoring figures as one long tidy table (one row per figure, month
    and breakdown; :data:`INDICATOR_COLUMNS`), after disclosure control
    (:mod:`vessel_risk.referral.disclosure`): no published cell rests on 1 to k-1
    persons, and no suppressed cell can be recovered from the published totals.
``alerts``
    Vessel-level intelligence: each alert's vessel, flag, class, tier, score and review
    status (:data:`ALERT_COLUMNS`). Vessel facts only: no free text, no reviewer.
``inspections``
    Boardings and their outcomes (:data:`INSPECTION_COLUMNS`): vessel, port, agency,
    outcome, the ILO indicators observed and the ILO C188 documents found missing.
    No person is named; crew head counts by nationality stay home (a nationality with
    one crew member on a named vessel singles that person out).

The JSON form is one document (:func:`document`), described by the JSON Schema shipped
in the package (:func:`json_schema`, ``schemas/exchange-1.0.schema.json``). The CSV and
Parquet forms are a folder: ``manifest.json`` (the document without its tables) and one
file per table (:func:`write_export`). All three carry the same content and the same
signature: the exporting state signs the **canonical form** of the content (the JSON
document without ``signature``, keys sorted, no whitespace, UTF-8; :func:`canonical`)
with Ed25519 (:mod:`vessel_risk.referral.exchange_keys`), so any form can be checked and
re-read into the same document (:func:`read_export`). The SHA-256 of the canonical form
is the export's id: importing one export twice imports it once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import ValidationError

from vessel_risk.referral.disclosure import DEFAULT_K
from vessel_risk.referral.exchange_schema import VERSION as VERSION
from vessel_risk.referral.exchange_schema import ExchangeDocument as ExchangeDocument
from vessel_risk.referral.exchange_schema import FigureDefinition as FigureDefinition
from vessel_risk.referral.exchange_schema import generated_schema as generated_schema
from vessel_risk.referral.exchange_schema import json_schema as json_schema

FORMAT = "vessel-risk-exchange"
"""The ``format`` member of every export."""

ColumnType = Literal["string", "integer", "number", "boolean", "date", "datetime", "list"]

INDICATOR_COLUMNS: dict[str, ColumnType] = {
    "figure": "string",
    "period": "date",
    "state": "string",
    "port": "string",
    "flag": "string",
    "nationality": "string",
    "gender": "string",
    "age_group": "string",
    "value": "number",
    "persons": "integer",
    "suppressed": "boolean",
}
"""The indicators table: a figure's id, the month (first day; null: the whole period),
the breakdown (null: totalled over), the value and the persons it rests on (both null
where suppressed)."""

ALERT_COLUMNS: dict[str, ColumnType] = {
    "mmsi": "string",
    "vessel_id": "string",
    "year": "integer",
    "shipname": "string",
    "flag_iso3": "string",
    "flag_inferred_iso3": "string",
    "vessel_class": "string",
    "gear": "string",
    "score": "number",
    "tier": "string",
    "model_version": "string",
    "status": "string",
    "last_port_label": "string",
    "last_port_iso3": "string",
    "last_seen": "datetime",
    "raised_at": "datetime",
}
"""The alerts table: one vessel-year's alert. A score is evidence to check, never proof."""

INSPECTION_COLUMNS: dict[str, ColumnType] = {
    "mmsi": "string",
    "vessel_id": "string",
    "year": "integer",
    "inspected_at": "datetime",
    "port_label": "string",
    "port_iso3": "string",
    "agency_id": "string",
    "outcome": "string",
    "ilo_indicators": "list",
    "documents_missing": "list",
}
"""The inspections table: one boarding (or a vessel not boarded) and what it found."""

TABLES: dict[str, dict[str, ColumnType]] = {
    "indicators": INDICATOR_COLUMNS,
    "alerts": ALERT_COLUMNS,
    "inspections": INSPECTION_COLUMNS,
}
"""Every table of an export with its columns, in file order."""

LIST_SEPARATOR = ";"
"""How a list cell is written in CSV (its items are keys without this character)."""


class ExchangeError(ValueError):
    """An export that cannot be read, checked or imported; the message says why."""


class SignatureError(ExchangeError):
    """An export whose signature does not verify, or whose signer is not trusted."""


# --- cells in their canonical JSON form ---


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _when(v: Any) -> datetime:
    ts = pd.Timestamp(v)
    ts = ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)
    return ts.to_pydatetime().replace(microsecond=0)


def cell(value: Any, kind: ColumnType) -> Any:
    """``value`` as the export writes a cell of type ``kind`` (JSON builtins).

    Strings stay strings (empty: null), integers ints, numbers floats, dates
    ``YYYY-MM-DD``, times ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds), lists sorted
    lists of strings; a missing value is null.

    Raises
    ------
    ExchangeError
        For a value that is not of the type (a number that is not finite, ...).
    """
    if kind == "list":
        if value is None or (not isinstance(value, (list, tuple)) and _missing(value)):
            return []
        if isinstance(value, str):
            value = [v for v in value.split(LIST_SEPARATOR) if v]
        return sorted(str(v) for v in value)
    if _missing(value):
        return None
    try:
        if kind == "string":
            text = str(value)
            return text if text else None
        if kind == "integer":
            return int(value)
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise ExchangeError(f"A number cell must be finite. Got {value!r} instead.")
            return number
        if kind == "boolean":
            if isinstance(value, str):
                return value.strip().lower() in ("true", "1")
            return bool(value)
        if kind == "date":
            return (
                value
                if isinstance(value, date) and not isinstance(value, datetime)
                else pd.Timestamp(value).date()
            ).isoformat()
        return _when(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError) as exc:
        raise ExchangeError(f"A {kind} cell cannot hold {value!r}: {exc}") from exc


def table_records(frame: pd.DataFrame, columns: Mapping[str, ColumnType]) -> list[dict[str, Any]]:
    """The rows of ``frame`` as export records: exactly ``columns``, canonical cells.

    Raises
    ------
    ExchangeError
        When a column is missing (any other column is dropped, never exported).
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ExchangeError(f"The table lacks the columns {missing}.")
    data = {c: frame[c].astype(object).tolist() for c in columns}
    return [{c: cell(data[c][i], kind) for c, kind in columns.items()} for i in range(len(frame))]


def canonical(content: Mapping[str, Any]) -> bytes:
    """The canonical form of an export: what its signature covers.

    The document without ``signature`` as JSON: keys sorted, no whitespace, UTF-8,
    numbers as Python's shortest round-trip form. Forms of the same content give the
    same bytes.
    """
    body = {k: v for k, v in content.items() if k != "signature"}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def export_id(content: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of :func:`canonical`: the export's id."""
    return hashlib.sha256(canonical(content)).hexdigest()


def document(
    *,
    state: str,
    period_start: date,
    period_end: date,
    indicators: pd.DataFrame,
    alerts: pd.DataFrame,
    inspections: pd.DataFrame,
    figures: list[Mapping[str, Any]],
    k: int = DEFAULT_K,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned JSON form of an export.

    Parameters
    ----------
    state : str
        The exporting state, ISO 3166-1 alpha-3.
    period_start, period_end : date
        First and last day covered (UTC, inclusive).
    indicators : DataFrame
        The protected indicators (:func:`vessel_risk.referral.disclosure.protect`):
        the columns of :data:`INDICATOR_COLUMNS`.
    alerts, inspections : DataFrame
        Vessel-level tables with (at least) :data:`ALERT_COLUMNS` and
        :data:`INSPECTION_COLUMNS`; any other column is left out.
    figures : list of mapping
        The figures' ``id``, ``name``, ``definition``, ``unit`` (``level`` and
        ``statistic`` where known).
    k : int
        The disclosure threshold the indicators were protected with.
    created_at : datetime, optional
        Default now (UTC, whole seconds).

    Returns
    -------
    dict
        Valid against :func:`json_schema` (checked here).

    Raises
    ------
    ExchangeError
        When a table or a value does not fit the format.
    """
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "state": state.upper(),
        "created_at": cell(created_at or datetime.now(UTC), "datetime"),
        "period_start": cell(period_start, "date"),
        "period_end": cell(period_end, "date"),
        "disclosure": {"k": int(k), "method": "cell-suppression"},
        "figures": [
            {f: fig.get(f) for f in ("id", "name", "definition", "unit", "level", "statistic")}
            for fig in figures
        ],
        "tables": {
            name: table_records(frame, TABLES[name])
            for name, frame in (
                ("indicators", indicators),
                ("alerts", alerts),
                ("inspections", inspections),
            )
        },
    }
    check(doc)
    return doc


def check(doc: Mapping[str, Any]) -> ExchangeDocument:
    """Check ``doc`` against the format (the models the JSON Schema is generated from).

    Raises
    ------
    ExchangeError
        For another format or version, or the first fields that do not fit.
    """
    if not isinstance(doc, Mapping):
        raise ExchangeError(f"An export is a JSON object. Got {type(doc).__name__} instead.")
    if doc.get("format") != FORMAT:
        raise ExchangeError(f"Not a {FORMAT} document (format {doc.get('format')!r}).")
    version = str(doc.get("version", ""))
    if version.split(".")[0] != VERSION.split(".")[0]:
        raise ExchangeError(f"Export format version {version!r}; this reader reads {VERSION}.")
    try:
        return ExchangeDocument.model_validate_json(json.dumps(dict(doc)), strict=True)
    except ValidationError as exc:
        first = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise ExchangeError(f"The export does not fit format {VERSION}: {first}") from exc


# --- forms on disk ---


def _frame(records: list[dict[str, Any]], columns: Mapping[str, ColumnType]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=list(columns), dtype=object)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_export(doc: Mapping[str, Any], out: Path, *, form: str = "json") -> Path:
    """Write a (signed) export in one of its forms.

    Parameters
    ----------
    doc : mapping
        The JSON form (:func:`document`, signed by
        :func:`vessel_risk.referral.exchange_keys.sign`).
    out : Path
        ``json``: the file to write; ``csv`` or ``parquet``: a folder (created) that
        receives ``manifest.json`` and ``indicators``, ``alerts``, ``inspections``
        files.
    form : {"json", "csv", "parquet"}

    Returns
    -------
    Path
        The file or folder written.

    Raises
    ------
    ExchangeError
        For an unknown form.
    """
    if form == "json":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False), "utf-8")
        return out
    if form not in ("csv", "parquet"):
        raise ExchangeError(f"The form must be json, csv or parquet. Got {form!r} instead.")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    for name, columns in TABLES.items():
        frame = _frame(doc["tables"][name], columns)
        path = out / f"{name}.{form}"
        if form == "csv":
            for c, kind in columns.items():
                if kind == "list":
                    frame[c] = frame[c].map(LIST_SEPARATOR.join)
            frame.to_csv(path, index=False, lineterminator="\n")
        else:
            _write_parquet(frame, columns, path)
        files[name] = {"path": path.name, "rows": len(frame), "sha256": _sha256(path)}
    manifest = {k: v for k, v in doc.items() if k != "tables"}
    manifest["files"] = files
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False), "utf-8"
    )
    return out


def _write_parquet(frame: pd.DataFrame, columns: Mapping[str, ColumnType], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("s", tz="UTC"),
        "list": pa.list_(pa.string()),
    }
    arrays = []
    for c, kind in columns.items():
        values = frame[c].tolist()
        if kind == "date":
            values = [None if v is None else date.fromisoformat(v) for v in values]
        elif kind == "datetime":
            values = [None if v is None else datetime.fromisoformat(v) for v in values]
        arrays.append(pa.array(values, type=types[kind]))
    schema = pa.schema([pa.field(c, types[k]) for c, k in columns.items()])
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)


def read_export(path: Path) -> dict[str, Any]:
    """Read an export in any form back into its JSON form (not yet verified).

    Parameters
    ----------
    path : Path
        A JSON file, or a folder holding ``manifest.json`` and its table files.

    Returns
    -------
    dict
        The JSON form; :func:`canonical` of it equals the exporter's.

    Raises
    ------
    ExchangeError
        For a missing or unreadable file, a table file whose digest is not the
        manifest's, or a table whose columns are not the format's.
    """
    try:
        if path.is_dir():
            manifest = json.loads((path / "manifest.json").read_text("utf-8"))
            files = manifest.pop("files")
            paths = {name: path / Path(files[name]["path"]).name for name in TABLES}
            for name, file in paths.items():  # every file is the one listed, before reading
                if _sha256(file) != files[name]["sha256"]:
                    raise ExchangeError(f"{file.name} is not the file the manifest lists.")
            tables = {name: _read_table(paths[name], TABLES[name]) for name in TABLES}
            manifest["tables"] = tables
            doc: dict[str, Any] = manifest
            return doc
        loaded = json.loads(path.read_text("utf-8"))
        if not isinstance(loaded, dict):
            raise ExchangeError(f"{path} holds no export (a JSON object).")
        return loaded
    except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ExchangeError(f"Cannot read the export at {path}: {exc}") from exc


def _read_table(file: Path, columns: Mapping[str, ColumnType]) -> list[dict[str, Any]]:
    if file.suffix == ".parquet":
        frame = pd.read_parquet(file)
    else:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    if list(frame.columns) != list(columns):
        raise ExchangeError(
            f"{file.name} has columns {list(frame.columns)}; expected {list(columns)}."
        )
    if file.suffix == ".parquet":
        for c, kind in columns.items():
            if kind == "list":
                frame[c] = frame[c].map(lambda v: [] if v is None else list(v))
    return table_records(frame, columns)


def signature_block(key_id: str, signature: bytes) -> dict[str, str]:
    """The ``signature`` member: Ed25519, the key's id and the base64 signature."""
    return {
        "algorithm": "Ed25519",
        "key_id": key_id,
        "value": base64.b64encode(signature).decode("ascii"),
    }
