"""``report.html``: what an analyst reads first after a run.

Messages in, kept and quarantined by reason; the share of vessel-years inside the
model's domain and how much of the year they were observed; a map of tracks and alert
positions; the ranked alerts with their reasons. Self-contained (the map is an embedded PNG):
it opens offline and can be sent as one file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vessel_risk.alerts.build import CAVEAT, Alert
from vessel_risk.alerts.export import alerts_frame
from vessel_risk.model.indicators import BASELINE_VERSION
from vessel_risk.pipeline.counts import model_domain_counts, model_domain_line

TIER_COLOURS = {
    "high": "#c0392b",
    "medium": "#e67e22",
    "low": "#2e86c1",
    "insufficient data": "#7f8c8d",
}
MAP_POSITIONS = 200_000
"""Positions drawn on the map at most (a random sample of them beyond that)."""
ATTRIBUTION = (
    "Distance to shore: landmetrics (GSHHG, CC BY 4.0). Default ports: searoute "
    "(UN/LOCODE, Apache-2.0). AIS and IUU list: as supplied by the user."
)


OFFLINE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The report's Content-Security-Policy (in a ``<meta>`` tag): opened from disk, it runs
no script and fetches nothing, whatever text the AIS data carry; its one image is the
embedded map."""


def _map_png(positions: pd.DataFrame, alerts: Sequence[Alert]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vessel_risk.geo.shore import ShoreDistance

    fig, ax = plt.subplots(figsize=(12, 6), dpi=90)
    lon = np.arange(-180, 180.5, 0.5)
    lat = np.arange(-85, 85.5, 0.5)
    glon, glat = np.meshgrid(lon, lat)
    land = ShoreDistance()(glat.ravel(), glon.ravel()).reshape(glat.shape)
    ax.contourf(lon, lat, land < 0, levels=[0.5, 1.5], colors=["#e8e2d0"])
    p = positions.dropna(subset=["lat", "lon"])
    if len(p) > MAP_POSITIONS:
        p = p.sample(MAP_POSITIONS, random_state=0)
    ax.scatter(p["lon"], p["lat"], s=0.3, c="#34495e", alpha=0.3, linewidths=0, label="positions")
    a = alerts_frame(list(alerts))
    if len(a):
        # Thin-data alerts first, so the high ones are drawn on top.
        for t, colour in reversed(TIER_COLOURS.items()):
            sel = a[(a["tier"] == t) & a["last_lat"].notna()]
            ax.scatter(
                sel["last_lon"],
                sel["last_lat"],
                s=22,
                c=colour,
                edgecolors="black",
                linewidths=0.4,
                label=f"alert: {t} ({len(sel)})",
            )
    ax.set_xlim(-180, 180)
    ax.set_ylim(-85, 85)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("Tracks and last known positions of alerted vessel-years")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _applies_text(value: object) -> str:
    """``model_applies`` in words: yes, no, or unknown (None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "unknown"
    return "yes" if bool(value) else "no"


def _cell(kind: str, text: str) -> str:
    """One cell as ``DataFrame.to_html(escape=True)`` writes it: ``&``, ``<`` and ``>``
    escaped (data are text, never markup), trimmed, double spaces kept."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").strip()
    return f"      <{kind}>{text.replace('  ', '&nbsp;&nbsp;')}</{kind}>"


def _table(frame: pd.DataFrame) -> str:
    """``frame.to_html(index=False, na_rep="", escape=True, border=0, classes="t")``, the
    same text (a test checks it), written without pandas' cell-by-cell writer: the cells
    are pandas' own formatted values (``DataFrameFormatter.format_col``), so numbers read
    as they did; the alerts table of a large run took seconds in ``to_html``."""
    from pandas.io.formats.format import DataFrameFormatter  # type: ignore[attr-defined]

    formatter = DataFrameFormatter(frame, na_rep="", index=False)
    with pd.option_context("display.max_colwidth", None):  # as to_html: no text cut
        values = [formatter.format_col(i) for i in range(frame.shape[1])]
    lines = ['<table class="dataframe t">', "  <thead>", '    <tr style="text-align: right;">']
    lines += [_cell("th", str(c)) for c in frame.columns]
    lines += ["    </tr>", "  </thead>", "  <tbody>"]
    for row in zip(*values, strict=True):
        lines.append("    <tr>")
        lines += [_cell("td", v) for v in row]
        lines.append("    </tr>")
    lines += ["  </tbody>", "</table>"]
    return "\n".join(lines)


def render_report(
    *,
    counts: dict[str, Any],
    alerts: Sequence[Alert],
    model_version: str,
    positions: pd.DataFrame,
) -> str:
    """The report as one HTML document.

    Parameters
    ----------
    counts : dict
        The run's counts (``ingest_report.json``).
    alerts : sequence of Alert
        Ranked alerts.
    model_version : str
        What scored them.
    positions : DataFrame
        ``lat``, ``lon`` of the positions to draw (a sample of
        :data:`MAP_POSITIONS` of them is drawn beyond that many).

    Returns
    -------
    str
    """
    c = counts
    accounting = pd.DataFrame(
        [
            ("messages in", c["rows_in"]),
            ("position reports read", c["positions_read"]),
            ("static reports (identity only)", c["static_reports"]),
            ("positions kept", c["positions_kept"]),
            ("quarantined", c["quarantined"]),
            ("naive timestamps read as UTC", c["naive_timestamps_read_as_utc"]),
            ("vessels", c["vessels"]),
            ("vessel-years", c["vessel_years"]),
            ("port visits", c["port_visits"]),
            ("voyages", c["voyages"]),
            ("AIS gaps ≥ 12 h", c["ais_gaps"]),
            ("  of which likely disabling", c["gaps_by_class"].get("likely_disabling", 0)),
            ("loitering events", c["loitering_events"]),
            ("encounters", c["encounters"]),
            (
                "  set aside: two transmitters of one hull",
                c.get("encounters_between_transmitters_of_one_hull", 0),
            ),
            ("transmitter tracks", c["transmitters"].get("transmitter_tracks", 0)),
            (
                "  MMSIs sent by several transmitters",
                c["transmitters"]["mmsis_with_several_tracks"],
            ),
        ]
        + [(f"vessel-years of class {k}", v) for k, v in c.get("vessel_years_by_class", {}).items()]
        + [
            (f"  {k}: not in the alert queue (--all-vessel-classes)", v)
            for k, v in c.get("vessel_years_not_in_alert_queue_by_class", {}).items()
        ],
        columns=["", "count"],
    )
    reasons = pd.DataFrame(
        list(c["quarantined_by_reason"].items()), columns=["reason", "rows"]
    ).sort_values("rows", ascending=False)
    per_file = pd.DataFrame(
        [
            {
                "file": f.get("source"),
                "dialect": f.get("dialect"),
                "rows in": f.get("rows_in"),
                "positions": f.get("positions"),
                "static reports": f.get("static_reports"),
                "quarantined": f.get("quarantined"),
            }
            for f in c.get("files", [])
        ]
    )
    values = pd.DataFrame(
        [
            (k, v)
            for k, v in c["cleaning"].items()
            if k.endswith("_not_available") or k == "out_of_order"
        ],
        columns=["values repaired (row kept)", "rows"],
    )
    a = alerts_frame(list(alerts))
    shown = (
        a[
            [
                "rank",
                "mmsi",
                "track_id",
                "year",
                "shipname",
                "flag_iso3",
                "flag_inferred_iso3",
                "vessel_class",
                "score",
                "score_percentile",
                "tier",
                "model_applies",
                "model_domain_reason",
                "observed_share",
                "data_note",
                "indicator_1_reason",
                "indicator_1_ilo",
                "indicator_2_reason",
                "indicator_3_reason",
            ]
        ]
        if len(a)
        else a
    )
    if len(shown):
        shown = shown.assign(model_applies=shown["model_applies"].map(_applies_text))
    tiers = ", ".join(f"{k}: {v}" for k, v in c["alerts_by_tier"].items())
    domain = model_domain_line({"alerts_by_model_domain": model_domain_counts(list(alerts))})
    coverage = ", ".join(
        f"{k}: {v}" for k, v in c.get("vessel_years_by_observed_share", {}).items()
    )
    scorer = (
        "the transparent indicator baseline"
        if model_version == BASELINE_VERSION
        else "the registry's champion model"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{OFFLINE_CSP}">
<title>vessel-risk report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table.t {{ border-collapse: collapse; font-size: 13px; }}
table.t td, table.t th {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; }}
.caveat {{ background: #fdf2e9; border-left: 4px solid #e67e22; padding: .6em 1em; }}
img.map {{ max-width: 100%; }}
</style></head><body>
<h1>vessel-risk: ranked alerts</h1>
<p class="caveat">{html.escape(CAVEAT)} Scored with <b>{html.escape(model_version)}</b>
({scorer}). "Insufficient data" means the data are too thin
to judge, never low risk.</p>
<p class="domain">{html.escape(domain)} Outside the model's domain, or where it is unknown,
a score rests on indicators and identity evidence only.</p>
<h2>Data</h2>
{_table(accounting)}
<p>Vessel-years by share of the year observed (days heard over the year's days in the
data window): {html.escape(coverage or "not counted")}.</p>
<h3>Files read</h3>
{_table(per_file) if len(per_file) else "<p>None.</p>"}
<h3>Quarantined rows by reason</h3>
{_table(reasons) if len(reasons) else "<p>None.</p>"}
<h3>Values repaired</h3>
{_table(values)}
<h2>Map</h2>
<img alt="map of tracks and alerts" class="map"
 src="data:image/png;base64,{_map_png(positions, alerts)}">
<h2>Alerts ({len(a)}; {html.escape(tiers)})</h2>
{_table(shown)}
<p><small>{html.escape(ATTRIBUTION)}</small></p>
</body></html>
"""


def write_report(
    path: Path,
    *,
    counts: dict[str, Any],
    alerts: Sequence[Alert],
    model_version: str,
    positions: pd.DataFrame,
) -> Path:
    """Write :func:`render_report` (same keyword arguments) to ``path`` and return it."""
    html_text = render_report(
        counts=counts, alerts=alerts, model_version=model_version, positions=positions
    )
    path.write_text(html_text, encoding="utf-8")
    return path
