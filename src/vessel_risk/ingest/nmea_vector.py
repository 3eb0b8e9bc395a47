"""Vectorised decoding of single-sentence AIS position reports, a block of lines at once.

Nearly all AIS traffic is position reports that fit in one sentence: message types 1,
2, 3 (class A), 18 (class B) and 27 (long-range). :func:`decode_block` frames a block
of raw NMEA lines with numpy (tag block, fields, both checksums) and decodes those
payloads from their 6-bit armouring in whole columns. Every line it does not take
(other message types, multipart messages, bad checksums, odd tag blocks, receiver
metadata, short payloads, bad characters, non-ASCII bytes, blank lines) is left to
the line-by-line decoder of :mod:`vessel_risk.ingest.nmea`, whose payloads pyais
decodes. So a line taken here is one that decoder would turn into exactly the same
position row: ``tests/ingest/test_nmea_vector.py`` holds the two equal, field for
field, on the real files and on generated edge payloads.

A line is taken only if all of these hold (anything else goes to pyais):

* ASCII only; no leading blank; ``!xxVDM``/``!xxVDO`` with fragment count and number 1;
  sequence id empty or one digit, channel empty or one letter or digit;
* payload of 1-200 armoured characters (ASCII 48-87 and 96-119), fill bits 0-5, the
  sentence's checksum right;
* either an NMEA 4.10 tag block (``\\...*hh\\``) whose checksum is right and whose
  first ``c`` item is 1-13 digits, or no tag block; in both cases, when that gives no
  receive time, nothing after the sentence's checksum (receiver metadata goes to the
  line decoder, which reads its UNIX time), and never a ``!`` after it (sentences run
  together: the line decoder quarantines them);
* message type 1, 2, 3 or 18 with at least 168 bits, or 27 with at least 96 (bits =
  6 x characters - fill bits; longer payloads are read as pyais reads them, from the
  start).

Field layouts and scales are those of ITU-R M.1371-5, Annex 8: messages 1, 2, 3
(position report) and 18 (standard class B position report): MMSI bits 8-37, SOG in
0.1 kn (1023 = not available), longitude and latitude in 1/10,000 min (181 and 91
degrees = not available), COG in 0.1 degree (3600 = not available), true heading in
degrees (511 = not available); message 27 (long-range broadcast): longitude and
latitude in 1/10 min, SOG in whole knots (63 = not available), COG in whole degrees
(511 = not available), no heading. Values are kept as transmitted (not-available
codes included), exactly as pyais returns them: cleaning judges them later. Bit
positions per field are in ``_LAYOUT_A``, ``_LAYOUT_18`` and ``_LAYOUT_27``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vessel_risk.ingest.nmea import MAX_UNIX_S, MIN_UNIX_S

MAX_PAYLOAD_CHARS = 200
"""pyais refuses longer payloads (``MAX_PAYLOAD_LEN``); they go to it to be refused."""
FAST_TYPES = (1, 2, 3, 18, 27)
_MIN_BITS = {1: 168, 2: 168, 3: 168, 18: 168, 27: 96}
_NEED_CHARS = 23
"""Characters read per payload: bits 0-137 (the heading of types 1-3 ends at bit 137)."""

# (field, start bit, width, signed) per layout; ITU-R M.1371-5 Annex 8, messages 1-3, 18, 27.
_LAYOUT_A = (
    ("mmsi", 8, 30, False),
    ("speed", 50, 10, False),
    ("lon", 61, 28, True),
    ("lat", 89, 27, True),
    ("course", 116, 12, False),
    ("heading", 128, 9, False),
)
_LAYOUT_18 = (
    ("mmsi", 8, 30, False),
    ("speed", 46, 10, False),
    ("lon", 57, 28, True),
    ("lat", 85, 27, True),
    ("course", 112, 12, False),
    ("heading", 124, 9, False),
)
_LAYOUT_27 = (
    ("mmsi", 8, 30, False),
    ("lon", 44, 18, True),
    ("lat", 62, 17, True),
    ("speed", 79, 6, False),
    ("course", 85, 9, False),
)

_ARMOUR = np.full(256, 255, dtype=np.uint8)
for _c in range(48, 88):
    _ARMOUR[_c] = _c - 48
for _c in range(96, 120):
    _ARMOUR[_c] = _c - 56
_HEX = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _HEX[_c] = 10 + _i
_PAD = 256
"""Zero bytes after a block, so that fixed offsets past a short line stay in bounds."""


@dataclass
class Block:
    """Position reports decoded from a block of lines by :func:`decode_block`.

    ``taken`` (bool, one per line) marks the lines decoded here; the other arrays have
    one value per taken line, in line order.

    Attributes
    ----------
    taken : ndarray of bool, shape (n_lines,)
    framed : ndarray of bool, shape (n_lines,)
        Lines that pass every check but the message type and length: single-sentence
        messages the line decoder can take without framing them again.
    line_time_s : ndarray of float64, shape (n_lines,)
        Each framed line's receive time (UNIX s; NaN: none).
    sentence : ndarray of int64, shape (n_lines, 4)
        Per framed line, offsets in the line of the sentence's ``!``, the payload's
        first character, the comma after it, and the end of the checksum.
    index : ndarray of int64
        Index (from 0, in the block) of each taken line.
    msg_type, mmsi : ndarray of int64
    lat, lon : ndarray of float64
        Degrees (91 and 181: not available), as pyais rounds them (6 decimals).
    speed_knots, course, heading : ndarray of float64
        Knots, degrees, degrees (NaN for type 27, which has no heading).
    time_s : ndarray of float64
        Receive time in UNIX seconds from the tag block's ``c:``; NaN when none.
    """

    taken: np.ndarray
    framed: np.ndarray
    line_time_s: np.ndarray
    sentence: np.ndarray
    index: np.ndarray
    msg_type: np.ndarray
    mmsi: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    speed_knots: np.ndarray
    course: np.ndarray
    heading: np.ndarray
    time_s: np.ndarray


def _next(positions: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each value of ``at``, the first of the sorted ``positions`` at or after it."""
    return positions[np.minimum(np.searchsorted(positions, at), len(positions) - 1)]


def _bits(six: np.ndarray, start: int, width: int, signed: bool) -> np.ndarray:
    """Unsigned (or two's-complement) field of ``width`` bits at bit ``start``.

    ``six`` holds each payload's 6-bit values, one row per payload.
    """
    first, last = start // 6, (start + width - 1) // 6
    acc = np.zeros(len(six), dtype=np.int64)
    for k in range(first, last + 1):
        acc = (acc << 6) | six[:, k].astype(np.int64)
    acc = (acc >> ((last + 1) * 6 - start - width)) & ((1 << width) - 1)
    if signed:
        acc = np.where(acc >= 1 << (width - 1), acc - (1 << width), acc)
    return acc


def _decode_fields(six: np.ndarray, layout: tuple[tuple[str, int, int, bool], ...]) -> dict:
    return {name: _bits(six, start, width, signed) for name, start, width, signed in layout}


def _degrees(raw: np.ndarray, per_degree_times_6: int) -> np.ndarray:
    """Degrees rounded to 6 decimals as pyais computes them (``round(5v/3) / 1e6``).

    ``per_degree_times_6`` is 10 for 1/10,000 min, 10,000 for 1/10 min: the value is
    ``((k * v + 3) // 6) / 1e6`` in integers, then one IEEE division, as pyais does.
    """
    return ((per_degree_times_6 * raw + 3) // 6) / 1e6


def decode_block(data: bytes, starts: np.ndarray, ends: np.ndarray) -> Block:
    """Decode the single-sentence position reports among a block of raw NMEA lines.

    Parameters
    ----------
    data : bytes
        The block: lines one after the other (line ends may sit between them).
    starts, ends : ndarray of int64, shape (n_lines,)
        Byte offsets of each line in ``data``: first byte, and one past the last byte
        before its line end (``\\n``, ``\\r\\n``).

    Returns
    -------
    Block
        The lines decoded here and their columns; the rest are for the line decoder.
    """
    n = len(starts)
    b = np.frombuffer(data + bytes(_PAD), dtype=np.uint8)
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    e = e - ((e > s) & (b[np.maximum(e - 1, 0)] == 13))  # a \r before the \n
    big = np.int64(len(b) + 1)

    def where(byte: int) -> np.ndarray:
        return np.append(np.flatnonzero(b == byte), big)

    def at(i: np.ndarray) -> np.ndarray:
        return b[np.minimum(i, len(b) - 1)]

    def span(ufunc: np.ufunc, arr: np.ndarray, a: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``ufunc`` over ``arr[a:z]`` per line (0 where empty); ranges kept in their lines."""
        a = np.clip(a, s, e)
        z = np.clip(z, a, e)
        idx = np.empty(2 * n, dtype=np.int64)
        idx[0::2], idx[1::2] = a, z
        r = ufunc.reduceat(arr, np.minimum(idx, len(arr) - 1))[0::2]
        return np.where(z > a, r, 0)

    backslash, star, comma = where(92), where(42), where(44)
    ok = e - s >= 20
    if (b >= 128).any():
        ok &= span(np.maximum, b, s, e) < 128
    # Tag block: "\" body "*" hh "\" with its first star two characters before the "\".
    tag = at(s) == 92
    t2 = _next(backslash, s + 1)
    st = _next(star, s + 1)
    tag_ok = (t2 < e) & (st < t2) & (t2 - st == 3)
    h1, h2 = _HEX[at(st + 1)], _HEX[at(st + 2)]
    tag_ok &= (h1 < 16) & (h2 < 16)
    tag_ok &= span(np.bitwise_xor, b, s + 1, st) == h1.astype(np.int64) * 16 + h2
    ok &= ~tag | tag_ok
    # The first item whose key is "c": a "c" after "\" or "," and before ":", "," or "*".
    cs = np.flatnonzero(b == 99)
    cs = cs[
        (cs > 0)
        & np.isin(b[cs - 1], (44, 92))
        & np.isin(b[np.minimum(cs + 1, len(b) - 1)], (58, 44, 42))
    ]
    c = _next(np.append(cs, big), s + 1)
    has_c = tag & (c < st)
    v0 = c + 2
    v1 = np.minimum(_next(comma, v0), st)
    ok &= ~has_c | ((at(c + 1) == 58) & (v1 - v0 >= 1) & (v1 - v0 <= 13))
    value = np.zeros(n, dtype=np.int64)
    for k in range(13):
        d = at(v0 + k).astype(np.int64) - 48
        inside = has_c & (v0 + k < v1)
        ok &= ~inside | ((d >= 0) & (d <= 9))
        value = np.where(inside, value * 10 + d, value)
    t = value.astype(np.float64)
    t = np.where(t > MAX_UNIX_S, t / 1000.0, t)
    time_s = np.where(has_c & (t >= MIN_UNIX_S) & (t <= MAX_UNIX_S), t, np.nan)

    # The sentence: !ccVD[MO],1,1,[seq],[channel],payload,fill*hh
    p = np.where(tag, t2 + 1, s)
    ok &= at(p) == 33
    for k, allowed in ((1, range(65, 91)), (2, range(65, 91)), (3, (86,)), (4, (68,))):
        ok &= np.isin(at(p + k), allowed)
    ok &= np.isin(at(p + 5), (77, 79))
    for k, byte in ((6, 44), (7, 49), (8, 44), (9, 49), (10, 44)):
        ok &= at(p + k) == byte
    seq_digit = (at(p + 11) >= 48) & (at(p + 11) <= 57) & (at(p + 12) == 44)
    ok &= (at(p + 11) == 44) | seq_digit
    q = np.where(seq_digit, p + 12, p + 11)
    ch = at(q + 1)
    ch_ok = ((ch >= 48) & (ch <= 57)) | ((ch >= 65) & (ch <= 90)) | ((ch >= 97) & (ch <= 122))
    ch_ok &= at(q + 2) == 44
    ok &= (ch == 44) | ch_ok
    c4 = np.where(ch == 44, q + 1, q + 2)
    c5 = _next(comma, c4 + 1)
    length = c5 - c4 - 1
    ok &= (length >= 1) & (length <= MAX_PAYLOAD_CHARS) & (c5 + 5 <= e)
    fill = at(c5 + 1).astype(np.int64) - 48
    ok &= (fill >= 0) & (fill <= 5) & (at(c5 + 2) == 42)
    k1, k2 = _HEX[at(c5 + 3)], _HEX[at(c5 + 4)]
    ok &= (k1 < 16) & (k2 < 16)
    ok &= span(np.maximum, _ARMOUR[b], c4 + 1, c5) < 64
    ok &= span(np.bitwise_xor, b, p + 1, c5 + 2) == k1.astype(np.int64) * 16 + k2
    # No receive time from the tag block: only a bare sentence is decoded here.
    ok &= ~np.isnan(time_s) | (c5 + 5 == e)
    # Nor a "!" after the checksum (another sentence run on: the line decoder's verdict).
    ok &= _next(where(33), c5 + 5) >= e

    framed = ok.copy()
    mtype = _ARMOUR[at(c4 + 1)].astype(np.int64)
    bits = 6 * length - fill
    need = np.zeros(n, dtype=np.int64) + (1 << 20)
    for mt, least in _MIN_BITS.items():
        need[mtype == mt] = least
    ok &= bits >= need

    idx = np.flatnonzero(ok)
    cols = np.minimum(c4[idx, None] + 1 + np.arange(_NEED_CHARS), len(b) - 1)
    six = _ARMOUR[b[cols]]  # past a short type 27 payload: masked below, never read
    six = np.where(six == 255, 0, six)
    kind = mtype[idx]
    m = len(idx)
    out = {
        "mmsi": np.zeros(m, np.int64),
        "lat": np.zeros(m),
        "lon": np.zeros(m),
        "speed_knots": np.zeros(m),
        "course": np.zeros(m),
        "heading": np.full(m, np.nan),
    }
    for layout, rows in (
        (_LAYOUT_A, kind <= 3),
        (_LAYOUT_18, kind == 18),
        (_LAYOUT_27, kind == 27),
    ):
        if not rows.any():
            continue
        f = _decode_fields(six[rows], layout)
        out["mmsi"][rows] = f["mmsi"]
        if layout is _LAYOUT_27:
            out["lat"][rows] = _degrees(f["lat"], 10_000)
            out["lon"][rows] = _degrees(f["lon"], 10_000)
            out["speed_knots"][rows] = f["speed"]
            out["course"][rows] = f["course"]
        else:
            out["lat"][rows] = _degrees(f["lat"], 10)
            out["lon"][rows] = _degrees(f["lon"], 10)
            out["speed_knots"][rows] = f["speed"] / 10.0
            out["course"][rows] = f["course"] / 10.0
            out["heading"][rows] = f["heading"]
    return Block(
        taken=ok,
        framed=framed,
        line_time_s=time_s,
        sentence=np.stack([p - s, c4 + 1 - s, c5 - s, c5 + 5 - s], axis=1),
        index=idx,
        msg_type=kind,
        time_s=time_s[idx],
        **out,
    )
