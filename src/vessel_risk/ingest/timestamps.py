"""Timestamps of AIS rows as UTC, whatever form a dialect writes them in.

ISO 8601 with or without a zone (``Z``, ``+01:00``, a trailing ``UTC``/``GMT`` word):
naive values are read as UTC and counted. Slash dates (``dd/mm/yyyy``) are read
day-first unless a day field above 12 proves them month-first; the verdict is
reported (``slash_dates``), and for a file read in chunks it is taken once for the
whole file (:func:`vessel_risk.ingest.csv._file_day_first`). The decoded 139-column
dialect's ``20210701_185151`` plus milliseconds is turned into ISO 8601 first. Years
outside 1990-2100 are typos, not data: they become NaT, and the row is quarantined as
``invalid_timestamp``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vessel_risk.ingest.verdicts import ARROW_STRING, _arrow_text, _numbers, _strings

# Patterns as strings with inline flags so pandas runs them in pyarrow (RE2), not Python.
_ZONE = r"(?i)(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*$"
_SLASH_DATE = r"^\s*(?P<first>\d{1,2})/(?P<second>\d{1,2})/\d{4}"


def _slash_evidence(text: pd.Series) -> tuple[bool, bool, bool]:
    """Whether any value is a ``dd/mm/yyyy`` date, any first field > 12, any second > 12."""
    arr = pa.array(text.astype("string"), type=pa.string(), from_pandas=True)
    matched = pc.fill_null(pc.match_substring_regex(arr, _SLASH_DATE), False)
    if not pc.any(matched).as_py():
        return False, False, False
    # Only the matching values: a null or non-matching value gives a null struct whose
    # fields still hold "" (not a number).
    parts = pc.extract_regex(pc.filter(arr, matched), _SLASH_DATE)
    first = pc.cast(parts.field("first"), pa.int64())
    second = pc.cast(parts.field("second"), pa.int64())
    return (
        True,
        bool(pc.any(pc.greater(first, 12)).as_py()),
        bool(pc.any(pc.greater(second, 12)).as_py()),
    )


def _slash_day_first(text: pd.Series) -> bool | None:
    """Whether ``dd/mm/yyyy`` dates are day-first, from the values; None if not slash dates."""
    seen, first_big, second_big = _slash_evidence(text)
    if not seen:
        return None
    return not (second_big and not first_big)


_ISO_UTC = r"^(?:19|20|21)\d{2}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z$"
"""ISO 8601 in UTC as the decoded dialect's times become (:func:`_compact_time`)."""


def _iso_utc(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """Timestamps (ns, UTC) cast by pyarrow when every value is ISO 8601 with ``Z``; else None.

    pyarrow refuses impossible dates (30 February), and the years allowed are inside
    the nanosecond range, so the values are those pandas' ISO 8601 parser gives.
    """
    if not len(arr) or not pc.all(pc.match_substring_regex(arr, _ISO_UTC)).as_py():
        return None  # (``all`` skips nulls: they stay NaT)
    try:
        return pc.cast(arr, pa.timestamp("ns", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _parse_timestamps(
    raw: pd.Series, *, day_first: bool | None = None
) -> tuple[pd.Series, int, str | None]:
    """Parse timestamps to UTC.

    Returns them (NaT where impossible), the number of naive values read as UTC and,
    for slash dates, ``"day-first"`` or ``"month-first"`` (else None). ``day_first``
    imposes the order of slash dates (the verdict on a whole file read in chunks);
    None decides it from ``raw``.
    """
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").astype("datetime64[ns, UTC]"), 0, None
    if pd.api.types.is_datetime64_dtype(raw):
        ts = raw.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
        return ts, int(raw.notna().sum()), None
    arr = pc.utf8_trim_whitespace(pa.array(raw.astype(ARROW_STRING), from_pandas=True))
    utc = _iso_utc(arr)
    if utc is not None:  # every value ISO 8601 in UTC ("Z"): nothing naive, no slash
        ts = pd.Series(utc.to_pandas().array, index=raw.index).astype("datetime64[ns, UTC]")
        return ts.where((ts.dt.year >= 1990) & (ts.dt.year <= 2100)), 0, None
    zoned = pc.fill_null(pc.match_substring_regex(arr, _ZONE), True)
    naive = int(pc.sum(pc.and_(pc.invert(zoned), pc.not_equal(arr, ""))).as_py() or 0)
    arr = pc.replace_substring_regex(arr, pattern=r"(?i)\s*(UTC|GMT)\s*$", replacement="")
    cleaned = pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype).array, index=raw.index).astype(
        ARROW_STRING
    )
    found = _slash_day_first(cleaned)
    day_first = found if day_first is None or found is None else day_first
    slash = None
    if day_first is not None:
        slash = "day-first" if day_first else "month-first"
        ts = pd.Series(pd.NaT, index=cleaned.index, dtype="datetime64[ns, UTC]")
        order = "%d/%m/%Y" if day_first else "%m/%d/%Y"
        for fmt in (f"{order} %H:%M:%S", f"{order} %H:%M", f"{order} %H:%M:%S.%f", order):
            todo = ts.isna() & cleaned.notna()
            if not todo.any():
                break
            ts[todo] = pd.to_datetime(cleaned[todo], format=fmt, utc=True, errors="coerce")
        retry = ts.isna() & cleaned.notna() & ~cleaned.str.match(_SLASH_DATE).fillna(False)
    else:
        ts = pd.to_datetime(cleaned, format="ISO8601", utc=True, errors="coerce")
        retry = ts.isna() & cleaned.notna() & (cleaned != "")
    if retry.any():
        ts[retry] = pd.to_datetime(cleaned[retry], format="mixed", utc=True, errors="coerce")
    ts = ts.astype("datetime64[ns, UTC]")
    # Years outside AIS's lifetime are typos, not data.
    ts = ts.where((ts.dt.year >= 1990) & (ts.dt.year <= 2100))
    return ts, naive, slash


def _compact_time(time: pd.Series, millisecond: pd.Series | None) -> pd.Series:
    """``20210701_185151`` (+ milliseconds) as an ISO 8601 UTC string; other text stripped.

    Milliseconds that are not a number count as 0, and are held to 0..999. Computed in
    pyarrow and numpy (the ISO text put together byte by byte): the pandas string
    methods cost 0.25 s per 100,000 rows.
    """
    t = pc.utf8_trim_whitespace(_arrow_text(time))
    if isinstance(t, pa.ChunkedArray):
        t = t.combine_chunks()
    ok = pc.fill_null(pc.match_substring_regex(t, r"^\d{8}_\d{6}$"), False)
    if millisecond is None:
        ms = np.zeros(len(time), dtype="int64")
    else:
        ms = np.clip(np.nan_to_num(_numbers(millisecond)[0].to_numpy(), nan=0.0), 0, 999)
        ms = ms.astype("int64")
    good = pc.filter(t, ok)
    if len(good) == 0:
        return _strings(t, time.index)
    start = int(np.frombuffer(good.buffers()[1], dtype=np.int32)[good.offset])
    # 15 ASCII characters each (RE2's \d is ASCII only), back to back in the data buffer
    digits = np.frombuffer(good.buffers()[2], dtype=np.uint8)[start : start + 15 * len(good)]
    digits = digits.reshape(-1, 15)
    out = np.empty((len(good), 24), dtype=np.uint8)
    for dst, src in ((0, 0), (5, 4), (8, 6), (11, 9), (14, 11), (17, 13)):
        width = 4 if dst == 0 else 2
        out[:, dst : dst + width] = digits[:, src : src + width]
    for at, char in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")):
        out[:, at] = ord(char)
    kept = ms[pc.indices_nonzero(ok).to_numpy()]
    for k, unit in enumerate((100, 10, 1)):
        out[:, 20 + k] = ord("0") + (kept // unit) % 10
    offsets = np.arange(0, 24 * (len(good) + 1), 24, dtype=np.int32)
    iso = pa.StringArray.from_buffers(len(good), pa.py_buffer(offsets), pa.py_buffer(out))
    return _strings(pc.replace_with_mask(t, ok, iso), time.index)


def _compact_utc(time: pd.Series, millisecond: pd.Series | None) -> pd.Series | None:
    """``20210701_185151`` (+ milliseconds) as UTC times, without the ISO text; or None.

    What :func:`_parse_timestamps` gives for :func:`_compact_time`'s text when every
    value that is not null is a clean compact time (15 ASCII characters after stripping:
    8 digits, ``_``, 6 digits) of a real date and time in 1990-2100: the numbers are
    read from the bytes in numpy. Otherwise None: the caller takes the text path,
    which judges every other form.
    """
    t = pc.utf8_trim_whitespace(_arrow_text(time))
    if isinstance(t, pa.ChunkedArray):
        t = t.combine_chunks()
    if not len(t):
        return None
    valid = np.asarray(pc.is_valid(t))
    length = pc.fill_null(pc.binary_length(t), 15).to_numpy()
    if not (length == 15).all():
        return None  # some text is not a compact time: the text path judges it
    n = len(t)
    offsets = np.frombuffer(t.buffers()[1], dtype=np.int32)[t.offset : t.offset + n + 1]
    data = np.frombuffer(t.buffers()[2], dtype=np.uint8)
    if valid.all():
        raw = data[offsets[0] : offsets[0] + 15 * n].reshape(n, 15)
    else:  # nulls may take no bytes: each valid value's 15 from its offset
        at = offsets[:-1][valid].astype(np.int64)
        raw = data[at[:, None] + np.arange(15)]
    d = raw - np.uint8(ord("0"))  # digits 0..9; other bytes wrap to 10..255
    digit = np.ones(15, dtype=bool)
    digit[8] = False
    if not ((d[:, digit] <= 9).all() and (raw[:, 8] == ord("_")).all()):
        return None
    ymd = d[:, :8].astype(np.int64) @ np.array([10**7, 10**6, 10**5, 10**4, 1000, 100, 10, 1])
    hms = d[:, 9:].astype(np.int64) @ np.array([10**5, 10**4, 1000, 100, 10, 1])
    year, month, day = ymd // 10_000, ymd // 100 % 100, ymd % 100
    hour, minute, second = hms // 10_000, hms // 100 % 100, hms % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0])
    last_day = month_days[np.clip(month, 0, 13)] + (leap & (month == 2))
    if not (
        ((year >= 1990) & (year <= 2100) & (day >= 1) & (day <= last_day)).all()
        and (hour <= 23).all()
        and (minute <= 59).all()
        and (second <= 59).all()
    ):
        return None  # 30 February, hour 24, year 1899: the text path makes them NaT
    # Days since 1970-01-01 (H. Hinnant's days_from_civil, proleptic Gregorian).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    if millisecond is None:
        ms = np.zeros(n, dtype="int64")
    else:
        ms = np.clip(np.nan_to_num(_numbers(millisecond)[0].to_numpy(), nan=0.0), 0, 999)
        ms = ms.astype("int64")
    secs = days * 86_400 + hour * 3_600 + minute * 60 + second
    ns = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)  # NaT where null
    ns[valid] = secs * 1_000_000_000 + ms[valid] * 1_000_000
    return pd.Series(ns.view("datetime64[ns]"), index=time.index).dt.tz_localize("UTC")


def _iso_text(ts: pd.Series) -> pd.Series:
    """UTC times as :func:`_compact_time` writes them (``2021-07-01T18:51:51.000Z``); NA for NaT."""
    ns = ts.array.as_unit("ns").view("i8") if len(ts) else np.zeros(0, dtype=np.int64)
    nat = np.asarray(ts.isna())
    iso = np.datetime_as_string(np.asarray(ns).view("datetime64[ns]"), unit="ms")
    text = np.strings.add(iso.astype(str), "Z")
    return pd.Series(text, index=ts.index, dtype="string").mask(nat)
