"""``report.html`` (vessel_risk.pipeline.report): values from the data are text."""

from __future__ import annotations

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
