import pandas as pd

from tests.builders import shared_file
from vessel_risk.identity.history import identity_history
from vessel_risk.identity.lists import load_iuu_list, normalize_name
from vessel_risk.identity.mmsi import flag_iso3, mmsi_valid, normalize_mmsi
from vessel_risk.ingest import IDENTITY_FIELDS, read_ais


def test_integer_mmsis_get_their_leading_zeros_back():
    mmsi, reason = normalize_mmsi(pd.Series([9123456, 412000203, 15006], dtype="int64"))
    assert list(mmsi) == ["009123456", "412000203", "000015006"]
    assert reason.isna().all()


def test_unusable_mmsis_are_named_not_dropped():
    mmsi, reason = normalize_mmsi(pd.Series(["", "ABC123456", "1234567890", "567000202"]))
    assert list(reason.fillna("ok")) == [
        "missing_mmsi",
        "mmsi_not_numeric_9_digits",
        "mmsi_not_numeric_9_digits",
        "ok",
    ]
    assert mmsi.iloc[3] == "567000202"


def test_validity_and_flag_from_mid():
    s = pd.Series(["567000202", "412000203", "150400999", "000000000", "123456789", "000012345"])
    assert list(mmsi_valid(s)) == [True, True, False, False, False, False]
    assert list(flag_iso3(s).fillna("-")) == ["THA", "CHN", "-", "-", "-", "-"]


def test_names_normalise_across_spacing_and_case():
    s = pd.Series(["LU RONG YUAN YU 197", "Lurongyuanyu-197", "^_^", None])
    assert list(normalize_name(s).fillna("-")) == ["LURONGYUANYU197", "LURONGYUANYU197", "-", "-"]


def test_iuu_list_keys_cover_aliases_imo_and_mmsi(tmp_path):
    path = tmp_path / "iuu.csv"
    path.write_text(
        "vessel_name,all_names,imo,mmsi,listing_rfmos\n"
        'LU RONG YUAN YU 197,LU RONG YUAN YU 197|鲁荣远 渔 197,,,"NAFO, NPFC"\n'
        "ABDI BABA 1,ABDI BABA 1|SHARON 1,8692299,417000878.0,IOTC\n"
    )
    keys = load_iuu_list(str(path))
    got = set(zip(keys["key_type"], keys["key"], strict=True))
    assert ("name", "LURONGYUANYU197") in got
    assert ("name", "SHARON1") in got
    assert ("imo", "8692299") in got
    assert ("mmsi", "417000878") in got


def test_identity_history_of_shared_squid_jigger_mmsis():
    """GFW found one 150... MMSI with more than fifteen names; so do we."""
    r = read_ais(shared_file("data", "ais", "squid_jiggers_2020_2023.parquet"))
    cols = ["mmsi", "timestamp", *IDENTITY_FIELDS]
    history = identity_history(pd.concat([r.static[cols], r.positions[cols]]))
    names = history[history["field"] == "shipname"]
    per_mmsi = names.groupby("mmsi").size()
    assert per_mmsi["150000106"] == 25 and per_mmsi["150402944"] == 14
    first = names[names["mmsi"] == "150400453"].sort_values("first_seen").iloc[0]
    assert first["value"] == "LURONGYUANYU715"
    assert first["first_seen"] == pd.Timestamp("2020-12-20T08:49:00Z")
