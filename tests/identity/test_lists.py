"""Vessel names and the IUU list's match keys (vessel_risk.identity.lists)."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.identity.lists import (
    country_iso3,
    load_iuu_list,
    load_vessel_list,
    normalize_imo,
    normalize_name,
)


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


def test_imo_numbers_need_seven_digits_and_a_right_check_digit():
    got = normalize_imo(pd.Series(["IMO9709087", "9709087.0", "9709088", "0", "12", None]))
    assert got.fillna("-").tolist() == ["9709087", "9709087", "-", "-", "-", "-"]


def test_list_flags_resolve_to_iso3():
    got = country_iso3(
        pd.Series(["China", "Russian Federation", "South Korea", "KOR", "Taiwan", "Unknown"])
    )
    assert got.fillna("-").tolist() == ["CHN", "RUS", "KOR", "KOR", "TWN", "-"]


def test_vessel_list_keeps_flags_of_imo_call_sign_and_names(tmp_path):
    path = tmp_path / "reefers.csv"
    path.write_text(
        "mmsi,imo,call_sign,flag_state\n"
        "636015097,9140968,A8BC7,Liberia\n"
        "273000000,7719595,UBXY,Russian Federation\n"
        "1,,,Unknown\n"
    )
    keys = load_vessel_list(path)
    got = set(zip(keys["key_type"], keys["key"], keys["flag_iso3"], strict=True))
    assert got == {
        ("imo", "9140968", "LBR"),
        ("callsign", "A8BC7", "LBR"),
        ("imo", "7719595", "RUS"),
        ("callsign", "UBXY", "RUS"),
    }


def test_vessel_list_without_flag_is_refused(tmp_path):
    path = tmp_path / "noflag.csv"
    path.write_text("vessel_name,imo\nX,9709087\n")
    with pytest.raises(ValueError, match="needs a flag column"):
        load_vessel_list(path)
