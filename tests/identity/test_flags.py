"""Flag inference from IMO, call sign and name, never the MID (vessel_risk.identity.flags)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import shared_file
from vessel_risk.identity.flags import (
    NO_EVIDENCE,
    callsign_problem,
    callsign_series_iso3,
    infer_flags,
)
from vessel_risk.identity.history import identity_history
from vessel_risk.identity.lists import load_vessel_list
from vessel_risk.ingest import read_ais


def history(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """An identity history with one row per (mmsi, field, value), seen once."""
    t0 = pd.Timestamp("2021-07-01", tz="UTC")
    return pd.DataFrame(
        {
            "mmsi": [r[0] for r in rows],
            "field": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "first_seen": t0,
            "last_seen": t0,
            "messages": 1,
        }
    )


def one(frame: pd.DataFrame, mmsi: str) -> pd.Series:
    return frame.set_index("mmsi").loc[mmsi]


def test_call_sign_in_the_chinese_itu_series_infers_china():
    got = one(infer_flags(history(("150402951", "callsign", "BCLN2"))), "150402951")
    assert got["flag_inferred_iso3"] == "CHN"
    assert got["flag_inferred_source"] == "itu_callsign_series"
    assert got["flag_inferred_confidence"] == 0.75


@pytest.mark.parametrize(
    ("callsign", "iso3"),
    [
        ("HSB2345", "THA"),  # HSA-HSZ Thailand
        ("3DA5", "SWZ"),  # 3DA-3DM Eswatini
        ("3DN7", "FJI"),  # 3DN-3DZ Fiji
        ("9HA5296", "MLT"),
        ("V3PB8", "BLZ"),
        ("WDD2352", "USA"),
        ("ZM2534", "NZL"),  # digit third: ZMA and ZMZ are both New Zealand
        ("SSN12", "SDN"),  # SSN-STZ Sudan, SSA-SSM Egypt
        ("SSM12", "EGY"),
    ],
)
def test_itu_series_boundaries(callsign, iso3):
    assert callsign_series_iso3(pd.Series([callsign])).iloc[0] == iso3


def test_call_sign_split_series_with_a_digit_third_infers_nothing():
    # 3D2...: Eswatini (3DA-3DM) or Fiji (3DN-3DZ) cannot be told apart.
    assert pd.isna(callsign_series_iso3(pd.Series(["3D2AB"])).iloc[0])


def test_chinese_distant_water_name_infers_china_by_name_pattern():
    got = infer_flags(
        history(
            ("150400450", "shipname", "LU RONG YUAN YU 715"),
            ("150400451", "shipname", "FUYUANYU9994"),
            ("150000360", "shipname", "ZHESHENGYU05853/17V3"),
        )
    ).set_index("mmsi")
    assert list(got["flag_inferred_iso3"]) == ["CHN", "CHN", "CHN"]
    assert list(got["flag_inferred_source"]) == [
        "name_pattern:china_provincial_fishing",
        "name_pattern:china_distant_water_fishing",
        "name_pattern:china_distant_water_fishing",
    ]
    assert list(got["flag_inferred_confidence"]) == [0.7, 0.75, 0.75]


@pytest.mark.parametrize(
    "junk", ["0", "0000000", "88%", "15006", "O", "WB-0000", "SEAHAWK", "NONE"]
)
def test_junk_call_sign_infers_nothing_and_says_why(junk):
    got = one(infer_flags(history(("150000436", "callsign", junk))), "150000436")
    assert pd.isna(got["flag_inferred_iso3"])
    assert pd.isna(got["flag_inferred_confidence"])
    why = f"none: call sign {junk} is not a call sign; no IMO or name"
    assert got["flag_inferred_source"] == why


def test_callsign_problem_keeps_real_call_signs():
    real = ["BCLN2", "9HA5296", "UFXA", "ZM2534", "3EJD6", "C6BES", "WQIS402", "5IM412"]
    assert callsign_problem(pd.Series(real)).isna().all()
    assert callsign_problem(pd.Series(["0", "88%", "FLAMING"])).notna().all()


def test_vessel_without_identity_says_so():
    got = infer_flags(history(("412000001", "callsign", "BCLN2")), mmsis=["412000001", "150000001"])
    assert list(got["mmsi"]) == ["150000001", "412000001"]
    assert got["flag_inferred_source"].iloc[0] == NO_EVIDENCE


def test_reasons_show_the_imo_as_read_and_the_fields_missing():
    got = one(infer_flags(history(("1", "imo", "IMO9766994"), ("1", "shipname", "BOLERO"))), "1")
    assert got["flag_inferred_source"] == (
        "none: IMO 9766994 not looked up (no vessel list given); "
        "name BOLERO matches no registry pattern; no call sign"
    )


def test_reasons_name_every_field_tried():
    got = one(
        infer_flags(
            history(
                ("1", "callsign", "0"),
                ("1", "imo", "12"),
                ("1", "shipname", "HAI FA 668"),
            )
        ),
        "1",
    )
    assert got["flag_inferred_source"] == (
        "none: call sign 0 is not a call sign; IMO 12 is not an IMO number; "
        "name HAI FA 668 matches no registry pattern"
    )


def test_the_mmsi_is_never_read():
    # A Chinese MID with a Maltese call sign: the call sign decides.
    got = one(infer_flags(history(("412123456", "callsign", "9HA5296"))), "412123456")
    assert got["flag_inferred_iso3"] == "MLT"


def test_disagreement_keeps_the_strongest_and_halves_confidence():
    got = one(
        infer_flags(
            history(("150000001", "callsign", "3EXZ9"), ("150000001", "shipname", "LURONGYU2669"))
        ),
        "150000001",
    )
    assert got["flag_inferred_iso3"] == "PAN"  # 3EA-3FZ Panama beats the name
    assert got["flag_inferred_source"] == (
        "itu_callsign_series (disagrees: name_pattern:china_provincial_fishing says CHN)"
    )
    assert got["flag_inferred_confidence"] == pytest.approx(0.375)


def test_vessel_list_imo_match_is_strongest(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "vessel_name,imo,ircs,flag\nSEA GLORY,9709087,V3PB8,Panama\nUNKNOWN ONE,8692299,,Unknown\n"
    )
    lists = load_vessel_list(path)
    assert set(lists["flag_iso3"]) == {"PAN"}  # "Unknown" rows left out
    got = infer_flags(
        history(
            ("1", "imo", "IMO9709087"),
            ("1", "callsign", "V3PB8"),
            ("2", "imo", "8692299"),
        ),
        vessel_lists=lists,
    ).set_index("mmsi")
    assert got.loc["1", "flag_inferred_iso3"] == "PAN"
    assert got.loc["1", "flag_inferred_source"] == (
        "imo_list (disagrees: itu_callsign_series says BLZ)"
    )
    assert got.loc["1", "flag_inferred_confidence"] == pytest.approx(0.45)
    why = "none: IMO 8692299 is on no vessel list with a flag; no call sign or name"
    assert got.loc["2", "flag_inferred_source"] == why


def test_iuu_list_call_sign_gives_its_flag():
    lists = load_vessel_list(shared_file("data", "vessels", "combined_iuu_list_2026-04.csv"))
    row = lists[(lists["key_type"] == "callsign") & (lists["key"] == "4LPN")]
    assert len(row) == 1
    got = one(infer_flags(history(("1", "callsign", "4LPN")), vessel_lists=lists), "1")
    assert got["flag_inferred_source"].split(" ")[0] == "callsign_list"
    assert got["flag_inferred_iso3"] == row["flag_iso3"].iloc[0]


def test_identity_without_needed_columns_is_refused():
    with pytest.raises(ValueError, match="identity history"):
        infer_flags(pd.DataFrame({"mmsi": ["1"], "value": ["X"]}))


def test_squid_jiggers_150_mmsis_get_chinese_flags_from_names_and_call_signs():
    r = read_ais(shared_file("data", "ais", "squid_jiggers_2020_2023.parquet"))
    cols = ["mmsi", "timestamp", "shipname", "callsign", "imo"]
    hist = identity_history(pd.concat([r.static[cols], r.positions[cols]], ignore_index=True))
    got = infer_flags(hist)
    s150 = got[got["mmsi"].str.startswith("150")]
    flagged = s150[s150["flag_inferred_iso3"].notna()]
    assert len(s150) == 207  # of 247 150... MMSIs, those that sent a call sign, IMO or name
    assert len(flagged) == 43
    assert set(flagged["flag_inferred_iso3"]) == {"CHN"}
    kinds = flagged["flag_inferred_source"].str.split(" ").str[0].value_counts().to_dict()
    assert kinds == {
        "name_pattern:china_distant_water_fishing": 23,
        "name_pattern:china_provincial_fishing": 18,
        "itu_callsign_series": 2,
    }
    assert s150["flag_inferred_source"].str.startswith("none: ").sum() == 207 - 43


def test_placeholder_call_signs_infer_nothing():
    from vessel_risk.identity.flags import callsign_problem

    junk = pd.Series(["EMPTY", "ABCDE", "AAAAA", "NONE1", "NOCS", "XXXXX", "TEST1", "BBBB"])
    assert callsign_problem(junk).notna().all()
    real = pd.Series(["BCLN2", "HSX1234", "C6BES", "WDD2352", "UFXA"])
    assert callsign_problem(real).isna().all()
