"""db.engine.fit_text's NUL stripping: nested JSON values, copied only when changed."""

from __future__ import annotations

from vessel_risk.db.engine import _strip_nul


def test_strip_nul_reaches_nested_values_and_copies_only_what_changes():
    clean = {"a": [1, 2.5, {"b": "c"}], "d": None}
    assert _strip_nul(clean) == (clean, False)
    assert _strip_nul(clean)[0] is clean
    dirty = {"a": "x\x00y", "b": [1, "q\x00", {"c": "ok\x00"}], "d": 3}
    out, changed = _strip_nul(dirty)
    assert changed
    assert out == {"a": "xy", "b": [1, "q", {"c": "ok"}], "d": 3}
    assert dirty["a"] == "x\x00y"  # the input is not modified


def test_json_text_writes_json_with_nan_as_null_and_objects_as_their_str():
    import datetime as dt
    import json

    import pandas as pd

    from vessel_risk.db.engine import json_text

    when = dt.datetime(2021, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    value = {"a": float("nan"), "b": [1, 2.5, None, True], "c": when, "d": pd.NA, 3: "é"}
    text = json_text(value)
    assert text == (
        '{"a":null,"b":[1,2.5,null,true],"c":"2021-05-06 07:08:09+00:00","d":"<NA>","3":"é"}'
    )
    assert json.loads(text)["c"] == str(when)  # as the standard encoder's default=str
    # Beyond 64 bits orjson refuses; the standard encoder writes it.
    assert json.loads(json_text({"n": 2**70})) == {"n": 2**70}


def test_record_run_json_values_equal_the_standard_round_trip():
    import json

    import pandas as pd

    from vessel_risk.alerts.persistence import _json

    def standard(v: object) -> object:
        return json.loads(json.dumps(v, default=str), parse_constant=lambda _: None)

    values = [
        {"a": float("nan"), "b": float("-inf"), "c": pd.Timestamp("2020-01-01", tz="UTC")},
        {"d": pd.NA, "e": [1, 2.5, None, True], "f": "x\u00e9", "g": 2**70},
        [{"t": pd.Timestamp("2021-05-06 07:08:09.123")}],
        {"nan_and_big": float("nan"), "big": 2**70},
    ]
    for v in values:
        assert _json(v) == standard(v)
    assert _json(values[0]) == {"a": None, "b": None, "c": "2020-01-01 00:00:00+00:00"}
