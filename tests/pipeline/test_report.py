"""``report.html`` (vessel_risk.pipeline.report): values from the data are text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tests.builders import HOSTILE_NAME, make_alert
from vessel_risk.pipeline import report


def _counts(source: str) -> dict[str, object]:
    return {
        "rows_in": 10,
        "positions_read": 9,
        "static_reports": 1,
        "positions_kept": 8,
        "quarantined": 1,
        "naive_timestamps_read_as_utc": 0,
        "vessels": 1,
        "vessel_years": 1,
        "port_visits": 2,
        "voyages": 1,
        "ais_gaps": 1,
        "gaps_by_class": {"likely_disabling": 1},
        "loitering_events": 0,
        "encounters": 0,
        "transmitters": {"transmitter_tracks": 1, "mmsis_with_several_tracks": 0},
        "quarantined_by_reason": {"<b>bad_mmsi</b>": 1},
        "files": [{"source": source, "dialect": "gfw", "rows_in": 10, "positions": 9}],
        "cleaning": {"speed_not_available": 2},
        "alerts_by_tier": {"high": 1},
    }


def test_report_escapes_a_hostile_ship_name_file_name_and_reason(monkeypatch):
    monkeypatch.setattr(report, "_map_png", lambda positions, alerts: "iVBORw0KGgo=")
    page = report.render_report(
        counts=_counts("<script>alert(3)</script>.csv"),
        alerts=[make_alert(shipname=HOSTILE_NAME)],
        model_version="indicator-baseline-1",
        positions=pd.DataFrame({"lat": [], "lon": []}),
    )
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in page
    assert "<td>&lt;script&gt;alert(3)&lt;/script&gt;.csv</td>" in page
    assert "<td>&lt;b&gt;bad_mmsi&lt;/b&gt;</td>" in page
    assert "<img src=x" not in page and "<script" not in page and "<b>bad" not in page
    # Opened from disk, the page runs no script and fetches nothing.
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">" in page
    )
    assert page.count("<img ") == 1 and 'src="data:image/png;base64,iVBORw0KGgo="' in page


def test_report_gives_the_share_in_the_models_domain_and_why_not(monkeypatch):
    monkeypatch.setattr(report, "_map_png", lambda positions, alerts: "iVBORw0KGgo=")
    outside = "observed_share 0.01 below the training minimum 0.52"
    alerts = [
        make_alert(rank=1, model_applies=True, score_percentile=100.0, observed_share=0.93),
        make_alert(
            mmsi="412000002",
            rank=2,
            model_applies=False,
            model_domain_reason=outside,
            score_percentile=50.0,
            observed_share=0.0111,
        ),
        make_alert(mmsi="412000003", rank=3, model_applies=False, model_domain_reason=outside),
        make_alert(mmsi="412000004", rank=4),  # the baseline: unknown
    ]
    counts = _counts("squid.parquet") | {
        "vessel_years_by_observed_share": {"<0.1": 340, "0.1-0.5": 9, ">=0.5": 5, "unknown": 0}
    }
    page = report.render_report(
        counts=counts,
        alerts=alerts,
        model_version="pu-lgbm-3",
        positions=pd.DataFrame({"lat": [], "lon": []}),
    )
    assert "Model domain: 1 of 4 vessel-years inside (33.3%), 2 outside (66.7%), 1 unknown." in page
    assert "&lt;0.1: 340, 0.1-0.5: 9, &gt;=0.5: 5, unknown: 0" in page
    table = _last_table(page)
    assert table["model_applies"].tolist() == ["yes", "no", "no", "unknown"]
    assert table["model_domain_reason"].tolist() == ["", outside, outside, ""]
    assert table["score_percentile"].tolist() == ["100.0", "50.0", "", ""]
    assert table["observed_share"].tolist() == ["0.9300", "0.0111", "", ""]


def _last_table(page: str) -> pd.DataFrame:
    """The page's last HTML table as text cells (the alerts)."""
    body = page.rsplit("<table", 1)[1].split("</table>", 1)[0]
    header = re.findall(r"<th>(.*?)</th>", body)
    cells = [re.findall(r"<td>(.*?)</td>", r, re.S) for r in re.split(r"<tr[^>]*>", body)]
    rows = [c for c in cells if c]
    return pd.DataFrame(rows, columns=header)


def test_tables_are_written_as_pandas_to_html_writes_them():
    frame = pd.DataFrame(
        {
            "": ["<b>x</b> & y", "  two  spaces  " + "long " * 20, None],
            "rank": [1, 20, 300],
            "score": [0.12345678, np.nan, 1.5],
            "share": [0.93, 0.0111, np.nan],
            "applies": [True, False, None],
            "when": pd.to_datetime(["2023-01-01 00:00", None, "2023-03-31 12:00"], utc=True),
            "n": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    for f in (frame, frame.iloc[:0], frame[["rank"]]):
        want = f.to_html(index=False, na_rep="", escape=True, border=0, classes="t")
        assert report._table(f) == want
