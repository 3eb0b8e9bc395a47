"""Alerts built from scores carry the track, identity, class and flags of their vessel-year,
in the exports too, and say the vessel and flag the same way everywhere."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from vessel_risk.alerts.build import build_alerts
from vessel_risk.alerts.display import flag_label, vessel_label
from vessel_risk.alerts.export import alerts_frame, alerts_geojson
from vessel_risk.model import indicators as ind


def _features() -> pd.DataFrame:
    """Two tracks of 150400453 in 2022 (no valid MID) and one declared-flag vessel."""
    t = pd.Timestamp("2022-01-03", tz="UTC")
    return pd.DataFrame(
        {
            "mmsi": ["150400453", "150400453", "412000001"],
            "track_id": [0, 1, 0],
            "year": [2022, 2022, 2022],
            "vessel_id": ["v-0001", "v-0002", None],
            "vessel_class": ["fishing", "fishing", "carrier"],
            "shipname": ["LURONGYUANYU 715", "LURONGYUANYU 715", "HAI YANG 7"],
            "flag_iso3": [None, None, "CHN"],
            "flag_inferred_iso3": ["CHN", None, None],
            "flag_inferred_source": [
                "name_pattern:china_provincial",
                "none: no IMO, call sign or name matched",
                "none: declared flag",
            ],
            "flag_inferred_confidence": [0.8, np.nan, np.nan],
            "mmsi_valid": [False, False, True],
            "iuu_listed": [False, False, False],
            "position_messages": [5000, 4000, 3000],
            "days_observed": [200, 150, 100],
            "first_timestamp": [t, t, t],
            "last_timestamp": [t + pd.Timedelta(days=300)] * 3,
            "last_lat": [-45.0, -44.0, -43.0],
            "last_lon": [-60.0, -61.0, -62.0],
        }
    )


def _alerts():
    f = _features()
    scores = pd.Series([0.9, 0.7, 0.5])
    contrib = pd.DataFrame({i.name: [0.0, 0.0, 0.0] for i in ind.INDICATORS})
    return build_alerts(f, scores, contrib, model_version="test-1")


def test_alerts_copy_track_identity_class_and_inferred_flag_from_the_features():
    a = _alerts()
    assert [(x.mmsi, x.track_id, x.rank) for x in a] == [
        ("150400453", 0, 1),
        ("150400453", 1, 2),
        ("412000001", 0, 3),
    ]
    assert [x.vessel_id for x in a] == ["v-0001", "v-0002", None]
    assert [x.vessel_class for x in a] == ["fishing", "fishing", "carrier"]
    assert [x.flag_inferred_iso3 for x in a] == ["CHN", None, None]
    assert [x.flag_inferred_confidence for x in a] == [0.8, None, None]
    assert [x.vessel_label for x in a] == ["150400453", "150400453 track 1", "412000001"]
    assert [x.flag_label for x in a] == [
        "CHN (inferred from name_pattern:china_provincial, confidence 0.80)",
        "flag unknown: no IMO, call sign or name matched",
        "CHN",
    ]


def test_features_without_the_new_columns_give_track_0_and_no_inferred_flag():
    f = _features().drop(
        columns=["track_id", "vessel_id", "vessel_class", "flag_inferred_iso3"]
        + ["flag_inferred_source", "flag_inferred_confidence"]
    )
    contrib = pd.DataFrame({i.name: [0.0, 0.0, 0.0] for i in ind.INDICATORS})
    a = build_alerts(f, pd.Series([0.9, 0.7, 0.5]), contrib, model_version="t")
    assert [x.track_id for x in a] == [0, 0, 0]
    assert [x.flag_label for x in a][:2] == [
        "flag unknown: no valid MID and nothing to infer a flag from"
    ] * 2


def test_exports_carry_the_new_fields():
    a = _alerts()
    frame = alerts_frame(a)
    cols = list(frame.columns)
    assert cols[:4] == ["rank", "mmsi", "track_id", "year"]
    assert frame["track_id"].tolist() == [0, 1, 0]
    assert frame["flag_inferred_source"].tolist()[0] == "name_pattern:china_provincial"
    assert frame["flag_inferred_confidence"].tolist()[0] == 0.8
    props = json.loads(json.dumps(alerts_geojson(a)))["features"][1]["properties"]
    assert (props["track_id"], props["vessel_id"], props["vessel_class"]) == (
        1,
        "v-0002",
        "fishing",
    )
    assert props["flag_inferred_iso3"] is None


def test_labels():
    assert vessel_label("150400453", 2) == "150400453 track 2"
    assert flag_label("KOR", "CHN", "imo_list", 0.99) == "KOR"  # the declared flag wins
    assert flag_label(None, "PAN", "itu_callsign_series", None) == (
        "PAN (inferred from itu_callsign_series)"
    )
