"""One vessel identity across MMSIs (vessel_risk.identity.vessels), identity events
(vessel_risk.identity.changes) and one hull with two transmitters."""

from __future__ import annotations

import pandas as pd

from tests.builders import shared_file
from vessel_risk.events.encounters import detect_encounters
from vessel_risk.identity.changes import identity_events
from vessel_risk.identity.schemas import (
    IdentityEventSchema,
    OneHullPairSchema,
    VesselIdSchema,
    VesselLinkSchema,
)
from vessel_risk.identity.vessels import (
    clean_names,
    distinctive_names,
    imo_valid,
    link_vessels,
    one_hull_pairs,
)


def _ident(rows: list[tuple[str, str, str, str, str, int]]) -> pd.DataFrame:
    """Identity history rows (mmsi, field, value, first_seen, last_seen, messages)."""
    f = pd.DataFrame(
        rows, columns=["mmsi", "field", "value", "first_seen", "last_seen", "messages"]
    )
    for c in ("first_seen", "last_seen"):
        f[c] = pd.to_datetime(f[c], utc=True)
    return f


def _vid(result, mmsi: str) -> str:
    ids = result.vessel_ids.set_index("mmsi")["vessel_id"]
    return str(ids[mmsi])


# The squid jigger LURONGYUANYU 715 under a 150... MMSI, then a new MMSI, then another
# vessel far away; the name written with and without pinyin spaces.
FLEET = [
    ("150400453", "shipname", "LU RONG YUAN YU 715", "2021-01-01", "2021-06-30", 400),
    ("412331284", "shipname", "LURONGYUANYU715", "2021-07-15", "2022-03-01", 900),
    ("412331284", "callsign", "BZZW7", "2021-07-15", "2022-03-01", 30),
    ("567000214", "shipname", "SEA FALCON 8", "2021-01-01", "2022-03-01", 50),
]


def test_clean_names_cut_ais_junk_and_join_pinyin_spacing():
    raw = pd.Series(
        [
            "LU RONG YUAN YU 715",
            "HUANBAO65@@@@@\\",
            "FUYUANYU9993  TT",
            "SHUNHANG   2",
            "XSJ205-22-73%",
            "ZHESHENGYU05853/17V3",
            "LUS=8OYUANYU277",
        ]
    )
    assert clean_names(raw).tolist() == [
        "LURONGYUANYU715",
        "HUANBAO65",
        "FUYUANYU9993",
        "SHUNHANG2",
        "XSJ20522",
        "ZHESHENGYU05853",
        pd.NA,
    ]
    assert distinctive_names(
        pd.Series(["LURONGYUANYU715", "ABCDEF", "HAIHANG3", "XSJ205-22-73%", "150241708"])
    ).tolist() == [True, False, True, False, False]


def test_pinyin_spacing_variants_link_as_an_mmsi_change():
    v = link_vessels(_ident(FLEET))
    VesselLinkSchema.validate(v.links)
    assert _vid(v, "150400453") == _vid(v, "412331284") != _vid(v, "567000214")
    ev = set(v.links["evidence"])
    assert ev == {
        "same name LURONGYUANYU715, MMSI change: 150400453 last seen 2021-06-30, "
        "412331284 first seen 2021-07-15"
    }
    assert sorted(v.links["value"]) == ["LU RONG YUAN YU 715", "LURONGYUANYU715"]
    assert len(v.vessel_ids) == 3 and v.vessel_ids["vessel_id"].str.len().eq(16).all()


def test_imo_check_digit():
    values = pd.Series(["9074729", "IMO 9074729", "9123456", "1234567", "907472", "9074729.0"])
    assert imo_valid(values).tolist() == [True, True, False, False, False, True]
    rows = [
        ("412000001", "imo", "9123456", "2021-01-01", "2021-12-31", 5),
        ("412000002", "imo", "9123456", "2021-01-01", "2021-12-31", 5),
        ("412000003", "imo", "9074729", "2020-01-01", "2020-12-31", 5),
        ("636000004", "imo", "IMO9074729", "2021-01-01", "2021-12-31", 5),
    ]
    v = link_vessels(_ident(rows))
    assert _vid(v, "412000001") != _vid(v, "412000002")
    assert _vid(v, "412000003") == _vid(v, "636000004")
    assert set(v.links["evidence"]) == {"same IMO 9074729"}


def test_call_sign_and_name_link():
    rows = [
        ("150402944", "callsign", "BCLN2", "2021-12-04", "2022-11-05", 3212),
        ("150402944", "shipname", "LURONGYUANYU277", "2021-05-15", "2022-11-05", 5636),
        ("412420574", "callsign", "BCLN2", "2022-01-01", "2022-02-01", 10),
        ("412420574", "shipname", "LU RONG YUAN YU 277", "2022-01-01", "2022-02-01", 10),
        # the same call sign with another name links nothing
        ("412420575", "callsign", "BCLN2", "2022-01-01", "2022-02-01", 10),
        ("412420575", "shipname", "HAIHANG1", "2022-01-01", "2022-02-01", 10),
    ]
    v = link_vessels(_ident(rows))
    assert _vid(v, "150402944") == _vid(v, "412420574") != _vid(v, "412420575")
    assert set(v.links["evidence"]) == {"same call sign BCLN2 and name LURONGYUANYU277"}


def _track(mmsi: str, lat0: float, lon0: float, days: float, name: str) -> pd.DataFrame:
    """A vessel drifting at 0.3 kn, a fix every 10 min."""
    n = int(days * 24 * 6)
    t = pd.date_range("2022-11-08", periods=n, freq="10min", tz="UTC")
    step = pd.Series(range(n), dtype=float)
    return pd.DataFrame(
        {
            "mmsi": mmsi,
            "timestamp": t,
            "lat": lat0 + 0.00001 * step,
            "lon": lon0,
            "speed_knots": 0.3,
            "distance_from_port_km": 300.0,
            "shipname": name,
        }
    )


def test_one_hull_7_m_apart_for_days_and_not_300_km_apart():
    # 7 m = 0.000063 deg of latitude; the third vessel is 300 km north (2.7 deg).
    a = _track("150400453", -18.0, -81.13, 3, "LURONGYUANYU 715")
    b = _track("412331284", -18.0 + 0.000063, -81.13, 3, "LURONGYUANYU715")
    c = _track("150400499", -15.3, -81.13, 3, "LURONGYUANYU715")
    pos = pd.concat([a, b, c], ignore_index=True).sort_values(["mmsi", "timestamp"])
    enc = detect_encounters(pos)
    ident = _ident(
        [
            (m, "shipname", n, "2022-11-08", "2022-11-10", 100)
            for m, n in (
                ("150400453", "LURONGYUANYU 715"),
                ("412331284", "LURONGYUANYU715"),
                ("150400499", "LURONGYUANYU715"),
            )
        ]
    )
    pairs = one_hull_pairs(enc, ident)
    assert pairs[["mmsi", "other_mmsi", "n_encounters", "shared_name"]].values.tolist() == [
        ["150400453", "412331284", 1, "LURONGYUANYU715"]
    ]
    assert round(pairs["max_median_distance_m"].iloc[0]) == 7
    assert (
        pairs["evidence"]
        .iloc[0]
        .startswith("150400453 and 412331284 both named LURONGYUANYU715, 7 m apart (1 encounters")
    )
    # Without the encounters, the name broadcast by three MMSIs at once links nothing.
    alone = link_vessels(ident)
    assert alone.vessel_ids["vessel_id"].nunique() == 3
    assert (
        alone.refused["reason"].iloc[0] == "broadcast by 150400453 and 150400499 at the same time"
    )
    # With them, the two transmitters of one hull are one vessel; the far one is not.
    v = link_vessels(ident, one_hull=pairs)
    OneHullPairSchema.validate(pairs)
    VesselIdSchema.validate(v.vessel_ids)
    VesselLinkSchema.validate(v.links)
    assert _vid(v, "150400453") == _vid(v, "412331284") != _vid(v, "150400499")
    assert set(v.links["field"]) == {"one_hull"}
    assert v.links["evidence"].str.startswith("one hull: 150400453 and 412331284").all()
    # 412331284 sent no static report: its positions give it its years.
    activity = pos.groupby("mmsi", as_index=False)["timestamp"].agg(
        first_seen="min", last_seen="max"
    )
    ev = identity_events(ident[ident["mmsi"] != "412331284"], v.vessel_ids, activity=activity)
    IdentityEventSchema.validate(ev)
    assert ev[["mmsi", "year", "identity_mmsi_changes"]].values.tolist() == [
        ["150400453", 2022, 1],
        ["150400499", 2022, 0],
        ["412331284", 2022, 1],
    ]


def test_the_same_pair_again_and_again_within_20_m_is_one_hull():
    t = pd.Timestamp("2022-11-11T02:20Z")
    enc = pd.DataFrame(
        {
            "mmsi": ["150400453"] * 3 + ["150402951"],
            "other_mmsi": ["412331284"] * 3 + ["150402944"],
            "start": [t, t + pd.Timedelta(hours=5), t + pd.Timedelta(hours=10), t],
            "end": [t + pd.Timedelta(hours=3 + 5 * i) for i in range(3)] + [t],
            "median_distance_m": [6.8, 6.6, 13.4, 22.2],
        }
    )
    pairs = one_hull_pairs(enc, _ident([]))
    assert pairs["evidence"].tolist() == [
        "150400453 and 412331284 met 3 times, always within 13 m (2022-11-11 to 2022-11-11)"
    ]


def test_vessel_id_stable_when_rows_are_shuffled_or_a_vessel_is_added():
    base = link_vessels(_ident(FLEET)).vessel_ids
    shuffled = _ident(FLEET).sample(frac=1.0, random_state=3).reset_index(drop=True)
    extra = _ident(
        [*FLEET, ("412999999", "shipname", "MINGXIANG 12", "2021-02-01", "2021-09-01", 3)]
    )
    for other in (link_vessels(shuffled).vessel_ids, link_vessels(extra).vessel_ids):
        merged = base.merge(other, on="mmsi", suffixes=("", "_other"))
        assert len(merged) == 3 and (merged["vessel_id"] == merged["vessel_id_other"]).all()
    # The key: the MMSI seen first, so a later MMSI joining keeps the id.
    import hashlib

    assert (
        _vid(link_vessels(_ident(FLEET)), "412331284")
        == hashlib.sha1(b"mmsi:150400453").hexdigest()[:16]
    )


def test_identity_events_count_renamings_reflaggings_and_mmsi_changes():
    rows = [
        *FLEET,
        ("150400453", "shipname", "SHUNHANG 3", "2021-02-01", "2021-03-01", 80),
        ("150400453", "shipname", "SHUNHAHG 3", "2021-02-10", "2021-02-10", 1),  # garbled
        ("412331284", "shipname", "FUYUANYU 715", "2022-01-10", "2022-03-01", 300),
        # the vessel moves from the Chinese to a Panamanian MMSI in 2022
        ("352000715", "shipname", "FUYUANYU715", "2022-04-01", "2022-06-01", 90),
    ]
    ident = _ident(rows)
    v = link_vessels(ident)
    assert v.vessel_ids["vessel_id"].nunique() == 2
    ev = identity_events(ident, v.vessel_ids).set_index(["mmsi", "year"])
    cols = ["identity_renamings", "identity_reflaggings", "identity_mmsi_changes"]
    assert ev.loc[("150400453", 2021), cols].tolist() == [1, 0, 1]
    assert ev.loc[("150400453", 2021), "identity_new_names"] == "SHUNHANG3"
    assert ev.loc[("412331284", 2022), cols].tolist() == [1, 1, 1]
    assert ev.loc[("412331284", 2022), "identity_new_names"] == "FUYUANYU715"
    assert ev.loc[("567000214", 2021), cols].tolist() == [0, 0, 0]
    assert len(ev) == 6  # 150400453: 2021; 412331284, 567000214: 2021-22; 352000715: 2022


def test_squid_jigger_lurongyuanyu_715_is_one_hull_with_two_transmitters():
    """GFW's exports of 150400453 and 412331284 on 2022-11-11 off Peru: one hull."""
    frames = []
    for m in ("150400453", "412331284"):
        f = pd.read_csv(shared_file("data", "ais", "squid_jiggers_raw", f"LRYY715_{m}.csv.gz"))
        frames.append(
            pd.DataFrame(
                {
                    "mmsi": f["ssvid"].astype(str),
                    "timestamp": pd.to_datetime(f["timestamp"], utc=True),
                    "lat": f["lat"],
                    "lon": f["lon"],
                    "speed_knots": f["speed"],
                    "distance_from_port_km": 500.0,  # far off Peru
                }
            )
        )
    pos = pd.concat(frames, ignore_index=True).sort_values(["mmsi", "timestamp"])
    pos = pos.drop_duplicates(["mmsi", "timestamp"]).reset_index(drop=True)
    pairs = one_hull_pairs(detect_encounters(pos), _ident([]))
    assert pairs[["mmsi", "other_mmsi"]].values.tolist() == [["150400453", "412331284"]]
    assert pairs["n_encounters"].iloc[0] >= 3
    assert pairs["max_median_distance_m"].iloc[0] < 20


def test_two_mmsis_of_one_hull_heard_side_by_side_are_no_mmsi_change():
    from vessel_risk.identity.changes import identity_events

    t = pd.Timestamp
    identity = pd.DataFrame(
        {
            "mmsi": ["150400453", "412331284", "412000777"],
            "field": ["shipname"] * 3,
            "value": ["LURONGYUANYU 715"] * 3,
            "first_seen": [
                t("2021-01-01", tz="UTC"),
                t("2021-02-01", tz="UTC"),
                t("2023-01-05", tz="UTC"),
            ],
            "last_seen": [
                t("2022-12-31", tz="UTC"),
                t("2022-12-20", tz="UTC"),
                t("2023-06-01", tz="UTC"),
            ],
            "messages": [100, 100, 50],
        }
    )
    ids = pd.DataFrame({"mmsi": identity["mmsi"], "vessel_id": "0123456789abcdef"})
    ev = identity_events(identity, ids).set_index(["mmsi", "year"])
    # 412331284 joined while 150400453 went on for 23 months: a second transmitter;
    # 412000777 started after both fell silent: an MMSI change in 2023.
    assert ev["identity_mmsi_changes"].groupby(level="year").max().to_dict() == {
        2021: 0,
        2022: 0,
        2023: 1,
    }


def test_a_transmitter_known_only_by_one_hull_does_not_break_name_links():
    # 412000003 sent no identity report: it is in the vessel's group by one hull alone,
    # so it has no time span to compare when 412000001 and 412000002 link by name.
    ident = _ident(
        [
            ("412000001", "shipname", "LURONGYUANYU715", "2021-01-01", "2021-06-30", 400),
            ("412000002", "shipname", "LURONGYUANYU715", "2021-07-15", "2021-12-31", 900),
        ]
    )
    t = pd.Timestamp("2021-08-01", tz="UTC")
    hull = pd.DataFrame(
        [["412000002", "412000003", 2, 7.0, t, t, "LURONGYUANYU715", "7 m apart"]],
        columns=["mmsi", "other_mmsi", "n_encounters", "max_median_distance_m", "first_start",
                 "last_end", "shared_name", "evidence"],
    )  # fmt: skip
    v = link_vessels(ident, one_hull=hull)
    assert _vid(v, "412000001") == _vid(v, "412000002") == _vid(v, "412000003")
    assert set(v.links["field"]) == {"one_hull", "shipname"}
