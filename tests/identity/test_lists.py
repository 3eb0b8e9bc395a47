"""Vessel names and the IUU list's match keys (vessel_risk.identity.lists)."""

from __future__ import annotations

import pandas as pd

from vessel_risk.identity.lists import load_iuu_list, normalize_name


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
