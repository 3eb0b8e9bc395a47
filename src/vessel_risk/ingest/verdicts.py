"""Verdicts on the values of a standard row: what each field is read as, and when it
quarantines the row.

Both paths that judge rows, the pandas one for CSV (:func:`vessel_risk.ingest.csv._parse`)
and the Arrow one for Parquet (:func:`vessel_risk.ingest.parquet._parse_table`), take
their verdicts from these functions, in this order (a row keeps its first reason):

* the MMSI, as a 9-character string (:func:`~vessel_risk.identity.mmsi.normalize_mmsi`
  gives the reasons, e.g. ``mmsi_not_numeric_9_digits``);
* the timestamp (:mod:`vessel_risk.ingest.timestamps`): ``invalid_timestamp``;
* ``msg_type``: ``not_a_vessel_report`` for base stations, aids to navigation and
  binary messages (ITU-R M.1371-5 types outside
  :data:`~vessel_risk.ingest.nmea.VESSEL_REPORT_TYPES`);
* numbers (lat, lon, speed, course, heading, score): ``non_numeric_<column>`` for
  text that is not a number ("NaN", "null", "unknown" are missing values, not junk);
* true/false columns (``is_fishing_vessel``): ``non_boolean_<column>`` for text that
  is neither (:func:`_booleans`);
* a row with neither position nor identity field: ``no_position_no_identity``.

Text is stripped, with placeholders ("Unknown", "none") as NA; ``ais_class`` becomes
"A", "B" or NA; ``shiptype`` becomes the AIS ship type code as text
(:func:`_ais_shiptype`). Columns such as ``ais_class`` and ``msg_type`` hold a handful
of distinct values: each is decided once, then spread to the rows.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vessel_risk.identity.mmsi import normalize_mmsi
from vessel_risk.identity.vessel_class import shiptype_code
from vessel_risk.ingest.nmea import VESSEL_REPORT_TYPES

_CLASS = {"class a": "A", "class b": "B", "a": "A", "b": "B"}
_TRUE_FALSE = {"true": True, "t": True, "1": True, "yes": True, "false": False, "f": False}
_TRUE_FALSE |= {"0": False, "no": False}
ARROW_STRING = pd.StringDtype("pyarrow")


_PLACEHOLDER = r"(?i)^(?:nan|na|null|none|unknown|undefined)$"
"""Text that stands for a missing number (RE2, run by pyarrow): not junk."""


def _arrow_text(raw: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow strings, nulls for missing values; other objects as ``str``."""
    try:
        return pa.array(raw, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or other objects among the text
        return pa.array(raw.astype("string"), type=pa.string(), from_pandas=True)


def _placeholders(text: pa.Array) -> pa.Array:
    """Which values are :data:`_PLACEHOLDER` text (False for nulls).

    Placeholders are letters only, so the pattern runs on the values pyarrow finds
    alphabetic alone: a handful in a column of numbers.
    """
    alpha = pc.indices_nonzero(pc.fill_null(pc.utf8_is_alpha(text), False))
    found = np.zeros(len(text), dtype=bool)
    if len(alpha):
        hit = pc.match_substring_regex(pc.take(text, alpha), _PLACEHOLDER)
        found[alpha.to_numpy()[hit.to_numpy(zero_copy_only=False)]] = True
    return pa.array(found)


def _numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series | None]:
    """A column as float64, and which values are text that is not a number.

    The second is None for numeric columns (nothing in them can be junk). Text is
    stripped and placeholders ("NaN", "null", "None", "unknown") are missing values;
    when every other value is a number pyarrow casts the column, else pandas'
    ``to_numeric`` reads what it can (the rest is NaN, and junk).
    """
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype("float64"), None
    text = pc.utf8_trim_whitespace(_arrow_text(raw))
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    placeholder = _placeholders(text)
    try:
        numbers = pc.cast(pc.if_else(placeholder, pa.scalar(None, pa.string()), text), pa.float64())
        values = numbers.to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    filled = pc.fill_null(pc.not_equal(text, ""), False)  # neither null nor empty
    junk = pc.and_(filled, pc.invert(placeholder)).to_numpy(zero_copy_only=False)
    junk &= np.isnan(values)
    return (
        pd.Series(values, index=raw.index, dtype="float64"),
        pd.Series(junk, index=raw.index, dtype=bool),
    )


def _not_vessel_report(msg_type: pd.Series) -> pd.Series:
    """Whether each ``msg_type`` names a message that is not a vessel report.

    "AIS.21", "21": base stations, aids to navigation and binary messages are not
    vessel reports (as in raw NMEA, see :mod:`vessel_risk.ingest.nmea`). A handful of distinct
    values: each is decided once, then mapped.
    """
    text = _arrow_text(msg_type)
    others = []
    for value in pc.unique(text).to_pylist():
        m = re.search(r"(\d+)\s*$", str(value)) if value is not None else None
        if m is not None and int(m.group(1)) not in VESSEL_REPORT_TYPES:
            others.append(value)
    found = pc.is_in(text, value_set=pa.array(others, type=pa.string()))
    return pd.Series(
        np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool), index=msg_type.index
    )


def _clean_text(raw: pd.Series) -> pd.Series:
    """Text stripped, with empty and placeholder values ("Unknown", "none") as NA."""
    v = pc.utf8_trim_whitespace(_arrow_text(raw))
    placeholder = pc.match_substring_regex(v, r"(?i)^(?:unknown|undefined|none)$")
    drop = pc.fill_null(pc.or_(pc.equal(v, ""), placeholder), True)
    return _strings(pc.if_else(drop, pa.scalar(None, pa.string()), v), raw.index)


def _ais_class(text: pd.Series) -> pd.Series:
    """Cleaned ``ais_class`` text ("Class A", "b") as "A", "B" or NA."""
    return _map_few(text.str.lower(), _CLASS)


def _ais_shiptype(text: pd.Series) -> pd.Series:
    """Cleaned ``shiptype`` text as the AIS ship type code, as text.

    Numbers ("30", "30.0", "030") become the integer's text ("30"); category names
    ("Fishing", "Cargo") their code
    (:data:`~vessel_risk.identity.vessel_class.SHIPTYPE_NAMES`); anything else stays as
    sent, for the identity history
    (:func:`~vessel_risk.identity.vessel_class.shiptype_code`). Each distinct value is
    decided once.
    """
    if text.isna().all():
        return text.astype("string")
    codes, uniques = pd.factorize(text)
    mapped = pa.array([shiptype_code(str(u)) for u in uniques] + [None], type=pa.string())
    codes = np.where(codes < 0, len(uniques), codes)
    return _strings(mapped.take(pa.array(codes, type=pa.int64())), text.index)


def _booleans(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A true/false column (``is_fishing_vessel``) as nullable booleans, and its junk.

    "True"/"False" (any case), "t"/"f", "1"/"0", "yes"/"no" and booleans are read;
    empty text and placeholders ("NaN", "null", "unknown") are NA; other text is junk
    (the second Series, True where the row is to be quarantined).
    """
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean"), pd.Series(False, index=raw.index)
    text = raw.astype("string").str.strip().str.lower()
    codes, uniques = pd.factorize(text)
    seen = [_TRUE_FALSE.get(str(u)) for u in uniques]
    value = pd.array([*seen, None], dtype="boolean")[np.where(codes < 0, len(uniques), codes)]
    missing = {"", "nan", "na", "null", "none", "unknown", "undefined"}
    bad = np.array(
        [v is None and str(u) not in missing for u, v in zip(uniques, seen, strict=True)],
        dtype=bool,
    )
    junk = np.append(bad, False)[np.where(codes < 0, len(uniques), codes)]
    return pd.Series(value, index=raw.index), pd.Series(junk, index=raw.index)


def _map_few(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values.map(mapping)`` as strings, deciding each distinct value once.

    ``Series.map`` with a dict builds an index lookup over every row, which costs about
    a second per million rows; columns such as ``ais_class`` hold a handful of values.
    """
    if values.isna().all():
        return _strings(pa.nulls(len(values), pa.string()), values.index)
    codes, uniques = pd.factorize(values)
    mapped = pa.array([mapping.get(str(u)) for u in uniques] + [None], type=pa.string())
    codes = np.where(codes < 0, len(uniques), codes)  # NA takes the trailing None
    return _strings(mapped.take(pa.array(codes, type=pa.int64())), values.index)


def _strings(arr: pa.Array, index: pd.Index) -> pd.Series:
    """A pyarrow string array as a ``string`` Series without a pass through Python objects."""
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index).astype("string")


def _normalize_mmsi(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`~vessel_risk.identity.mmsi.normalize_mmsi`, with a fast path for integer columns.

    Integers (Parquet files typed by pyarrow) are valid MMSIs in 0..999,999,999 and are
    zero-padded to 9 characters by pyarrow; anything else takes the general path.
    """
    if not pd.api.types.is_integer_dtype(values) or values.isna().any():
        if pd.api.types.is_float_dtype(values) or pd.api.types.is_bool_dtype(values):
            return normalize_mmsi(values)
        return _text_mmsi(values)
    v = values.to_numpy(dtype="int64")
    ok = (v >= 0) & (v <= 999_999_999)
    text = pc.utf8_lpad(pc.cast(pa.array(v), pa.string()), width=9, padding="0")
    mmsi = _strings(text, values.index)
    if not ok.all():
        mmsi = mmsi.where(ok)
    reason = _strings(pa.nulls(len(values), pa.string()), values.index)
    if not ok.all():
        reason[~ok] = "mmsi_not_numeric_9_digits"
    return mmsi, reason


def _text_mmsi(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`~vessel_risk.identity.mmsi.normalize_mmsi` of text, in pyarrow.

    The same steps (strip, a trailing ".0" dropped, 1 to 9 digits zero-padded to 9) and
    the same RE2 patterns pandas runs; text with a non-ASCII character takes the pandas
    path, whose ``\\d`` there is Python's (any Unicode digit).
    """
    text = pc.utf8_trim_whitespace(_arrow_text(values))
    if not pc.all(pc.fill_null(pc.string_is_ascii(text), True)).as_py():
        return normalize_mmsi(values)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    length = pc.min_max(pc.binary_length(text))
    if (
        length["min"].is_valid
        and length["min"].as_py() >= 1
        and length["max"].as_py() <= 9
        and pc.all(pc.ascii_is_decimal(text)).as_py()
    ):  # the usual column: 1 to 9 ASCII digits or null, no pattern to run
        padded = text if length["min"].as_py() == 9 else pc.utf8_lpad(text, width=9, padding="0")
        null = pa.scalar(None, pa.string())
        reason = pc.if_else(pc.is_valid(text), null, pa.scalar("missing_mmsi"))
        return _strings(padded, values.index), _strings(reason, values.index)
    text = pc.replace_substring_regex(text, pattern=r"\.0$", replacement="")
    missing = pc.fill_null(pc.equal(text, ""), True)
    digits = pc.fill_null(pc.match_substring_regex(text, r"^\d{1,9}$"), False)
    ok = pc.and_(pc.invert(missing), digits)
    null = pa.scalar(None, pa.string())
    mmsi = pc.if_else(ok, pc.utf8_lpad(text, width=9, padding="0"), null)
    bad = pc.if_else(ok, null, pa.scalar("mmsi_not_numeric_9_digits"))
    reason = pc.if_else(missing, pa.scalar("missing_mmsi"), bad)
    return _strings(mmsi, values.index), _strings(reason, values.index)
