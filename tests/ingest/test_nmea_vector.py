"""The vectorised NMEA reader equals pyais, field for field, on real files and edge payloads.

``read_nmea(path)`` decodes single-sentence position reports with numpy
(:mod:`vessel_risk.ingest.nmea_vector`); ``read_nmea(path, vectorised=False)`` decodes
every payload with pyais, line by line. Both must give the same frames and reports.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyais.messages import NMEAMessage

from tests.builders import shared_file
from vessel_risk.ingest.nmea import nmea_checksum
from vessel_risk.ingest.nmea_reader import read_nmea
from vessel_risk.ingest.nmea_vector import decode_block

REAL = [
    ("data", "ais", "nmea", "tagblock_20211101.nm4"),
    ("data", "ais", "nmea", "mixed_with_malformed.nmea"),
    ("data", "ais", "nmea", "receiver_log_201201.nmea"),
    ("data", "ais", "nmea", "aishub_mixed.nmea"),
    ("cases", "C06_multipart_fragments.nmea"),
    ("cases", "C07_class_b_static.nmea"),
]
# Lines the vectorised decoder takes in each real file (the rest go to pyais).
TAKEN = {"tagblock_20211101.nm4": 913, "mixed_with_malformed.nmea": 762, "aishub_mixed.nmea": 8}


def _armour(bits: str) -> tuple[str, int]:
    """ITU-R M.1371-5 6-bit armouring of a bit string: payload and fill bits."""
    fill = (-len(bits)) % 6
    bits += "0" * fill
    chars = []
    for i in range(0, len(bits), 6):
        v = int(bits[i : i + 6], 2)
        chars.append(chr(v + 48 if v < 40 else v + 56))
    return "".join(chars), fill


def _sentence(payload: str, fill: int, *, channel: str = "A", talker: str = "AIVDM") -> str:
    body = f"{talker},1,1,,{channel},{payload},{fill}"
    return f"!{body}*{nmea_checksum(body)}"


def _tagged(sentence: str, t: int) -> str:
    tag = f"s:rcv,c:{t}"
    return f"\\{tag}*{nmea_checksum(tag)}\\{sentence}"


def _field(value: int, width: int) -> str:
    return format(value & ((1 << width) - 1), f"0{width}b")


def _position_bits(mtype: int, mmsi: int, lon: int, lat: int, sog: int, cog: int, hdg: int) -> str:
    """Bits of a position report (ITU-R M.1371-5 Annex 8, messages 1-3, 18, 27)."""
    head = _field(mtype, 6) + "00" + _field(mmsi, 30)
    if mtype in (1, 2, 3):
        return (
            head + "0000" + _field(-128, 8) + _field(sog, 10) + "1" + _field(lon, 28)
            + _field(lat, 27) + _field(cog, 12) + _field(hdg, 9) + _field(60, 6)
            + "0" * 25
        )  # fmt: skip
    if mtype == 18:
        return (
            head + "0" * 8 + _field(sog, 10) + "0" + _field(lon, 28) + _field(lat, 27)
            + _field(cog, 12) + _field(hdg, 9) + _field(12, 6) + "0" * 34
        )  # fmt: skip
    return (
        head
        + "10"
        + "0101"
        + _field(lon, 18)
        + _field(lat, 17)
        + _field(sog, 6)
        + _field(cog, 9)
        + "00"
    )


def _block(lines: list[str]):
    data = "".join(line + "\n" for line in lines).encode("latin-1")
    lens = np.array([len(line.encode("latin-1")) + 1 for line in lines], dtype=np.int64)
    stops = np.cumsum(lens)
    return decode_block(data, stops - lens, stops - 1)


def _pyais_row(sentence: str) -> tuple:
    msg = NMEAMessage(sentence.encode()).decode()
    return (
        int(msg.msg_type),
        int(msg.mmsi),
        float(msg.lat),
        float(msg.lon),
        float(msg.speed),
        float(msg.course),
        float(getattr(msg, "heading", np.nan)),
    )


def _assert_same_as_pyais(lines: list[str], sentences: list[str]) -> np.ndarray:
    block = _block(lines)
    for k, i in enumerate(block.index.tolist()):
        got = (
            int(block.msg_type[k]),
            int(block.mmsi[k]),
            float(block.lat[k]),
            float(block.lon[k]),
            float(block.speed_knots[k]),
            float(block.course[k]),
            float(block.heading[k]),
        )
        want = _pyais_row(sentences[i])
        assert got[:6] == want[:6], (lines[i], got, want)
        assert got[6] == want[6] or (np.isnan(got[6]) and np.isnan(want[6])), lines[i]
    return block.taken


def _assert_readers_equal(path: Path) -> None:
    fast = read_nmea(path)
    ref = read_nmea(path, vectorised=False)
    for name in ("positions", "static", "quarantine"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(ref, name))
    assert fast.files == ref.files
    report = fast.files[0]
    assert (
        report["rows_in"] == report["positions"] + report["static_reports"] + report["quarantined"]
    )


@pytest.mark.parametrize("parts", REAL, ids=lambda p: p[-1])
def test_real_files_equal_the_pyais_reader(parts):
    path = shared_file(*parts)
    _assert_readers_equal(path)
    lines = path.read_bytes().decode("latin-1").splitlines()
    taken = _block(lines).taken
    assert int(taken.sum()) == TAKEN.get(path.name, int(taken.sum()))
    sentences = [line[line.rfind("!") :] if "!" in line else "" for line in lines]
    _assert_same_as_pyais(lines, sentences)


EDGES = [
    # (type, mmsi, lon raw, lat raw, sog, cog, heading): not-available and extreme values
    (1, 123456789, 181 * 600000, 91 * 600000, 1023, 3600, 511),
    (2, 1, -180 * 600000, -90 * 600000, 0, 0, 0),
    (3, 999999999, -1, -1, 1022, 3599, 359),
    (1, 219000001, -(1 << 27), -(1 << 26), 1, 1, 1),
    (18, 1073741823, (1 << 27) - 1, (1 << 26) - 1, 1023, 3600, 511),
    (18, 412000000, -7_340_001, 2_160_003, 55, 1234, 90),
    (27, 987654321, 181 * 600, 91 * 600, 63, 511, 0),
    (27, 5, -(1 << 17), -(1 << 16), 0, 0, 0),
    (27, 273000000, -72_150, 33_333, 12, 359, 0),
]


def test_edge_values_equal_pyais():
    sentences = []
    for mtype, mmsi, lon, lat, sog, cog, hdg in EDGES:
        payload, fill = _armour(_position_bits(mtype, mmsi, lon, lat, sog, cog, hdg))
        sentences.append(_sentence(payload, fill))
    lines = [_tagged(s, 1635731889 + i) for i, s in enumerate(sentences)]
    taken = _assert_same_as_pyais(lines, sentences)
    assert taken.all()
    block = _block(lines)
    assert block.lat[0] == 91.0 and block.lon[0] == 181.0 and block.heading[0] == 511.0
    assert block.speed_knots[0] == 102.3 and block.course[0] == 360.0
    assert block.lat[1] == -90.0 and block.lon[1] == -180.0
    assert block.lat[6] == 91.0 and block.lon[6] == 181.0 and np.isnan(block.heading[6])
    assert list(block.time_s) == [1635731889.0 + i for i in range(len(lines))]


def test_random_payloads_lengths_and_fill_bits_equal_pyais():
    rng = random.Random(15)
    sentences, lines = [], []
    for _ in range(3000):
        mtype = rng.choice([1, 2, 3, 18, 27, 27, 5, 24, 4])
        nbits = rng.choice([96, 160, 168, 168, 168, 172, 180, 200, rng.randrange(1, 320)])
        bits = _field(mtype, 6) + "".join(rng.choice("01") for _ in range(nbits - 6))
        payload, fill = _armour(bits[:nbits])
        if rng.random() < 0.3:  # fill bits that cut the last character's bits
            fill = rng.randrange(6)
        sentence = _sentence(payload, fill, channel=rng.choice(["A", "B", "1", ""]))
        sentences.append(sentence)
        t = rng.choice([1635731889, 1635731889123, 99, 5_000_000_000_000])
        lines.append(_tagged(sentence, t) if rng.random() < 0.8 else sentence)
    taken = _assert_same_as_pyais(lines, sentences)
    assert 500 < int(taken.sum()) < 3000


def test_lines_left_to_pyais_and_quarantined_as_before(tmp_path):
    good, fill = _armour(_position_bits(1, 244000001, 2_600_000, 31_000_000, 100, 900, 45))
    ok = _sentence(good, fill)
    body = f"AIVDM,1,1,,A,{good[:10]}X{good[11:]},0"  # 'X' is no 6-bit character
    bad_char = f"!{body}*{nmea_checksum(body)}"
    wrong = ok[:-2] + ("01" if ok.endswith("00") else "00")
    body = f"AIVDM,2,1,3,A,{good},0"
    first_of_two = f"!{body}*{nmea_checksum(body)}"
    cases = {
        "good": (_tagged(ok, 1635731889), True),
        "untagged, no metadata": (ok, True),
        "receiver metadata after the checksum": (ok + ",1635731889", False),
        "bad sentence checksum": (_tagged(wrong, 1635731889), False),
        "bad tag checksum": ("\\s:rcv,c:1635731889*00\\" + ok, False),
        "tag without checksum": ("\\c:1635731889\\" + ok, False),
        "tag time not digits": (_tagged(ok, 16357318.5), False),  # type: ignore[arg-type]
        "short payload": (_tagged(_sentence(good[:20], 0), 1635731889), False),
        "overlong payload": (_tagged(_sentence(good + "0000", 0), 1635731889), True),
        "fill bits eat the heading": (_tagged(_sentence(good[:23], 5), 1635731889), False),
        "bad character": (_tagged(bad_char, 1635731889), False),
        "lower-case checksum": (ok[:-2] + ok[-2:].lower(), True),
        "leading blank": (" " + ok, False),
        "non-ASCII tag": ("\\s:é,c:1635731889*00\\" + ok, False),
        "empty payload": (_tagged(_sentence("", 0), 1635731889), False),
        "first of two fragments": (_tagged(first_of_two, 1635731889), False),
        "blank": ("", False),
        "comment": ("# a comment", False),
        "GPS": ("$GPGGA,1,2,3*00", False),
    }
    lines = [line for line, _ in cases.values()]
    taken = _block(lines).taken.tolist()
    assert dict(zip(cases, taken, strict=True)) == {k: v for k, (_, v) in cases.items()}
    path = tmp_path / "edges.nmea"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _assert_readers_equal(path)
    report = read_nmea(path).files[0]
    assert report["quarantined_by_reason"] == {
        "bad_checksum": 1,
        "empty_payload": 1,
        "incomplete_multipart": 1,
        "not_ais_sentence": 1,
        "undecodable_payload": 1,  # the short payload: pyais has no heading for it
    }
    assert report["positions"] == 12 and report["bad_tag_block_checksum"] == 2


def _text_bits(text: str, chars: int) -> str:
    """6-bit text (ITU-R M.1371-5 Annex 8, 6-bit ASCII), padded with '@'."""
    text = (text + "@" * chars)[:chars]
    return "".join(_field(ord(ch) - 64 if ord(ch) >= 64 else ord(ch), 6) for ch in text)


def _static24(mmsi: int, part: int, *, name: str = "", callsign: str = "", kind: int = 0) -> str:
    """Bits of a message 24 (ITU-R M.1371-5 Annex 8, message 24), part A or B."""
    head = _field(24, 6) + "00" + _field(mmsi, 30) + _field(part, 2)
    if part == 0:
        return head + _text_bits(name, 20)
    return (
        head
        + _field(kind, 8)
        + _text_bits("ABC", 3)
        + "0" * 24
        + _text_bits(callsign, 7)
        + "0" * 36
    )


def test_class_b_static_reports_go_to_pyais(tmp_path):
    reports = [
        _static24(538000001, 0, name="NAM CHAI 3"),
        _static24(538000001, 0, name=" PADDED @ NAME "),
        _static24(538000002, 0, name=""),  # all '@': no name
        _static24(538000002, 1, callsign="HSY5678", kind=30),
        _static24(538000003, 1, callsign="", kind=0),  # no call sign, no type
        _static24(981234567, 1, callsign="AUX1", kind=99),  # auxiliary craft (98...)
        _static24(538000004, 2, name="PART TWO"),  # no such part: pyais refuses it
        _static24(538000005, 0, name="SHORT")[:150],  # the name cut short
    ]
    lines = []
    for i, bits in enumerate(reports):
        payload, fill = _armour(bits)
        lines.append(_tagged(_sentence(payload, fill), 1635731889 + i))
    assert not _block(lines).taken.any()  # static data: pyais decodes it
    path = tmp_path / "static.nmea"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    _assert_readers_equal(path)
    report = read_nmea(path).files[0]
    assert report["static_reports"] == 7 and report["quarantined_by_reason"] == {
        "undecodable_payload": 1
    }


def test_corrupted_real_lines_equal_the_pyais_reader(tmp_path):
    """Each line of the tag-block file cut, spliced, or with a byte changed or dropped."""
    lines = shared_file("data", "ais", "nmea", "tagblock_20211101.nm4").read_bytes().splitlines()
    rng = random.Random(6)
    alphabet = b"!\\*,:c0123456789ABCDEFabcdefw@WX `\r\t\xe9"
    out = []
    for line in lines * 3:
        line = bytearray(line)
        for _ in range(rng.choice([0, 1, 1, 2])):
            op, i = rng.randrange(4), rng.randrange(len(line) + 1)
            if op == 0 and line:
                line[min(i, len(line) - 1)] = rng.choice(alphabet)
            elif op == 1:
                del line[i : i + 1]
            elif op == 2:
                line[i:i] = bytes([rng.choice(alphabet)])
            else:
                line = line[:i]
        out.append(bytes(line))
    path = tmp_path / "corrupted.nm4"
    path.write_bytes(b"\n".join(out) + b"\n")
    _assert_readers_equal(path)
    assert read_nmea(path).files[0]["positions"] > 1000


@pytest.mark.parametrize("end", [b"\r", b"\r\n", b"\n"])
def test_cr_only_line_ends_lose_no_sentence(tmp_path, end):
    """Classic Mac OS line ends (CR only): each sentence is a line of its own, as with
    LF or CRLF; a CR used to leave every sentence after the first in the first one's
    'receiver metadata', decoded by neither reader and counted nowhere."""
    lines = [
        _sentence(*_armour(_position_bits(1, 211000000 + i, 6_000_000, 3_000_000, 100, 900, 90)))
        for i in range(50)
    ]
    path = tmp_path / "cr.nmea"
    path.write_bytes(end.join(s.encode() for s in lines) + end)
    _assert_readers_equal(path)
    report = read_nmea(path).files[0]
    assert (report["rows_in"], report["positions"], report["quarantined"]) == (50, 50, 0)
    assert read_nmea(path).positions["mmsi"].tolist() == [str(211000000 + i) for i in range(50)]


def test_sentences_run_together_on_one_line_are_quarantined_not_lost(tmp_path):
    """Twenty sentences with their line ends lost (one line): the first used to be
    decoded and the other 19 taken for its receiver metadata, counted nowhere."""
    sentences = [
        _sentence(*_armour(_position_bits(1, 211000000 + i, 6_000_000, 3_000_000, 100, 900, 90)))
        for i in range(20)
    ]
    path = tmp_path / "joined.nmea"
    path.write_text("".join(sentences) + "\n" + sentences[0] + ",d-109,S2105*00\n")
    _assert_readers_equal(path)
    result = read_nmea(path)
    report = result.files[0]
    assert (report["rows_in"], report["positions"], report["quarantined"]) == (2, 1, 1)
    assert result.quarantine["reason"].tolist() == ["several_sentences"]
    assert result.quarantine["line"].tolist() == [1]


def test_a_tagged_sentence_with_another_run_on_is_quarantined_by_both_readers(tmp_path):
    """With a tag block's receive time, the vectorised reader still leaves a line with
    anything after the checksum to the line decoder."""
    a, b = (
        _sentence(*_armour(_position_bits(1, 211000000 + i, 6_000_000, 3_000_000, 100, 900, 90)))
        for i in range(2)
    )
    path = tmp_path / "tagged.nmea"
    path.write_text(_tagged(a, 1_636_000_000) + b + "\n" + _tagged(b, 1_636_000_001) + "\n")
    _assert_readers_equal(path)
    assert read_nmea(path).quarantine["reason"].tolist() == ["several_sentences"]
