"""The run's counts (``ingest_report.json``): summed over partitions, then reported.

Every input row is accounted for: rows in = positions kept + static reports +
quarantined (by reason). :class:`RunTally` adds up each partition's share;
:func:`run_counts` turns the tally and the run's events into the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.alerts.build import Alert
from vessel_risk.events.fishing import FishingModel
from vessel_risk.pipeline.stages import Events, PartitionWork


@dataclass
class RunTally:
    """Counts of a run summed over partitions of vessels."""

    positions_read: int = 0
    static_reports: int = 0
    positions_kept: int = 0
    undated_static: int = 0
    vessels: int = 0
    several_tracks: int = 0
    tracks: int = 0
    cleaning: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)

    def add(
        self,
        positions: pd.DataFrame,
        static: pd.DataFrame,
        part: PartitionWork,
        kept: pd.DataFrame,
    ) -> None:
        """Count one partition: ``positions``, ``static`` as read; ``kept`` after cleaning."""
        self.positions_read += len(positions)
        self.static_reports += len(static)
        # Raw NMEA without a receive time: a static report that belongs to no year.
        self.undated_static += int(static["timestamp"].isna().sum())
        self.positions_kept += len(kept)
        self.vessels += int(kept["mmsi"].nunique())
        self.several_tracks += part.several_tracks
        self.tracks += part.tracks
        self.cleaning.update(part.cleaning)
        self.quarantine(part.quarantine)

    def quarantine(self, rows: pd.DataFrame) -> None:
        """Count quarantined rows by reason."""
        self.quarantined.update({str(k): int(v) for k, v in rows["reason"].value_counts().items()})


def run_counts(
    tally: RunTally,
    files: list[dict[str, Any]],
    events: Events,
    alerts: list[Alert],
    fishing_model: FishingModel | None,
    *,
    queue: pd.Series | None = None,
    one_hull: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The run's counts (``ingest_report.json``) from its parts.

    ``queue`` says which vessel-years went to the alert queue
    (:func:`~vessel_risk.pipeline.scoring.alert_queue`); ``one_hull`` holds the pairs of
    MMSIs found to be one hull, whose encounters were set aside
    (:func:`~vessel_risk.identity.identify.identify_vessels`).
    """
    features, gaps = events.features, events.gaps
    if queue is None:
        queue = pd.Series(True, index=features.index)
    classes = (
        features["vessel_class"]
        if "vessel_class" in features.columns
        else pd.Series("unknown", index=features.index)
    )
    hulls = one_hull if one_hull is not None else pd.DataFrame({"n_encounters": []})

    def tally_of(values: pd.Series) -> dict[str, int]:
        return {str(k): int(v) for k, v in values.value_counts().items()}

    return {
        "rows_in": int(sum(int(f["rows_in"]) for f in files)),
        "positions_read": tally.positions_read,
        "static_reports": tally.static_reports,
        "positions_kept": tally.positions_kept,
        "quarantined": sum(tally.quarantined.values()),
        "quarantined_by_reason": dict(tally.quarantined.most_common()),
        "cleaning": dict(tally.cleaning),
        "naive_timestamps_read_as_utc": int(sum(int(f["naive_timestamps"]) for f in files)),
        "undated_static_reports_not_in_features": tally.undated_static,
        "files": files,
        "vessels": tally.vessels,
        "vessel_years": len(features),
        "port_visits": len(events.visits),
        "voyages": len(events.voyages),
        "ais_gaps": len(gaps),
        "gaps_by_class": tally_of(gaps["gap_class"]),
        "loitering_events": len(events.loitering),
        "encounters": len(events.encounters) // 2,
        "encounters_between_transmitters_of_one_hull": int(hulls["n_encounters"].sum()),
        "vessel_years_by_class": tally_of(classes),
        "vessel_years_not_in_alert_queue_by_class": tally_of(classes[~queue]),
        "transmitters": {
            "transmitter_tracks": tally.tracks,
            "mmsis_with_several_tracks": tally.several_tracks,
            "positions_fitting_no_track": tally.quarantined.get("fits_no_transmitter_track", 0),
            "vessel_years_with_simultaneous_transmitters": int(
                features["max_simultaneous_transmitters"].gt(1).sum()
            ),
        },
        "fishing_model": fishing_model.label if fishing_model is not None else None,
        "fishing_source_vessel_years": tally_of(features["fishing_source"]),
        "alerts_by_tier": tally_of(pd.Series([a.tier for a in alerts], dtype=object)),
        "alerts_by_model_domain": model_domain_counts(alerts),
        "vessel_years_by_observed_share": observed_share_bins(features),
    }


OBSERVED_SHARE_BINS = (0.1, 0.5)
"""Edges of the coverage bins the run reports: under 10 % of the year's days observed,
10-50 %, 50 % or more."""


def observed_share_bins(features: pd.DataFrame) -> dict[str, int]:
    """Vessel-years by ``observed_share``: ``"<0.1"``, ``"0.1-0.5"``, ``">=0.5"``,
    ``"unknown"`` (every key; all unknown without the column)."""
    share = features.get("observed_share", pd.Series(np.nan, index=features.index))
    low, high = OBSERVED_SHARE_BINS
    return {
        f"<{low}": int(share.lt(low).sum()),
        f"{low}-{high}": int((share.ge(low) & share.lt(high)).sum()),
        f">={high}": int(share.ge(high).sum()),
        "unknown": int(share.isna().sum()),
    }


def model_domain_counts(alerts: list[Alert]) -> dict[str, int]:
    """Alerted vessel-years inside, outside and of unknown place in the model's domain.

    Parameters
    ----------
    alerts : list of Alert
        Their ``model_applies``: True (inside), False (outside), None (unknown: no model
        scored it, or the scorer said nothing).

    Returns
    -------
    dict with ``"inside"``, ``"outside"``, ``"unknown"`` (every key, 0 when none).
    """
    applies = [a.model_applies for a in alerts]
    return {
        "inside": sum(v is True for v in applies),
        "outside": sum(v is False for v in applies),
        "unknown": sum(v is None for v in applies),
    }


def model_domain_line(counts: dict[str, Any]) -> str:
    """The run's summary of where the model applies, one sentence.

    Parameters
    ----------
    counts : dict
        :func:`run_counts` (``alerts_by_model_domain``).

    Returns
    -------
    str
        Such as ``"Model domain: 12 of 343 vessel-years inside (3.5 %), 331 outside,
        0 unknown."``; shares are of the vessel-years whose place is known.
    """
    d = counts.get("alerts_by_model_domain") or {"inside": 0, "outside": 0, "unknown": 0}
    inside, outside, unknown = d["inside"], d["outside"], d["unknown"]
    total = inside + outside + unknown
    known = inside + outside
    if known == 0:
        return f"Model domain: unknown for all {total} vessel-years (no trained model scored them)."
    return (
        f"Model domain: {inside} of {total} vessel-years inside ({inside / known:.1%}), "
        f"{outside} outside ({outside / known:.1%}), {unknown} unknown."
    )
