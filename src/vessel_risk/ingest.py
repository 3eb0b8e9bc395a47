"""Read AIS files into one frame of position reports and one of static reports.

Dialects are detected from the columns:

* ``gfw``: Global Fishing Watch exports (parquet or CSV), e.g. the squid-jigger
  file: ``mmsi, timestamp, lat, lon, speed_knots, course, heading, shipname, ...,
  msg_type, nnet_score``;
* ``canonical``: ``mmsi,timestamp,lat,lon,speed_knots,course,heading`` with optional
  ``shipname,callsign,imo,shiptype`` (GFW's names; the cases in ``shared/cases``);
* ``noaa``: NOAA MarineCadastre CSV (``MMSI, BaseDateTime, LAT, LON, SOG, COG,
  Heading, VesselName, IMO, CallSign, VesselType, ...``).

Nothing is lost silently: for every file, ``rows_in = positions + static_reports +
quarantined``, and each quarantined row keeps its source, line number, raw text and
reason. Naive timestamps are read as UTC and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from vessel_risk.identity import normalize_mmsi
from vessel_risk.schemas import QuarantineSchema, empty_frame

CANONICAL = ["mmsi", "timestamp", "lat", "lon", "speed_knots", "course", "heading"]
IDENTITY_FIELDS = ["shipname", "callsign", "imo", "shiptype"]
NUMERIC = ["lat", "lon", "speed_knots", "course", "heading"]
OPTIONAL_NUMERIC = ["nnet_score"]

NOAA_COLUMNS = {
    "MMSI": "mmsi",
    "BaseDateTime": "timestamp",
    "LAT": "lat",
    "LON": "lon",
    "SOG": "speed_knots",
    "COG": "course",
    "Heading": "heading",
    "VesselName": "shipname",
    "CallSign": "callsign",
    "IMO": "imo",
    "VesselType": "shiptype",
}
GFW_MARKERS = {"msg_type", "seg_id", "distance_from_shore_m", "nnet_score", "msgid"}
_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*$", re.IGNORECASE)


class UnknownDialectError(ValueError):
    """The columns of an AIS file match none of the dialects this module reads."""


@dataclass
class IngestResult:
    """What one or more AIS files yielded.

    Attributes
    ----------
    positions : DataFrame
        One row per position report: ``mmsi`` (9-character str), ``timestamp`` (UTC),
        ``lat``, ``lon`` (degrees, NaN where not sent), ``speed_knots``, ``course``,
        ``heading``, the identity fields, ``nnet_score`` (NaN where absent),
        ``source`` and ``line``.
    static : DataFrame
        One row per static report (no position): ``mmsi``, ``timestamp`` and the
        identity fields ``shipname``, ``callsign``, ``imo``, ``shiptype``.
    quarantine : DataFrame
        Rows not kept, as :class:`~vessel_risk.schemas.QuarantineSchema`.
    files : list of dict
        Per file: ``source``, ``dialect``, ``rows_in``, ``positions``,
        ``static_reports``, ``quarantined``, ``naive_timestamps``.
    """

    positions: pd.DataFrame
    static: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[dict[str, object]] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Rows read from all files."""
        return int(sum(int(f["rows_in"]) for f in self.files))  # type: ignore[call-overload]


def detect_dialect(columns: list[str]) -> str:
    """Name the dialect of an AIS table from its column names.

    Parameters
    ----------
    columns : list of str

    Returns
    -------
    str
        ``"gfw"``, ``"canonical"`` or ``"noaa"``.

    Raises
    ------
    UnknownDialectError
        If the columns match no dialect; the message lists what each expects.
    """
    cols = {c.strip() for c in columns}
    if {"MMSI", "BaseDateTime", "LAT", "LON"} <= cols:
        return "noaa"
    if {"mmsi", "timestamp", "lat", "lon"} <= cols:
        return "gfw" if cols & GFW_MARKERS else "canonical"
    raise UnknownDialectError(
        "The AIS file's columns must include mmsi,timestamp,lat,lon (canonical or "
        "Global Fishing Watch) or MMSI,BaseDateTime,LAT,LON (NOAA MarineCadastre). "
        f"Got {sorted(cols)[:20]} instead."
    )


def _read_csv_strings(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int]:
    """Read a CSV with every column as text; malformed lines are kept aside.

    Returns the frame, the malformed lines (``line``, ``raw``), the 1-based line
    number of each good row, and the number of data rows read.
    """
    bad: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    # Read the header line ourselves so every column can be declared text.
    with pd.io.common.get_handle(path, "r", compression="infer") as h:  # type: ignore[attr-defined]
        first = h.handle.readline()
    names = [c.strip().strip('"') for c in first.rstrip("\r\n").split(",")]
    if not any(names):
        raise ValueError(f"The AIS file {str(path)!r} is empty: it has no header line.")
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True
        ),
    )
    frame = table.to_pandas()
    frame.columns = names
    bad_lines = np.array([n for n, _ in bad if n is not None], dtype="int64")
    total = len(frame) + len(bad)
    all_lines = np.arange(2, total + 2)
    good_lines = np.setdiff1d(all_lines, bad_lines, assume_unique=True)[: len(frame)]
    malformed = pd.DataFrame(
        {
            "line": [float(n) if n is not None else np.nan for n, _ in bad],
            "raw": [t for _, t in bad],
        }
    )
    return frame, malformed, good_lines, total


def _parse_timestamps(raw: pd.Series) -> tuple[pd.Series, int]:
    """Parse timestamps to UTC; return them (NaT where impossible) and the naive count."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").astype("datetime64[ns, UTC]"), 0
    if pd.api.types.is_datetime64_dtype(raw):
        return raw.dt.tz_localize("UTC").astype("datetime64[ns, UTC]"), int(raw.notna().sum())
    text = raw.astype("string").str.strip()
    naive = int((text.notna() & (text != "") & ~text.str.contains(_ZONE, na=False)).sum())
    cleaned = text.str.replace(r"\s*(UTC|GMT)\s*$", "", regex=True, flags=re.IGNORECASE)
    ts = pd.to_datetime(cleaned, format="ISO8601", utc=True, errors="coerce")
    retry = ts.isna() & cleaned.notna() & (cleaned != "")
    if retry.any():
        ts[retry] = pd.to_datetime(cleaned[retry], format="mixed", utc=True, errors="coerce")
    ts = ts.astype("datetime64[ns, UTC]")
    # Years outside AIS's lifetime are typos, not data.
    ts = ts.where((ts.dt.year >= 1990) & (ts.dt.year <= 2100))
    return ts, naive


def _standardize(frame: pd.DataFrame, dialect: str) -> pd.DataFrame:
    if dialect == "noaa":
        frame = frame.rename(columns=NOAA_COLUMNS)
    keep = CANONICAL + IDENTITY_FIELDS + OPTIONAL_NUMERIC + ["msg_type"]
    return frame[[c for c in keep if c in frame.columns]].copy()


def raw_text(frame: pd.DataFrame) -> pd.Series:
    """The fields of each row joined by commas, as a stand-in for its raw line.

    Parameters
    ----------
    frame : DataFrame of shape (n, k)

    Returns
    -------
    Series of shape (n,), dtype string
    """
    text = frame.astype("string").fillna("")
    if text.shape[1] == 0:
        return pd.Series("", index=frame.index, dtype="string")
    first, rest = text.iloc[:, 0], [text.iloc[:, i] for i in range(1, text.shape[1])]
    return first.str.cat(rest, sep=",").astype("string")  # type: ignore[arg-type]


def read_ais(path: str | Path) -> IngestResult:
    """Read one AIS file (parquet, CSV or gzipped CSV) of any supported dialect.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    IngestResult

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    UnknownDialectError
        If the columns match no supported dialect.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The AIS file {str(path)!r} does not exist.")
    source = path.name
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        malformed = pd.DataFrame({"line": pd.Series(dtype=float), "raw": pd.Series(dtype=str)})
        lines = np.arange(1, len(frame) + 1)
        total = len(frame)
    else:
        try:
            frame, malformed, lines, total = _read_csv_strings(path)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise ValueError(f"The AIS file {str(path)!r} is not a readable CSV: {exc}") from exc
    dialect = detect_dialect(list(frame.columns))
    frame = _standardize(frame, dialect)
    frame.index = pd.RangeIndex(len(frame))
    frame["line"] = lines.astype("float64")
    return _parse(frame, source=source, dialect=dialect, malformed=malformed, rows_in=total)


def _parse(
    frame: pd.DataFrame, *, source: str, dialect: str, malformed: pd.DataFrame, rows_in: int
) -> IngestResult:
    quarantine = [malformed.assign(source=source, mmsi=None, reason="malformed_line")]
    mmsi, why = normalize_mmsi(frame["mmsi"])
    ts, naive = _parse_timestamps(frame["timestamp"])
    reason = why.copy()
    reason[(reason.isna() & ts.isna()).to_numpy()] = "invalid_timestamp"
    numeric = {}
    for col in NUMERIC + OPTIONAL_NUMERIC:
        if col not in frame.columns:
            numeric[col] = pd.Series(np.nan, index=frame.index)
            continue
        raw = frame[col]
        num = pd.to_numeric(raw, errors="coerce").astype("float64")
        if not pd.api.types.is_numeric_dtype(raw):
            text = raw.astype("string").str.strip()
            junk = text.notna() & (text != "") & num.isna()
            reason[(reason.isna() & junk).to_numpy()] = f"non_numeric_{col}"
        numeric[col] = num
    no_position = numeric["lat"].isna() & numeric["lon"].isna()
    ident = {}
    for col in IDENTITY_FIELDS:
        if col in frame.columns:
            v = frame[col].astype("string").str.strip()
            ident[col] = v.where(v != "")
        else:
            ident[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
    has_identity = pd.concat(ident, axis=1).notna().any(axis=1)
    reason[(reason.isna() & no_position & ~has_identity).to_numpy()] = "no_position_no_identity"

    bad = reason.notna()
    if bad.any():
        q = frame.loc[bad]
        quarantine.append(
            pd.DataFrame(
                {
                    "source": source,
                    "line": q["line"],
                    "mmsi": frame.loc[bad, "mmsi"].astype("string"),
                    "reason": reason[bad],
                    "raw": raw_text(q.drop(columns=["line"])),
                }
            )
        )
    good = ~bad
    typed = pd.DataFrame({"mmsi": mmsi, "timestamp": ts, **numeric, **ident, "line": frame["line"]})
    typed["source"] = source
    is_static = good & no_position
    positions = typed.loc[good & ~no_position].reset_index(drop=True)
    static = typed.loc[is_static, ["mmsi", "timestamp", *IDENTITY_FIELDS]].reset_index(drop=True)
    q_all = (
        pd.concat([q for q in quarantine if len(q)], ignore_index=True)
        if any(len(q) for q in quarantine)
        else empty_frame(QuarantineSchema)
    )
    q_all = q_all.reindex(columns=["source", "line", "mmsi", "reason", "raw"])
    report: dict[str, object] = {
        "source": source,
        "dialect": dialect,
        "rows_in": int(rows_in),
        "positions": len(positions),
        "static_reports": len(static),
        "quarantined": len(q_all),
        "naive_timestamps": naive,
    }
    return IngestResult(positions, static, q_all, [report])


def read_many(paths: list[str | Path]) -> IngestResult:
    """Read several AIS files and stack what they yield.

    Parameters
    ----------
    paths : list of str or Path

    Returns
    -------
    IngestResult
        Positions, static reports and quarantine of all files, with per-file counts.
    """
    results = [read_ais(p) for p in paths]
    return IngestResult(
        positions=pd.concat([r.positions for r in results], ignore_index=True),
        static=pd.concat([r.static for r in results], ignore_index=True),
        quarantine=pd.concat([r.quarantine for r in results], ignore_index=True),
        files=[f for r in results for f in r.files],
    )
