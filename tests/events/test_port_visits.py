"""Port visits (vessel_risk.events.port_visits): the enter/exit hysteresis and a known
visit, with the voyages around it, on a hand-built track."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import PORT_B, SEA, make_track, run_pipeline
from vessel_risk.events.port_visits import in_port_state


def test_hysteresis_keeps_one_visit_while_between_3_and_4_km():
    mmsi = pd.Series(["1"] * 6)
    d = pd.Series([10.0, 2.9, 3.5, 3.9, 4.1, 3.5])
    # Enters at 2.9 km, stays while <= 4 km, leaves at 4.1, does not re-enter at 3.5.
    assert list(in_port_state(mmsi, d, enter_km=3.0, exit_km=4.0)) == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]


def test_known_port_visit_and_the_voyages_around_it(tmp_path, port_table):
    # 3 h at sea, 4 h at PORT B (hourly pings), 3 h at sea.
    points = [SEA] * 3 + [PORT_B] * 4 + [SEA] * 3
    result = run_pipeline(
        tmp_path, make_track("567000001", "2024-03-01T00:00:00Z", points), port_table
    )
    v = result.visits
    assert len(v) == 1
    assert v.iloc[0]["port_label"] == "PORT B" and v.iloc[0]["port_iso3"] == "MYS"
    assert v.iloc[0]["start"] == pd.Timestamp("2024-03-01T03:00Z")
    assert v.iloc[0]["end"] == pd.Timestamp("2024-03-01T06:00Z")
    assert v.iloc[0]["duration_h"] == 3.0
    voy = result.voyages
    assert len(voy) == 2
    assert voy.iloc[0]["from_port"] is pd.NA and voy.iloc[0]["to_port"] == "PORT B"
    assert voy.iloc[1]["from_port"] == "PORT B" and voy.iloc[1]["to_port"] is pd.NA
    assert list(voy["duration_h"]) == [3.0, 3.0]
    # Each voyage covers one sea-port leg of the track.
    leg = 90.2  # km, SEA to PORT B on WGS 84
    assert voy["distance_km"].to_numpy() == pytest.approx([leg, leg], abs=0.5)
    f = result.features.iloc[0]
    assert f["number_voyages"] == 2 and f["number_port_visits"] == 1
    assert f["flag_iso3"] == "THA"  # PORT B is in MYS: a foreign visit
    assert f["number_foreign_port_visits"] == 1
