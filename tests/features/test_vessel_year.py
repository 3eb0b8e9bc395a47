"""Vessel-year features on small hand-built inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import PORT_B, SEA, make_track, run_pipeline
from vessel_risk.identity.lists import load_iuu_list


def test_daily_fishing_hours_split_across_midnight_stay_within_24(tmp_path, port_table):
    # Fishing every hour from 00:00 to 23:00, then one more message 11 h later.
    rows = make_track("567000010", "2024-03-01T00:00:00Z", [SEA] * 24)
    rows.append({**rows[-1], "timestamp": "2024-03-02T10:00:00+00:00"})
    for r in rows:
        r["nnet_score"] = 0.9
    f = run_pipeline(tmp_path, rows, port_table).features.iloc[0]
    assert f["fishing_hours"] == 34.0  # 23 hourly intervals + the 11 h one
    assert f["average_daily_fishing_hours"] == 17.0  # over 2 fishing days


def test_without_score_or_model_the_speed_heuristic_fills_fishing_hours(tmp_path, port_table):
    # No nnet_score, no classifier: squid-jigger range [0, 5) kn beyond 5 km from shore.
    transit = make_track("567000011", "2024-03-01T00:00:00Z", [SEA] * 3, sog=5.0)
    slow = make_track("567000014", "2024-03-01T00:00:00Z", [SEA] * 3, sog=2.0)
    f = run_pipeline(tmp_path, transit + slow, port_table).features.set_index("mmsi")
    # Three messages cannot tell "never fished" from "not seen fishing": unknown.
    assert np.isnan(f.loc["567000011", "fishing_hours"])
    assert f.loc["567000014", "fishing_hours"] == 2.0  # two hourly intervals, last adds 0
    assert (f["fishing_source"] == "heuristic").all()


def test_vessel_year_features_alone_read_only_gfw_scores(tmp_path, port_table):
    # Called outside the pipeline (no fishing stage), fishing stays GFW's or unknown.
    from vessel_risk.events.enrich import enrich_positions
    from vessel_risk.features.vessel_year import vessel_year_features

    r = run_pipeline(
        tmp_path, make_track("567000011", "2024-03-01T00:00:00Z", [SEA] * 3), port_table
    )
    pos = r.positions.drop(columns=["fishing_score", "fishing_source"], errors="ignore")
    f = vessel_year_features(
        enrich_positions(pos, port_table), r.visits, r.voyages, r.gaps, pos.iloc[0:0]
    )
    assert pd.isna(f.iloc[0]["fishing_hours"]) and pd.isna(f.iloc[0]["fishing_source"])
    assert f.iloc[0]["max_simultaneous_transmitters"] == 1


def _covered(mmsi: str, start: str, middle: list[tuple[float, float]]) -> list[dict[str, object]]:
    """A track observed enough to tell an absent event (50 messages or more on 10 days or
    more): 25 six-hourly messages at sea on each side of ``middle``."""
    return make_track(mmsi, start, [SEA] * 25 + middle + [SEA] * 25, step_min=360.0)


def test_no_port_visit_with_a_known_flag_is_zero_foreign_visits(tmp_path, port_table):
    f = run_pipeline(tmp_path, _covered("567000012", "2024-03-01T00:00:00Z", []), port_table)
    row = f.features.iloc[0]
    assert (row["position_messages"], row["days_observed"]) == (50, 13)
    assert row["number_port_visits"] == 0 and row["number_foreign_port_visits"] == 0
    # Seen three times, the same vessel could have visited any port: unknown, not 0.
    g = run_pipeline(
        tmp_path, make_track("567000012", "2024-03-01T00:00:00Z", [SEA] * 3), port_table
    ).features.iloc[0]
    assert np.isnan(g["number_port_visits"]) and np.isnan(g["number_foreign_port_visits"])


def test_home_port_visit_is_not_foreign_and_unknown_flag_is_unknown(tmp_path, port_table):
    rows = _covered("533000001", "2024-03-01T00:00:00Z", [PORT_B] * 2)  # MID 533: Malaysia
    rows += _covered("150000001", "2024-03-01T00:00:00Z", [PORT_B] * 2)  # no valid MID
    f = run_pipeline(tmp_path, rows, port_table).features.set_index("mmsi")
    assert f.loc["533000001", "flag_iso3"] == "MYS"
    assert f.loc["533000001", "number_foreign_port_visits"] == 0
    assert f.loc["150000001", "number_port_visits"] == 1
    assert np.isnan(f.loc["150000001", "number_foreign_port_visits"])


def test_iuu_match_by_mmsi_needs_no_static_report(tmp_path, port_table):
    iuu = tmp_path / "iuu.csv"
    iuu.write_text("vessel_name,imo,mmsi\nSOME VESSEL,,417000878\n")
    rows = make_track("417000878", "2024-03-01T00:00:00Z", [SEA] * 3)
    f = run_pipeline(tmp_path, rows, port_table, iuu_keys=load_iuu_list(str(iuu))).features.iloc[0]
    assert f["iuu_listed"]
    assert f["iuu_match"] == "mmsi 417000878 (listed as SOME VESSEL; )"


def test_identity_counts_by_year_and_main_name(tmp_path, port_table):
    rows = make_track("567000013", "2024-03-01T00:00:00Z", [SEA] * 3)
    rows[0]["shipname"] = "SEA FORTUNE 7"
    rows[1]["shipname"] = "SEA FORTUNE 7"
    rows[2]["shipname"] = "OTHER NAME"
    rows[2]["callsign"] = "HSX1234"
    f = run_pipeline(tmp_path, rows, port_table).features.iloc[0]
    assert f["n_shipnames"] == 2 and f["n_callsigns"] == 1
    assert f["shipname"] == "SEA FORTUNE 7"


def test_one_row_per_vessel_year(tmp_path, port_table):
    rows = make_track("567000014", "2023-12-31T22:00:00Z", [SEA] * 4)
    f = run_pipeline(tmp_path, rows, port_table).features
    assert list(zip(f["mmsi"], f["year"], f["position_messages"], strict=True)) == [
        ("567000014", 2023, 2),
        ("567000014", 2024, 2),
    ]
    assert f["hours"].sum() == pytest.approx(3.0)


def test_non_psma_port_visits_follow_entry_into_force(tmp_path, port_table):
    from vessel_risk.geo.ports import read_psma_parties

    psma = tmp_path / "psma.csv"
    psma.write_text("iso3,Entry_into_force_date\nMYS,1/1/25\nTHA,6/5/16\n")
    parties = read_psma_parties(psma)
    assert parties.set_index("iso3").loc["THA", "in_force_from"] == pd.Timestamp(
        "2016-06-05", tz="UTC"
    )
    # PORT B, Malaysia: party only from 2025
    rows = _covered("567000020", "2024-03-01T00:00:00Z", [PORT_B, PORT_B])
    rows += _covered("567000020", "2025-03-01T00:00:00Z", [PORT_B, PORT_B])
    f = run_pipeline(tmp_path, rows, port_table, psma_parties=parties).features.set_index("year")
    assert f.loc[2024, "number_poc_port_visits"] == 1
    assert f.loc[2025, "number_poc_port_visits"] == 0
    unknown = run_pipeline(tmp_path, rows, port_table).features
    assert unknown["number_poc_port_visits"].isna().all()


def test_high_seas_fishing_hours_count_beyond_200_nm(tmp_path, port_table):
    # 5.5 N 104.0 E is 76 km from shore; 20 S 90 W (SE Pacific) is 1,228 km.
    near = make_track("567000021", "2024-03-01T00:00:00Z", [SEA] * 3)
    far = make_track("567000022", "2024-03-01T00:00:00Z", [(-20.0, -90.0)] * 3)
    rows = near + far
    for r in rows:
        r["nnet_score"] = 0.9
    f = run_pipeline(tmp_path, rows, port_table).features.set_index("mmsi")
    assert f.loc["567000021", "fishing_hours"] == 2.0
    # None seen on the high seas in three messages: unknown, not 0.
    assert np.isnan(f.loc["567000021", "fishing_hours_high_seas"])
    assert f.loc["567000022", "fishing_hours_high_seas"] == 2.0


A, B = "567000030", "567000031"


def _hand_positions() -> pd.DataFrame:
    """A's rows run across midnight on New Year's Eve and end with a row without a
    position; B mixes fishing sources."""
    a, b = A, B
    rows = [
        # mmsi, timestamp, lat, lon, shore km, port km, segment km, score, source
        (a, "2023-12-31T20:00Z", 5.0, 104.0, 50.0, 30.0, 0.0, 0.9, "nnet_score"),
        (a, "2023-12-31T23:00Z", 5.1, 104.0, 60.0, np.nan, 11.1, 0.9, "nnet_score"),
        (a, "2024-01-01T02:00Z", 5.2, 104.0, 70.0, 40.0, 11.1, 0.1, "nnet_score"),
        (a, "2024-01-01T05:00Z", np.nan, np.nan, np.nan, np.nan, 0.0, np.nan, None),
        (b, "2024-06-01T10:00Z", -20.0, -90.0, 1228.0, 900.0, 0.0, 0.7, "classifier"),
        (b, "2024-06-01T11:00Z", -20.0, -90.0, 1228.0, 900.0, 0.0, 0.2, "heuristic"),
        (b, "2024-06-03T11:00Z", -20.0, -90.5, 1228.0, 900.0, 52.3, 0.2, "heuristic"),
    ]
    cols = [
        "mmsi",
        "timestamp",
        "lat",
        "lon",
        "distance_from_shore_km",
        "distance_from_port_km",
        "segment_km",
        "fishing_score",
        "fishing_source",
    ]
    pos = pd.DataFrame(rows, columns=cols).astype({"mmsi": "string", "fishing_source": "string"})
    pos["timestamp"] = pd.to_datetime(pos["timestamp"], utc=True)
    pos["in_port"] = False  # never within 3 km of a port
    return pos


def test_position_features_by_hand_across_new_year_and_vessels():
    # vessel_year_features alone, on a hand-built frame.

    from vessel_risk.events.schemas import GapSchema, PortVisitSchema, VoyageSchema
    from vessel_risk.features.vessel_year import vessel_year_features
    from vessel_risk.frames import empty_frame

    a, b = A, B
    pos = _hand_positions()
    reports = pd.DataFrame(
        {"mmsi": pd.Series(dtype="string"), "timestamp": pd.Series(dtype="datetime64[ns, UTC]")}
    ).assign(shipname=pd.Series(dtype="string"), callsign=pd.Series(dtype="string"))

    def features(thin_as_unknown: bool) -> pd.DataFrame:
        return vessel_year_features(
            pos,
            empty_frame(PortVisitSchema),
            empty_frame(VoyageSchema),
            empty_frame(GapSchema),
            reports,
            thin_as_unknown=thin_as_unknown,
        ).set_index(["mmsi", "year"])

    # The raw aggregates first (0 where nothing was seen, as GFW's table holds them).
    f = features(False)
    assert list(f.index) == [(a, 2023), (a, 2024), (b, 2024)]
    a23, a24, b24 = f.loc[(a, 2023)], f.loc[(a, 2024)], f.loc[(b, 2024)]
    # A 2023: 3 h to 23:00, 3 h to 02:00 (the next year's row still ends the interval).
    assert a23["position_messages"] == 2 and a23["hours"] == 6.0
    assert a23["fishing_hours"] == 6.0 and a23["fishing_hours_high_seas"] == 0.0
    # Fishing on 31 Dec and, by the interval ending at 02:00, on 1 Jan: 6 h / 2 days.
    assert a23["average_daily_fishing_hours"] == 3.0
    assert a23["days_observed"] == 1 and a23["positions_per_day"] == 2.0
    assert a23["max_distance_from_port_km"] == 30.0  # the NaN is skipped
    assert a23["distance_traveled_km"] == 11.1 and a23["last_lat"] == 5.1
    assert a23["fishing_source"] == "nnet_score"
    assert a23["first_timestamp"] == pd.Timestamp("2023-12-31T20:00Z")
    assert a23["last_timestamp"] == pd.Timestamp("2023-12-31T23:00Z")
    # A 2024: scored, not fishing; its last row has no position, so last_* is 02:00's.
    assert a24["hours"] == 3.0 and a24["fishing_hours"] == 0.0
    assert a24["average_daily_fishing_hours"] == 0.0
    assert (a24["last_lat"], a24["last_lon"]) == (5.2, 104.0)
    assert a24["max_distance_from_shore_km"] == 70.0
    assert a24["last_timestamp"] == pd.Timestamp("2024-01-01T05:00Z")
    # B: 1 h fishing (the 48 h interval is a gap, worth 0 h); 2 days seen of 3.
    assert b24["hours"] == 1.0 and b24["fishing_hours"] == 1.0
    assert b24["fishing_hours_high_seas"] == 1.0 and b24["average_daily_fishing_hours"] == 1.0
    assert b24["days_observed"] == 2 and b24["positions_per_day"] == 1.5
    assert b24["fishing_source"] == "heuristic"  # the least certain source of the year
    assert b24["distance_traveled_km"] == 52.3 and b24["last_lon"] == -90.5
    # Every vessel-year here is thin (< 50 messages): by default what was not seen is
    # unknown, what was seen stays. The window runs 31 Dec 2023 to 3 Jun 2024.
    g = features(True)
    assert np.isnan(g.loc[(a, 2024), "fishing_hours"])
    assert np.isnan(g.loc[(a, 2024), "average_daily_fishing_hours"])
    assert np.isnan(g.loc[(a, 2023), "fishing_hours_high_seas"])
    assert g.loc[(a, 2023), "fishing_hours"] == 6.0 and g.loc[(b, 2024), "fishing_hours"] == 1.0
    assert g.loc[(a, 2024), "hours"] == 3.0  # coverage itself is always known
    assert list(g["observed_share"]) == [1.0, 1 / 155, 2 / 155]


def test_event_features_by_hand_per_vessel_year():
    # Events of a vessel-year without positions (A in 2025) have no row to go to.
    from vessel_risk.events.schemas import PortVisitSchema
    from vessel_risk.features.vessel_year import vessel_year_features
    from vessel_risk.frames import empty_frame

    def utc(*times):
        return pd.to_datetime(list(times), utc=True)

    voyages = pd.DataFrame(
        {
            "mmsi": [A, A, A],
            "start": utc("2023-12-31T20:00Z", "2023-12-31T22:00Z", "2025-01-05T00:00Z"),
            "duration_h": [2.0, 4.0, 9.0],
        }
    )
    gaps = pd.DataFrame(
        {
            "mmsi": [A, A],
            "start": utc("2024-01-01T02:00Z", "2024-01-01T03:00Z"),
            "duration_h": [24.0, 48.0],
            "distance_km": [10.0, np.nan],
            "distance_from_shore_km": [100.0, 20.0],
            "gap_class": ["likely_disabling", "other"],
        }
    )
    loitering = pd.DataFrame({"mmsi": [B], "start": utc("2024-06-01T10:00Z"), "duration_h": [2.0]})
    reports = pd.DataFrame(
        {
            "mmsi": [A, A, A, A, B, B],
            "timestamp": utc(*["2023-12-31T20:00Z"] * 4, "2024-06-01T10:00Z", "2025-01-01T00:00Z"),
            "shipname": pd.array(["X", "X", "Y", None, "Z", "W"], dtype="string"),
            "callsign": pd.array([None, None, None, None, "C1", None], dtype="string"),
        }
    )

    def features(thin_as_unknown: bool) -> pd.DataFrame:
        return vessel_year_features(
            _hand_positions(),
            empty_frame(PortVisitSchema),
            voyages,
            gaps,
            reports,
            loitering=loitering,
            thin_as_unknown=thin_as_unknown,
        ).set_index(["mmsi", "year"])

    f = features(False)  # the raw aggregates, 0 where nothing was seen
    assert list(f.index) == [(A, 2023), (A, 2024), (B, 2024)]
    a23, a24, b24 = f.loc[(A, 2023)], f.loc[(A, 2024)], f.loc[(B, 2024)]
    assert a23["number_voyages"] == 2 and a23["average_voyage_duration_hours"] == 3.0
    assert a23["max_voyage_duration_hours"] == 4.0
    assert a24["number_voyages"] == 0 and np.isnan(a24["average_voyage_duration_hours"])
    assert (a24["gaps_12_hours_all"], a24["gaps_12_hours"]) == (2, 1)
    assert a24["gaps_12_hours_offshore"] == 1  # 100 km is beyond 50 nm, 20 km is not
    assert a24["average_gap_days"] == 1.5
    assert a24["average_gap_km"] == 10.0  # the unknown distance is skipped
    assert a24["average_off_distance_from_shore_km"] == 60.0
    # No gap seen on a well-observed vessel-year: the average is 0, as in GFW's table.
    assert a23["gaps_12_hours_all"] == 0 and a23["average_gap_km"] == 0.0
    assert (b24["number_loitering_events"], b24["average_loitering_duration_hours"]) == (1, 2.0)
    assert a23["number_loitering_events"] == 0
    assert f["number_encounters"].eq(0).all()
    assert f["average_encounter_duration_hours"].eq(0.0).all()  # none met: 0, as GFW
    assert (a23["n_shipnames"], a23["n_callsigns"]) == (2, 0)
    assert (b24["n_shipnames"], b24["n_callsigns"]) == (1, 1)
    assert a23["shipname"] == "X" and a24["shipname"] == "X"  # the most broadcast name
    assert a24["n_shipnames"] == 0  # no report in 2024
    # By default (every vessel-year here is thin): voyages unknown, whatever was seen;
    # counts unknown where none was seen, kept where some were; names as they are.
    g = features(True)
    assert g[["number_voyages", "max_voyage_duration_hours"]].isna().all().all()
    assert np.isnan(g.loc[(A, 2023), "gaps_12_hours_all"])
    assert (g.loc[(A, 2024), "gaps_12_hours_all"], g.loc[(A, 2024), "gaps_12_hours"]) == (2, 1)
    assert g["number_encounters"].isna().all()
    assert g.loc[(B, 2024), "number_loitering_events"] == 1
    assert np.isnan(g.loc[(A, 2023), "number_loitering_events"])
    assert g.loc[(A, 2024), "n_shipnames"] == 0


def test_eez_polygons_decide_high_seas_and_foreign_eez_hours():
    # With the user's EEZ polygons (positions carry eez_iso3), high seas is outside
    # every zone and a foreign EEZ is a zone of another state than the flag (567: THA).
    from vessel_risk.events.schemas import GapSchema, PortVisitSchema, VoyageSchema
    from vessel_risk.features.vessel_year import vessel_year_features
    from vessel_risk.frames import empty_frame

    pos = _hand_positions()
    pos["eez_iso3"] = pd.array(["MYS", "MYS", "THA", None, None, None, "PER"], dtype="string")
    reports = pd.DataFrame(
        {"mmsi": pd.Series(dtype="string"), "timestamp": pd.Series(dtype="datetime64[ns, UTC]")}
    ).assign(shipname=pd.Series(dtype="string"), callsign=pd.Series(dtype="string"))

    def features(positions: pd.DataFrame) -> pd.DataFrame:
        # The raw aggregates (0 where nothing was seen): these vessel-years are thin.
        return vessel_year_features(
            positions,
            empty_frame(PortVisitSchema),
            empty_frame(VoyageSchema),
            empty_frame(GapSchema),
            reports,
            thin_as_unknown=False,
        ).set_index(["mmsi", "year"])

    f = features(pos)
    # A 2023 fished 6 h in Malaysia's zone; A 2024 did not fish.
    assert f.loc[(A, 2023), "fishing_hours_foreign_eez"] == 6.0
    assert f.loc[(A, 2023), "fishing_hours_high_seas"] == 0.0
    assert f.loc[(A, 2024), "fishing_hours_foreign_eez"] == 0.0
    # B fished 1 h outside every zone (1,228 km out, so the 200 nm rule agrees here).
    assert f.loc[(B, 2024), "fishing_hours_high_seas"] == 1.0
    assert f.loc[(B, 2024), "fishing_hours_foreign_eez"] == 0.0
    # Without a flag state (a 150... MMSI), "foreign" cannot be judged.
    stateless = pos[pos["mmsi"] == B].assign(mmsi="150400999")
    g = features(stateless).loc[("150400999", 2024)]
    assert np.isnan(g["fishing_hours_foreign_eez"]) and g["fishing_hours_high_seas"] == 1.0
    # Without polygons: the 200 nm rule for high seas, foreign EEZ unknown.
    h = features(_hand_positions())
    assert h["fishing_hours_foreign_eez"].isna().all()
    assert h.loc[(B, 2024), "fishing_hours_high_seas"] == 1.0


def test_positions_inside_a_port_visit_never_count_as_fishing(tmp_path, port_table):
    # Six hours at anchor 1 km off Songkhla (inside the 3 km visit radius), then six
    # at sea, all scored as fishing by the source: only the hours at sea are fishing.
    anchored = [(7.2688 + 0.009, 100.6238)] * 6
    at_sea = [(7.35, 100.75)] * 7  # 17 km out: an hour at 9 kn
    rows = make_track("567000040", "2024-03-01T00:00:00Z", anchored + at_sea)
    for r in rows:
        r["nnet_score"] = 0.9
    f = run_pipeline(tmp_path, rows, port_table).features.iloc[0]
    assert f["number_port_visits"] == 1
    # 12 hourly intervals; the sixth anchored message's hour is still in port.
    assert f["hours"] == 12.0 and f["fishing_hours"] == 6.0


def test_positions_that_are_not_enriched_are_refused(tmp_path, port_table):
    """Without in_port the features would count fishing in port: a clear error instead."""
    from vessel_risk.events.schemas import GapSchema, PortVisitSchema, VoyageSchema
    from vessel_risk.features.vessel_year import vessel_year_features
    from vessel_risk.frames import empty_frame

    with pytest.raises(ValueError, match="enrich_positions"):
        vessel_year_features(
            _hand_positions().drop(columns="in_port"),
            empty_frame(PortVisitSchema),
            empty_frame(VoyageSchema),
            empty_frame(GapSchema),
            _hand_positions().iloc[0:0][["mmsi", "timestamp"]],
        )
