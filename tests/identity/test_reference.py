"""Reference tables as data: shipped, validated, refreshed (vessel_risk.identity.reference)."""

from __future__ import annotations

import pandas as pd
import pytest

from vessel_risk.identity.mmsi import flag_iso3, mid_table
from vessel_risk.identity.reference import (
    REFERENCE_DIR_ENV,
    load_table,
    refresh_table,
    table_info,
    table_location,
    validate_table,
)


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch):
    """A user reference folder of the test's own, never the user's real one."""
    folder = tmp_path / "reference"
    monkeypatch.setenv(REFERENCE_DIR_ENV, str(folder))
    return folder


def test_shipped_tables_load_with_their_rows():
    assert len(load_table("mid")) == 292
    assert len(load_table("callsign-series")) == 305
    assert len(load_table("name-patterns")) == 3
    series = load_table("callsign-series").set_index("start")
    assert series.loc["BAA", ["end", "iso3"]].tolist() == ["BZZ", "CHN"]
    assert series.loc["HSA", ["end", "iso3"]].tolist() == ["HSZ", "THA"]
    assert series.loc["3DA", ["end", "iso3"]].tolist() == ["3DM", "SWZ"]
    assert table_location("mid")[0] == "package"


def test_overlapping_call_sign_series_are_refused(tmp_path, user_dir):
    bad = tmp_path / "series.csv"
    bad.write_text(
        "start,end,iso3,allocated_to\nBAA,BZZ,CHN,China\nBXA,BXZ,TWN,Taiwan\nHSA,HSZ,THA,Thailand\n"
    )
    with pytest.raises(ValueError, match=r"overlap: BAA-BZZ \(CHN\) and BXA-BXZ \(TWN\)"):
        refresh_table("callsign-series", bad)
    assert not user_dir.exists()  # nothing written


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("callsign-series", "start,end,iso3\nBAA,BZZ,CHN\n", "allocated_to"),
        ("callsign-series", "start,end,iso3,allocated_to\nBZZ,BAA,CHN,China\n", "start after end"),
        ("callsign-series", "start,end,iso3,allocated_to\nBAA,BZZ,XXX,Nowhere\n", "XXX"),
        ("mid", "mid,iso3,allocated_to\n412,CHN,China\n412,CHN,China\n", "twice"),
        ("mid", "mid,iso3,allocated_to\n150,CHN,China\n", "201-775"),
        ("name-patterns", "regex,iso3,registry,confidence,source\n^(LU,CHN,x,0.7,y\n", "regex"),
        ("name-patterns", "regex,iso3,registry,confidence,source\n^LU,CHN,x,1.5,y\n", "(0, 1]"),
    ],
)
def test_invalid_tables_are_refused_with_a_reason(name, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("]", r"\]")):
        validate_table(name, pd.read_csv(pd.io.common.StringIO(text), dtype=str))


def test_refreshed_mid_table_takes_precedence(tmp_path, user_dir):
    assert flag_iso3(pd.Series(["412000001"])).iloc[0] == "CHN"
    mid = load_table("mid").copy()
    mid.loc[mid["mid"] == "412", "iso3"] = "TWN"  # a deliberately changed row
    mid = mid[mid["mid"] != "201"]
    path = tmp_path / "mid.csv"
    mid.to_csv(path, index=False)
    result = refresh_table("mid", path)
    assert result["rows"] == 291
    assert (result["added"], result["removed"]) == (1, 2)  # 412 changed, 201 gone
    assert table_location("mid") == ("user", str(user_dir / "mid_flags.csv"))
    assert mid_table()["412"] == "TWN"
    assert flag_iso3(pd.Series(["412000001"])).iloc[0] == "TWN"
    info = table_info("mid")
    assert info["origin"] == "user" and info["rows"] == 291
    assert str(info["source"]).startswith("refreshed from ")


def test_unknown_table_name_is_refused():
    with pytest.raises(ValueError, match="Unknown reference table"):
        load_table("ports")
