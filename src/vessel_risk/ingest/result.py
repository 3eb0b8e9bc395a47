"""What reading AIS files yields: :class:`IngestResult` and the per-file report.

Every reader (CSV, Parquet, NMEA) returns an :class:`IngestResult` per chunk or file:
positions, static reports, quarantine, and one report per file whose counts balance
(``rows_in = positions + static_reports + quarantined``). :func:`merge_reports` joins
the reports of one file's chunks into the file's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vessel_risk.ingest.quarantine import _stack_quarantine


@dataclass
class IngestResult:
    """What one or more AIS files yielded.

    Attributes
    ----------
    positions : DataFrame
        One row per position report, as
        :class:`~vessel_risk.ingest.schemas.IngestPositionSchema`: ``mmsi``
        (9-character str), ``timestamp`` (UTC; NaT only for raw NMEA without a receive
        time), ``lat``, ``lon`` (degrees, NaN where not sent), ``speed_knots``,
        ``course``, ``heading`` (as sent: "not available" codes are nulled by
        cleaning), the identity fields, ``ais_class`` ("A", "B" or NA),
        ``nnet_score`` (NaN where absent), ``line`` and ``source``.
    static : DataFrame
        One row per static report (no position), as
        :class:`~vessel_risk.ingest.schemas.StaticReportSchema`:
        ``mmsi``, ``timestamp``, ``shipname``, ``callsign``, ``imo``, ``shiptype``,
        ``destination``, ``ais_class``, ``line``, ``source``.
    quarantine : DataFrame
        Rows not kept, as :class:`~vessel_risk.ingest.schemas.QuarantineSchema`.
    files : list of dict
        Per file: ``source``, ``dialect``, ``rows_in``, ``positions``,
        ``static_reports``, ``quarantined``, ``naive_timestamps`` and, where they
        apply, ``encoding``, ``slash_dates`` and the NMEA counts.
    """

    positions: pd.DataFrame
    static: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[dict[str, object]] = field(default_factory=list)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, source: str = "frame", limits: Any = None
    ) -> IngestResult:
        """Ingest AIS already in a DataFrame (a notebook's own data), as a file would be.

        The frame goes through the same reader and row verdicts as a Parquet file
        (:func:`~vessel_risk.ingest.read_ais`, via a temporary file): any dialect ingest
        reads (GFW, NOAA, DMA, canonical columns...), GeoDataFrames as GeoParquet, bad
        rows quarantined with a reason, counts that balance.

        Parameters
        ----------
        frame : DataFrame of shape (n, k)
            AIS rows with the columns of a dialect ingest knows
            (:func:`~vessel_risk.ingest.detect_dialect`), e.g. ``mmsi``, ``timestamp``,
            ``lat``, ``lon``, ``speed_knots``, ``course``.
        source : str, default "frame"
            How positions, quarantine and the report name where the rows came from.
        limits : IngestLimits, optional
            Per-file limits; default :data:`~vessel_risk.ingest.DEFAULT_LIMITS`.

        Returns
        -------
        IngestResult

        Raises
        ------
        ValueError
            If the frame is no AIS ingest can read (no recognisable columns:
            :class:`~vessel_risk.ingest.UnknownDialectError`), or is empty.
        """
        import tempfile
        from pathlib import Path

        from vessel_risk.ingest.limits import DEFAULT_LIMITS
        from vessel_risk.ingest.readers import read_ais

        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"IngestResult.from_frame takes a DataFrame, not {type(frame)!r}.")
        if frame.empty:
            raise ValueError("IngestResult.from_frame got an empty frame: no AIS to ingest.")
        with tempfile.TemporaryDirectory(prefix="vessel-risk-frame-") as tmp:
            path = Path(tmp) / "frame.parquet"
            frame.reset_index(drop=True).to_parquet(path, index=False)
            result = read_ais(path, limits=limits or DEFAULT_LIMITS)
        names = {str(path): source, path.name: source}
        for part in (result.positions, result.static, result.quarantine):
            if "source" not in part.columns:
                continue
            column = part["source"]
            if isinstance(column.dtype, pd.CategoricalDtype):
                part["source"] = column.cat.rename_categories(
                    [names.get(str(c), c) for c in column.cat.categories]
                )
            else:
                part["source"] = column.replace(names)
        for report in result.files:
            report["source"] = names.get(str(report.get("source")), report.get("source"))
        return result

    @property
    def rows_in(self) -> int:
        """Rows read from all files."""
        return int(sum(int(f["rows_in"]) for f in self.files))  # type: ignore[call-overload]

    @property
    def balanced(self) -> bool:
        """Whether every row read is a position, a static report or quarantined."""
        return self.rows_in == len(self.positions) + len(self.static) + len(self.quarantine)


def merge_reports(parts: list[dict[str, object]]) -> dict[str, object]:
    """One file's report from the reports of its chunks (:func:`~vessel_risk.ingest.iter_ais`).

    Counts are summed, ``quarantined_by_reason`` merged; other keys (source, dialect,
    encoding, slash dates) are the file's and taken from the chunk that has them.

    Parameters
    ----------
    parts : list of dict
        The ``files[0]`` of each chunk of one file, in order.

    Returns
    -------
    dict
    """
    counts = ("rows_in", "positions", "static_reports", "quarantined", "naive_timestamps")
    out: dict[str, object] = {}
    by_reason: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            if key in counts:
                out[key] = int(out.get(key, 0)) + int(value)  # type: ignore[call-overload]
            elif key == "quarantined_by_reason":
                for reason, n in value.items():  # type: ignore[attr-defined]
                    by_reason[reason] = by_reason.get(reason, 0) + int(n)
            else:
                out.setdefault(key, value)
    out["quarantined_by_reason"] = dict(sorted(by_reason.items(), key=lambda kv: -kv[1]))
    return out


def _chunk_result(
    positions: pd.DataFrame,
    static: pd.DataFrame,
    quarantine: list[pd.DataFrame],
    source: str,
    dialect: str,
    rows_in: int,
    naive: int,
    slash: str | None,
) -> IngestResult:
    """One chunk's :class:`IngestResult` and its report (counts by reason)."""
    q_all = _stack_quarantine(quarantine)
    report: dict[str, object] = {
        "source": source,
        "dialect": dialect,
        "rows_in": rows_in,
        "positions": len(positions),
        "static_reports": len(static),
        "quarantined": len(q_all),
        "naive_timestamps": naive,
        "quarantined_by_reason": {
            str(k): int(v) for k, v in q_all["reason"].value_counts().items()
        },
    }
    if slash is not None:
        report["slash_dates"] = slash
    return IngestResult(positions, static, q_all, [report])


def _with_marker(
    result: IngestResult, line: int, raw: str, reason: str, limit: str
) -> IngestResult:
    """``result`` and one quarantined row marking where reading stopped at ``limit``.

    The row counts as read (``rows_in``) and quarantined, with ``reason``; the report
    gains ``limit_reached``.
    """
    (report,) = result.files
    source = str(report["source"])
    marker = pd.DataFrame(
        {
            "source": [source],
            "line": [float(line)],
            "mmsi": [None],
            "reason": [reason],
            "raw": [raw],
        }
    )
    quarantine = _stack_quarantine([result.quarantine, marker])
    by_reason = dict(report["quarantined_by_reason"])  # type: ignore[call-overload]
    by_reason[reason] = by_reason.get(reason, 0) + 1
    report = {
        **report,
        "rows_in": int(report["rows_in"]) + 1,  # type: ignore[call-overload]
        "quarantined": len(quarantine),
        "quarantined_by_reason": by_reason,
        "limit_reached": limit,
    }
    return IngestResult(result.positions, result.static, quarantine, [report])
