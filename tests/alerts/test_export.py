"""Alerts written to CSV and GeoJSON (vessel_risk.alerts.export)."""

from __future__ import annotations

import pandas as pd

from tests.builders import make_alert
from vessel_risk.alerts.export import write_alerts_csv


def test_a_ship_name_that_is_a_formula_opens_as_text(tmp_path):
    alerts = [
        make_alert(shipname='=HYPERLINK("http://x","click")'),
        make_alert(mmsi="412000002", shipname="-80%"),
        make_alert(mmsi="412000003", shipname="LURONGYUANYU 715"),
    ]
    write_alerts_csv(alerts, tmp_path / "alerts.csv")
    back = pd.read_csv(tmp_path / "alerts.csv", dtype={"mmsi": str})
    assert back["shipname"].tolist() == [
        '\'=HYPERLINK("http://x","click")',
        "'-80%",
        "LURONGYUANYU 715",
    ]
    # Numbers stay numbers, negative or not.
    assert back["score"].dtype == "float64" and back["year"].tolist() == [2022, 2022, 2022]
