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
