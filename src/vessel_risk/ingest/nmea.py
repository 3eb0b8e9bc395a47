"""Raw NMEA 0183 AIS logs (``!AIVDM``/``!AIVDO``) into position and static reports.

The domain core works on lines of text and knows nothing of files: :func:`decode_lines`
turns an iterable of lines into the same frames as :func:`vessel_risk.ingest.read_ais`,
so the pipeline takes them unchanged. Payloads are decoded by ``pyais``; everything
around them (tag blocks, receiver metadata, multipart reassembly, accounting) is ours.
Files are read by :mod:`vessel_risk.ingest.nmea_reader`, which decodes single-sentence
position reports with numpy (:mod:`vessel_risk.ingest.nmea_vector`) and hands every
other line to :class:`LineDecoder` here: the two give equal rows.

What a line may carry, and what is done with it:

* an NMEA 4.10 tag block before the sentence (``\\s:rcv,c:1635731889*6A\\!AIVDM,...``):
  ``c:`` is the receive time in UNIX seconds (milliseconds are accepted if the value
  only makes sense as such). A tag block whose checksum fails is not trusted: its
  time is ignored and the line is counted as ``bad_tag_block_checksum`` in the report;
* receiver metadata after the checksum (``...,0*28,d-109,S2105,t050056.00,...,
  1325394060,1325394001``): the first 10-digit UNIX time there is the receive time
  when no tag block gives one;
* multipart messages (type 5, some type 19/24 payloads) are reassembled by channel
  and sequence id, even when other sentences sit between the parts. A part that never
  gets its sibling is quarantined as ``incomplete_multipart``;
* the AIS "time stamp" field (``second``) is the UTC second of the fix, 60-63 being
  position-quality codes (ITU-R M.1371-5); it is never used as a time.

Kept message types (ITU-R M.1371-5): 1, 2, 3 (class A position), 18 (class B
position), 19 (extended class B: position and name), 27 (long-range position): one
row in ``positions``; 5 (class A static and voyage) and 24 (class B static, part A
name, part B type and call sign): one row in ``static``. The two halves of type 24
arrive minutes apart; each row is completed with the other half last (or next) sent
by the same MMSI. Other types (base stations, aids to navigation, binary messages)
are counted and quarantined as ``not_a_vessel_report``. Other quarantine reasons:
``malformed_sentence``, ``malformed_tag_block``, ``not_ais_sentence`` (other NMEA
sentences such as ``$GPGGA``), ``bad_checksum``, ``empty_payload``,
``incomplete_multipart``, ``undecodable_payload`` and ``several_sentences`` (sentences
run together on one line, their line ends lost).

Accounting: a record is a message (one sentence, or the parts of a multipart
message together) or a sentence that could not join one; ``rows_in = positions +
static + quarantined`` per file. Blank lines and ``#`` comments are not records;
they are counted in the report. Messages with no receive time keep a missing
``timestamp`` (counted as ``undated_messages``): their identity still counts, but
cleaning quarantines their positions as ``no_receive_time``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 24})
VESSEL_REPORT_TYPES = POSITION_TYPES | STATIC_TYPES
CLASS_B_TYPES = frozenset({18, 19, 24})
CLASS_A_TYPES = frozenset({1, 2, 3, 5})
MIN_UNIX_S = 631152000  # 1990-01-01
MAX_UNIX_S = 4102444800  # 2100-01-01
POSITION_BATCH = 100_000
"""Position rows decoded before :attr:`_Decoded.flush` takes them (bounded memory)."""

_SENTENCE = re.compile(
    r"^!(?P<talker>[A-Z]{2})VD[MO],(?P<count>\d),(?P<number>\d),(?P<seq>\d?),"
    r"(?P<channel>[^,]?),(?P<payload>[^,]*),(?P<fill>[0-5])\*(?P<checksum>[0-9A-Fa-f]{2})"
    r"(?P<rest>.*)$"
)
_EMBEDDED = re.compile(r"(?:\\[^\\]*\\)?![A-Z]{2}VD[MO],")
"""Another AIS sentence after a sentence's checksum: line ends lost, sentences run
together (quarantined as ``several_sentences``, never read as receiver metadata)."""
_NMEA_LIKE = re.compile(r"^(?:\\[^\\]*\\)?[!$][A-Z]{2}[A-Z]{3},")
_AIS_LIKE = re.compile(r"^(?:\\[^\\]*\\)?![A-Z]{2}VD[MO],")
_EPOCH = re.compile(r"^\d{10}$")


def nmea_checksum(body: str) -> str:
    """The NMEA checksum of ``body`` (the text between ``!``/``$``/``\\`` and ``*``).

    Parameters
    ----------
    body : str

    Returns
    -------
    str
        Two upper-case hex digits: the XOR of every character's code.
    """
    value = 0
    for ch in body:
        value ^= ord(ch)
    return f"{value & 0xFF:02X}"


def looks_like_nmea(lines: list[str]) -> bool:
    """Whether the first lines of a file are AIS NMEA sentences (content sniffing).

    Parameters
    ----------
    lines : list of str
        The first lines of a file.

    Returns
    -------
    bool
        True if any line is an ``!xxVDM``/``!xxVDO`` sentence, with or without a tag
        block.
    """
    return any(_AIS_LIKE.match(line.strip()) for line in lines)


@dataclass
class _Fragment:
    line: int
    raw: str
    sentence: str
    payload: str
    number: int
    count: int
    time_s: float | None


@dataclass
class _Decoded:
    """What :func:`decode_lines` builds while reading, before frames are made."""

    positions: list[dict[str, Any]] = field(default_factory=list)
    static: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[tuple[int, str | None, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "blank_or_comment_lines": 0,
            "messages_decoded": 0,
            "undated_messages": 0,
            "bad_tag_block_checksum": 0,
            "multipart_messages": 0,
        }
    )
    mmsis: set[str] = field(default_factory=set)
    """MMSIs of every decoded message, vessel report or not."""
    flush: Callable[[list[dict[str, Any]]], None] | None = None
    """Called with every :data:`POSITION_BATCH` position rows, which then leave
    ``positions``: the caller turns them into columns as they come, so a long log is
    never held as millions of Python dicts (about 1 KiB each)."""


def payload_mmsi(payload: str) -> str | None:
    """The MMSI in the first part of an armoured AIS payload (bits 8-37), if any.

    Lets a lone fragment be quarantined under its vessel's MMSI.

    Parameters
    ----------
    payload : str
        The sixth field of an ``!AIVDM`` sentence (first fragment).

    Returns
    -------
    str or None
        The 9-character MMSI, or None if the payload is too short or not armoured.
    """
    if len(payload) < 7:
        return None
    bits = 0
    for ch in payload[:7]:
        v = ord(ch) - 48
        if v > 40:
            v -= 8
        if not 0 <= v < 64:
            return None
        bits = (bits << 6) | v
    return f"{(bits >> 4) & ((1 << 30) - 1):09d}"


def _tag_time(tag: str) -> tuple[float | None, bool]:
    """Receive time from a tag block's ``c:`` field, and whether the checksum held."""
    body, star, check = tag.partition("*")
    ok = not star or nmea_checksum(body) == check.strip().upper()
    if not ok:
        return None, False
    for item in body.split(","):
        key, _, value = item.partition(":")
        if key == "c":
            return _unix_seconds(value), True
    return None, True


def _unix_seconds(value: str) -> float | None:
    try:
        t = float(value)
    except ValueError:
        return None
    if not np.isfinite(t):
        return None
    if t > MAX_UNIX_S:
        t = t / 1000.0  # some receivers write milliseconds
    return t if MIN_UNIX_S <= t <= MAX_UNIX_S else None


def _metadata_time(rest: str) -> float | None:
    """The first 10-digit UNIX time among the fields after the checksum."""
    for item in rest.split(","):
        if _EPOCH.match(item.strip()):
            return _unix_seconds(item.strip())
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip().strip("@").strip()
    return s or None


def _int_text(value: Any) -> str | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return str(n) if n > 0 else None


def _rows(msg: Any, time_s: float | None, line: int, out: _Decoded) -> str | None:
    """Add one decoded message to ``out``; return a quarantine reason or None."""
    mtype = int(msg.msg_type)
    mmsi = f"{int(msg.mmsi):09d}"
    ais_class = "B" if mtype in CLASS_B_TYPES else "A" if mtype in CLASS_A_TYPES else None
    base = {"mmsi": mmsi, "time_s": time_s, "line": line, "ais_class": ais_class}
    if mtype in POSITION_TYPES:
        row = {
            **base,
            "lat": float(msg.lat),
            "lon": float(msg.lon),
            "speed_knots": float(msg.speed),
            "course": float(msg.course),
            "heading": float(getattr(msg, "heading", np.nan)),
            "shipname": _text(getattr(msg, "shipname", None)),
            "shiptype": _int_text(getattr(msg, "ship_type", None)),
        }
        out.positions.append(row)
        if out.flush is not None and len(out.positions) >= POSITION_BATCH:
            out.flush(out.positions)
            out.positions = []
    elif mtype == 5:
        out.static.append(
            {
                **base,
                "shipname": _text(msg.shipname),
                "callsign": _text(msg.callsign),
                "imo": _int_text(msg.imo),
                "shiptype": _int_text(msg.ship_type),
                "destination": _text(msg.destination),
            }
        )
    elif mtype == 24:
        if int(msg.partno) == 0:
            out.static.append({**base, "shipname": _text(msg.shipname), "part": "A"})
        else:
            out.static.append(
                {
                    **base,
                    "callsign": _text(msg.callsign),
                    "shiptype": _int_text(msg.ship_type),
                    "part": "B",
                }
            )
    else:
        return "not_a_vessel_report"
    return None


def _decode(parts: list[_Fragment], out: _Decoded) -> None:
    """Decode one complete message (one or more fragments) into ``out``."""
    # pyais imported here: 60 ms of start-up that a CSV or Parquet ingest does not need
    from pyais.messages import NMEAMessage

    first = parts[0]
    raw = "\n".join(p.raw for p in parts)
    try:
        if len(parts) == 1:
            msg = NMEAMessage(first.sentence.encode("ascii")).decode()
        else:
            nmea = [NMEAMessage(p.sentence.encode("ascii")) for p in parts]
            msg = NMEAMessage.assemble_from_iterable(nmea).decode()
            out.counts["multipart_messages"] += 1
    except Exception:  # pyais raises many types on bad payloads; all mean the same
        out.quarantine.append((first.line, None, "undecodable_payload", raw))
        return
    time_s = next((p.time_s for p in parts if p.time_s is not None), None)
    out.counts["messages_decoded"] += 1
    mmsi = getattr(msg, "mmsi", None)
    if isinstance(mmsi, int):
        out.mmsis.add(f"{mmsi:09d}")
    try:
        reason = _rows(msg, time_s, first.line, out)
    except (TypeError, ValueError, AttributeError):
        reason = "undecodable_payload"
    if reason is not None:
        out.quarantine.append((first.line, None if mmsi is None else f"{mmsi:09d}", reason, raw))
        return
    if time_s is None:
        out.counts["undated_messages"] += 1


class LineDecoder:
    """The line-by-line decoder: one line at a time, multipart messages joined across lines.

    :func:`decode_lines` feeds it every line of a log; the vectorised reader
    (:mod:`vessel_risk.ingest.nmea_vector`) feeds it only the lines it leaves.
    Single-sentence messages never touch the multipart state, so the lines fed need
    not be consecutive.

    Parameters
    ----------
    out : _Decoded
        Where rows, quarantined records and counts go.
    """

    def __init__(self, out: _Decoded) -> None:
        self.out = out
        self.pending: dict[tuple[str, str, str], list[_Fragment]] = {}

    def _drop(self, key: tuple[str, str, str], reason: str = "incomplete_multipart") -> None:
        group = self.pending.pop(key, [])
        mmsi = payload_mmsi(group[0].payload) if group else None
        for frag in group:
            self.out.quarantine.append((frag.line, mmsi, reason, frag.raw))

    def feed(self, number: int, raw_line: str) -> None:
        """Decode line ``number`` (from 1) of the log; its line end may be attached."""
        out, pending = self.out, self.pending
        raw = raw_line.rstrip("\r\n")
        line = raw.strip()
        if not line or line.startswith("#"):
            out.counts["blank_or_comment_lines"] += 1
            return
        time_s: float | None = None
        sentence = line
        if line.startswith("\\"):
            tag, sep, sentence = line[1:].partition("\\")
            if not sep:
                out.quarantine.append((number, None, "malformed_tag_block", raw))
                return
            time_s, ok = _tag_time(tag)
            if not ok:
                out.counts["bad_tag_block_checksum"] += 1
        m = _SENTENCE.match(sentence)
        if m is None:
            nmea_like = sentence.startswith("$") or _NMEA_LIKE.match(sentence)
            is_ais = _AIS_LIKE.match(sentence)
            reason = "not_ais_sentence" if nmea_like and not is_ais else "malformed_sentence"
            out.quarantine.append((number, None, reason, raw))
            return
        body = sentence[1 : sentence.index("*")]
        if nmea_checksum(body) != m["checksum"].upper():
            out.quarantine.append((number, None, "bad_checksum", raw))
            return
        if "!" in m["rest"] and _EMBEDDED.search(m["rest"]):
            out.quarantine.append((number, None, "several_sentences", raw))
            return
        if time_s is None:
            time_s = _metadata_time(m["rest"])
        count, part = int(m["count"]), int(m["number"])
        if not m["payload"]:
            out.quarantine.append((number, None, "empty_payload", raw))
            return
        if count < 1 or part < 1 or part > count:
            out.quarantine.append((number, None, "malformed_sentence", raw))
            return
        frag = _Fragment(
            number, raw, sentence[: m.end("checksum")], m["payload"], part, count, time_s
        )
        if count == 1:
            _decode([frag], out)
            return
        key = (m["talker"], m["channel"], m["seq"])
        group = pending.get(key)
        if part == 1:
            if group:
                self._drop(key)
            pending[key] = [frag]
        elif group and group[-1].number == part - 1 and group[0].count == count:
            group.append(frag)
        else:
            if group:
                self._drop(key)
            out.quarantine.append((number, None, "incomplete_multipart", raw))
            return
        if part == count:
            _decode(pending.pop(key), out)

    def finish(self) -> None:
        """Quarantine the multipart messages still missing a part at the end of the log."""
        for key in list(self.pending):
            self._drop(key)


def decode_lines(
    lines: Iterable[str], *, flush: Callable[[list[dict[str, Any]]], None] | None = None
) -> _Decoded:
    """Decode AIS NMEA lines; the pure core of :func:`~vessel_risk.ingest.nmea_reader.read_nmea`.

    Every payload is decoded by pyais (the reference the vectorised reader is held
    to).

    Parameters
    ----------
    lines : iterable of str
        Lines of a log in file order (line numbers are counted from 1).
    flush : callable, optional
        Takes each batch of :data:`POSITION_BATCH` position rows as it is decoded
        (they are then no longer in the result's ``positions``, which keeps the last,
        partial batch).

    Returns
    -------
    _Decoded
        Position and static rows, quarantined records and counts.
    """
    out = _Decoded(flush=flush)
    decoder = LineDecoder(out)
    for number, raw_line in enumerate(lines, start=1):
        decoder.feed(number, raw_line)
    decoder.finish()
    return out


def join_class_b_halves(static: pd.DataFrame) -> pd.DataFrame:
    """Complete each type 24 half with the other half sent by the same MMSI.

    A 24A row (name) takes the call sign and ship type of the nearest earlier 24B of
    its MMSI (or, failing that, the next one), and a 24B row takes the name likewise.
    Rows are neither added nor removed.

    Parameters
    ----------
    static : DataFrame
        With ``mmsi``, ``timestamp``, ``shipname``, ``callsign``, ``shiptype`` and
        ``part`` ("A", "B" or NA for other message types).

    Returns
    -------
    DataFrame
        A copy with the halves joined, in the input's order.
    """
    out = static.copy()
    b = out["part"].isin(["A", "B"]).fillna(False).astype(bool)
    if not b.any():
        return out
    sub = out.loc[b].sort_values(["mmsi", "timestamp"], kind="stable")
    for col in ("shipname", "callsign", "shiptype"):
        filled = sub.groupby("mmsi", sort=False)[col].transform(lambda s: s.ffill().bfill())
        out.loc[sub.index, col] = filled
    return out
