"""What kind of vessel (vessel_risk.identity.vessel_class): the order of evidence on
hand-made histories, the ship type and GFW's is_fishing_vessel as ingest keeps them, and
the classes of the real mixed-traffic snapshots and squid-jigger file."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from tests.builders import SQUID, ping, shared_file
from vessel_risk.identity.history import identity_history
from vessel_risk.identity.lists import read_carriers
from vessel_risk.identity.schemas import VesselClassSchema
from vessel_risk.identity.vessel_class import (
    SCORED_CLASSES,
    classify_vessels,
    fishing_behaviour,
    gear_name,
    is_fishing_vessel_by_mmsi,
    name_hint,
    scored,
    shiptype_code,
)
from vessel_risk.ingest import IDENTITY_FIELDS, iter_ais, read_ais
from vessel_risk.ingest.readers import _stack_parquet

NOAA = ("data", "ais", "snapshots", "noaa_marinecadastre_20230111.csv.gz")
DECODED = ("data", "ais", "snapshots", "decoded_global_20210701.csv.gz")
REEFERS = ("data", "vessels", "reefers.csv")
T0 = pd.Timestamp("2024-01-01T00:00:00Z")


def _history(*rows: tuple[str, str, str, int]) -> pd.DataFrame:
    """An identity history from (mmsi, field, value, messages) rows, the later the later."""
    return pd.DataFrame(
        {
            "mmsi": [r[0] for r in rows],
            "field": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "first_seen": T0,
            "last_seen": [T0 + pd.Timedelta(hours=i) for i in range(len(rows))],
            "messages": [r[3] for r in rows],
        }
    )


def _one(history: pd.DataFrame, **kwargs: object) -> tuple[str, str, str]:
    out = classify_vessels(history, **kwargs)  # type: ignore[arg-type]
    VesselClassSchema.validate(out)
    assert len(out) == 1
    row = out.iloc[0]
    return row["vessel_class"], row["vessel_class_source"], row["vessel_class_evidence"]


# --- The order of evidence -------------------------------------------------------------


def test_an_explicit_cargo_type_is_not_overridden_by_a_fishing_name():
    h = _history(
        ("412000001", "shiptype", "70", 4), ("412000001", "shipname", "LURONGYUANYU 715", 4)
    )
    cls, source, evidence = _one(h)
    assert (cls, source) == ("other", "ais_shiptype")
    assert evidence == (
        "AIS type 70 cargo (4 msgs); also seen: name 'LURONGYUANYU 715' suggests fishing"
    )


def test_the_carrier_list_makes_a_cargo_ship_a_carrier():
    h = _history(("273210110", "shiptype", "70", 1), ("273210110", "shipname", "PAMYAT KIROVA", 1))
    assert _one(h, carriers={"273210110"}) == (
        "carrier",
        "carrier_list",
        "on the carrier list (reefers); also seen: AIS type 70 cargo (1 msgs), "
        "name 'PAMYAT KIROVA'",
    )
    # Carriers on the list but not among the vessels are not added.
    assert classify_vessels(h, carriers={"273210110", "999999999"})["mmsi"].tolist() == [
        "273210110"
    ]


def test_gfw_is_fishing_vessel_true_beats_the_ais_type_and_gear_names():
    h = _history(("412000001", "shiptype", "80", 2), ("412000001", "shipname", "15045-2 90%", 9))
    flags = pd.Series([True], index=["412000001"], dtype="boolean")
    cls, source, evidence = _one(h, is_fishing_vessel=flags)
    assert (cls, source) == ("fishing", "gfw_is_fishing_vessel")
    assert evidence.startswith("GFW is_fishing_vessel True; also seen: AIS type 80 tanker")


def test_a_net_buoy_is_other_although_it_broadcasts_fishing():
    h = _history(("991273808", "shiptype", "30", 1), ("991273808", "shipname", "SLC738-08 98%", 1))
    assert _one(h) == (
        "other",
        "name",
        "fishing gear (net buoy): name 'SLC738-08 98%'; also seen: AIS type 30 fishing (1 msgs)",
    )
    # Class B buoys may send their battery level as the call sign.
    h = _history(("150000436", "callsign", "89%", 19))
    assert _one(h) == ("other", "name", "fishing gear (net buoy): call sign '89%'")


def test_gear_needs_most_of_the_names():
    # One buoy name among many messages of a vessel name: the vessel is not gear.
    h = _history(
        ("150400453", "shipname", "LURONGYUANYU 715", 40),
        ("150400453", "shipname", "15045-2 90%", 3),
    )
    assert _one(h)[:2] == ("fishing", "name")


def test_the_type_most_messages_carried_decides_and_the_others_are_said():
    h = _history(
        ("538000001", "shiptype", "Fishing", 5),  # a decoder's name for 30
        ("538000001", "shiptype", "70", 2),
        ("538000001", "shiptype", "0", 9),  # not available: says nothing
    )
    assert _one(h) == (
        "fishing",
        "ais_shiptype",
        "AIS type 30 fishing (5 msgs); 70 cargo (2 msgs)",
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LURONGYUYUN 88", ("carrier", "name")),
        ("ZHEPUYUBU 101", ("fishing_support", "name")),
        ("PACIFIC BUNKER", ("fishing_support", "name")),
        ("FUYUANYU9994", ("fishing", "name")),
        ("HONG YU 8", ("unknown", "none")),  # too short a prefix and number
        ("SUPPLY", ("unknown", "none")),  # offshore supply vessels carry it
    ],
)
def test_names_speak_where_no_type_or_flag_does(name, expected):
    assert _one(_history(("150000009", "shipname", name, 3)))[:2] == expected


def test_gfw_false_is_other_unless_a_name_says_more():
    flags = pd.Series([False], index=["150204593"], dtype="boolean")
    h = _history(("150204593", "shipname", "HHH", 500))
    assert _one(h, is_fishing_vessel=flags) == (
        "other",
        "gfw_is_fishing_vessel",
        "GFW is_fishing_vessel False; also seen: name 'HHH'",
    )
    h = _history(("150204593", "shipname", "LIAOCHANGYU15317", 500))
    assert _one(h, is_fishing_vessel=flags)[:2] == ("fishing", "name")


def test_behaviour_says_fishing_with_enough_positions_and_share():
    h = _history(("412000001", "shiptype", "0", 3))
    behaviour = pd.DataFrame(
        {"fishing_share": [0.3], "scored_positions": [150]}, index=["412000001"]
    )
    assert _one(h, behaviour=behaviour) == (
        "fishing",
        "behaviour",
        "fishing at 30% of 150 scored positions",
    )
    few = behaviour.assign(scored_positions=[99])
    assert _one(h, behaviour=few) == (
        "unknown",
        "none",
        "nothing decides: fishing at 30% of 99 scored positions",
    )
    little = behaviour.assign(fishing_share=[0.24])
    assert _one(h, behaviour=little)[:2] == ("unknown", "none")
    # A type 70 is not overridden by behaviour; type 90 is.
    assert _one(_history(("412000001", "shiptype", "70", 1)), behaviour=behaviour)[0] == "other"
    assert _one(_history(("412000001", "shiptype", "90", 1)), behaviour=behaviour)[:2] == (
        "fishing",
        "behaviour",
    )
    assert _one(_history(("412000001", "shiptype", "90", 1))) == (
        "other",
        "ais_shiptype",
        "AIS type 90 other type (1 msgs)",
    )


def test_vessels_nothing_speaks_for_are_unknown():
    h = _history(("412000001", "shiptype", "70", 1))
    out = classify_vessels(h, mmsis=["412000001", "412000002"])
    assert out["vessel_class"].tolist() == ["other", "unknown"]
    assert out["vessel_class_evidence"].iloc[1] == (
        "nothing decides: no ship type, GFW flag, name or scored position"
    )
    empty = classify_vessels(h.iloc[:0])
    assert empty.columns.tolist() == [
        "mmsi",
        "vessel_class",
        "vessel_class_source",
        "vessel_class_evidence",
    ]
    assert empty.empty


def test_scored_classes():
    classes = pd.Series(["fishing", "carrier", "fishing_support", "other", "unknown", None])
    assert scored(classes).tolist() == [True, True, True, False, True, True]
    assert SCORED_CLASSES == {"fishing", "carrier", "fishing_support", "unknown"}
    with pytest.raises(ValueError, match="Got \\['cargo'\\] instead"):
        scored(pd.Series(["fishing", "cargo"]))


def test_helpers():
    assert [shiptype_code(v) for v in ["30", "30.0", "030", "Fishing", "cargo", "Reserved"]] == [
        "30",
        "30",
        "30",
        "30",
        "70",
        "Reserved",
    ]
    names = pd.Series(
        ["15045-2 90%", "MINHUIYU0150501--8V0", "ZHEXIANGYU82008-17", "LURONGYUANYU 715", None]
    )
    assert gear_name(names).tolist() == [True, True, True, False, False]
    assert name_hint(names).tolist()[3] == "fishing"
    positions = pd.DataFrame(
        {
            "mmsi": ["1", "1", "1", "1", "2"],
            "fishing_score": [0.9, 0.5, 0.2, float("nan"), float("nan")],
            "is_fishing_vessel": pd.array([True, False, None, None, None], dtype="boolean"),
        }
    )
    b = fishing_behaviour(positions)
    assert b.loc["1"].tolist() == [pytest.approx(1 / 3), 3]  # 0.5 is not above 0.5
    assert pd.isna(b.loc["2", "fishing_share"]) and b.loc["2", "scored_positions"] == 0
    assert is_fishing_vessel_by_mmsi(positions).to_dict() == {"1": True}  # a tie is True


# --- Ingest keeps the evidence ---------------------------------------------------------


def test_ingest_reads_ship_type_names_as_codes_and_keeps_is_fishing_vessel(tmp_path):
    rows = [
        ping(
            "412000001",
            "2024-01-01T00:00:00Z",
            1.0,
            2.0,
            shiptype="Fishing",
            is_fishing_vessel="True",
        ),
        ping(
            "412000002",
            "2024-01-01T00:00:00Z",
            1.0,
            2.0,
            shiptype="70.0",
            is_fishing_vessel="false",
        ),
        ping(
            "412000003", "2024-01-01T00:00:00Z", 1.0, 2.0, shiptype="Reserved", is_fishing_vessel=""
        ),
        ping(
            "412000004", "2024-01-01T00:00:00Z", 1.0, 2.0, shiptype="30", is_fishing_vessel="maybe"
        ),
    ]
    path = tmp_path / "canonical.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    r = read_ais(path)
    p = r.positions.set_index("mmsi")
    assert p["shiptype"].tolist() == ["30", "70", "Reserved"]
    assert p["is_fishing_vessel"].tolist() == [True, False, pd.NA]
    assert str(p["is_fishing_vessel"].dtype) == "boolean"
    assert r.quarantine[["mmsi", "reason"]].values.tolist() == [
        ["412000004", "non_boolean_is_fishing_vessel"]
    ]
    assert r.balanced
    # The same rows as Parquet, with a true boolean column, give the same values.
    frame = pd.DataFrame(rows[:3]).assign(is_fishing_vessel=[True, False, None])
    frame.to_parquet(tmp_path / "canonical.parquet")
    q = read_ais(tmp_path / "canonical.parquet").positions
    assert q["shiptype"].tolist() == ["30", "70", "Reserved"]
    assert q["is_fishing_vessel"].tolist() == [True, False, pd.NA]


def test_ingest_keeps_gfw_is_fishing_vessel_of_the_squid_file_in_every_chunking():
    path = shared_file(*SQUID)
    whole = read_ais(path).positions
    counts = whole["is_fishing_vessel"].value_counts(dropna=False)
    assert counts.to_dict() == {True: 59754, pd.NA: 36751, False: 4}
    assert whole["shiptype"].value_counts().to_dict() == {"30": 3}  # "Fishing" as sent
    parts = list(iter_ais(path, chunk_rows=40_000))
    assert len(parts) == 3
    stacked = _stack_parquet(parts[:2], iter(parts[2:]), capacity=111_384).positions
    pd.testing.assert_series_equal(stacked["is_fishing_vessel"], whole["is_fishing_vessel"])


# --- Real data -------------------------------------------------------------------------


@cache
def _classified(parts: tuple[str, ...], with_carriers: bool = True) -> pd.DataFrame:
    """The classes of one real file, as the pipeline gets them (GFW's nnet_score as the
    fishing score), with the MMSIs' first name and type for the checks."""
    r = read_ais(shared_file(*parts))
    cols = ["mmsi", "timestamp", *IDENTITY_FIELDS]
    both = pd.concat([r.positions[cols], r.static[cols]], ignore_index=True)
    history = identity_history(both)
    carriers = read_carriers(shared_file(*REEFERS)) if with_carriers else frozenset()
    out = classify_vessels(
        history,
        mmsis=both["mmsi"].unique(),
        is_fishing_vessel=is_fishing_vessel_by_mmsi(r.positions),
        carriers=carriers,
        behaviour=fishing_behaviour(r.positions.assign(fishing_score=r.positions["nnet_score"])),
    )
    VesselClassSchema.validate(out)
    return out.set_index("mmsi")


def _counts(classes: pd.DataFrame) -> dict[tuple[str, str], int]:
    return classes.groupby(["vessel_class", "vessel_class_source"]).size().to_dict()


def test_noaa_snapshot_cargo_tankers_and_ferries_are_other_and_type_30_is_fishing():
    raw = pd.read_csv(shared_file(*NOAA), dtype={"MMSI": str})
    raw["MMSI"] = raw["MMSI"].str.zfill(9)
    vessel_type = raw.groupby("MMSI")["VesselType"].first()
    classes = _classified(NOAA)
    assert len(classes) == len(vessel_type) == 1000
    big = vessel_type[vessel_type.between(60, 89)].index
    assert len(big) == 217
    assert (classes.loc[big, "vessel_class"] == "other").all()
    fishing = vessel_type[vessel_type == 30].index
    assert len(fishing) == 38
    assert (classes.loc[fishing, "vessel_class"] == "fishing").all()
    assert (classes["vessel_class"] == "fishing").sum() == 38
    assert _counts(classes) == {
        ("fishing", "ais_shiptype"): 38,
        ("other", "ais_shiptype"): 943,
        ("other", "mmsi_form"): 1,  # a coast station's MMSI (00...)
        ("unknown", "none"): 18,  # type 0 or none, 3 and 39 (reserved)
    }


def test_decoded_global_snapshot_classes():
    classes = _classified(DECODED)
    assert _counts(classes) == {
        ("carrier", "carrier_list"): 16,
        ("fishing", "ais_shiptype"): 20,
        ("fishing", "name"): 2,
        ("other", "ais_shiptype"): 27,
        ("other", "mmsi_form"): 18,  # aids to navigation, coast stations, SAR aircraft
        ("other", "name"): 38,  # net buoys
        ("unknown", "none"): 2181,  # most MMSIs sent positions only that day
    }
    evidence = classes["vessel_class_evidence"]
    typed = evidence.str.extract(r"AIS type (\d+)", expand=False).dropna().astype(int)
    big = typed[typed.between(60, 89)].index
    assert len(big) == 21
    # Types 60-89: other, or a carrier (reefer) on GFW's list.
    assert classes.loc[big, "vessel_class"].value_counts().to_dict() == {"other": 20, "carrier": 1}
    plain = _classified(DECODED, with_carriers=False)
    assert (plain.loc[big, "vessel_class"] == "other").all()
    # Type 30: fishing, but for three net buoys and an aid-to-navigation MMSI sending it.
    thirty = typed[typed == 30].index
    assert classes.loc[thirty, "vessel_class"].value_counts().to_dict() == {
        "fishing": 20,
        "other": 4,
    }
    assert classes.loc["991273808", "vessel_class_evidence"].startswith(
        "fishing gear (net buoy): name 'SLC738-08 98%'"
    )
    assert classes.loc["412333794"].tolist() == [
        "fishing",
        "name",
        "name 'LURONGYUANYU658' suggests fishing",
    ]


def test_squid_jigger_classes():
    classes = _classified(SQUID)
    assert len(classes) == 271  # the MMSIs of the rows ingest keeps
    assert _counts(classes) == {
        ("fishing", "gfw_is_fishing_vessel"): 21,
        ("fishing", "name"): 23,
        ("other", "gfw_is_fishing_vessel"): 4,
        ("other", "mmsi_form"): 1,  # 000015006 '^_^'
        ("other", "name"): 102,  # net buoys
        ("unknown", "none"): 120,
    }
    assert classes.loc["150402951", "vessel_class_evidence"] == (
        "GFW is_fishing_vessel True; also seen: name 'LURONGYUANYU278' suggests fishing, "
        "fishing at 50% of 23646 scored positions"
    )
    assert classes.loc["150400453", "vessel_class_source"] == "gfw_is_fishing_vessel"
    gear = {
        "015000011": "name 'NET11-MINXIAYU01500'",
        "015045002": "name '15045-2 90%'",
        "150860059": "name 'BINHAIYU15086-59_7.9'",
        "150045104": "name 'BIAO 00451-457%'",
    }
    for mmsi, example in gear.items():
        assert classes.loc[mmsi, "vessel_class_evidence"].startswith(
            f"fishing gear (net buoy): {example}"
        )
    assert classes.loc["150400476", "vessel_class"] == "fishing"  # LURONGYUANYU 715
    assert classes.loc["150000002", "vessel_class"] == "unknown"  # "ABCDEF"


def test_mmsis_that_are_no_ship_station_are_other():
    from vessel_risk.identity.vessel_class import classify_vessels

    empty = pd.DataFrame(columns=["mmsi", "field", "value", "last_seen", "messages"])
    out = classify_vessels(empty, mmsis=["992351234", "003669999", "111232506", "150400453"])
    got = out.set_index("mmsi")
    assert got["vessel_class"].to_dict() == {
        "003669999": "other",
        "111232506": "other",
        "150400453": "unknown",
        "992351234": "other",
    }
    assert got.loc["992351234", "vessel_class_source"] == "mmsi_form"
    assert got.loc["992351234", "vessel_class_evidence"].startswith("MMSI 99...: aid to navigation")
