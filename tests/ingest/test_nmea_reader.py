"""The NMEA reader streams a log in blocks: the chunks stack to the whole-log result.

:func:`~vessel_risk.ingest.nmea_reader.iter_nmea` yields each block's position reports,
then the static reports, quarantine and counts; whatever the block size, the stacked
chunks equal the pyais-only reference (``read_nmea(path, vectorised=False)``), and the
position store written from them equals the frames of :func:`read_nmea`.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pyais.encode import encode_dict

from tests.builders import shared_file
from vessel_risk.ingest import (
    IngestLimits,
    iter_ais,
    iter_nmea,
    iter_store_quarantine,
    merge_reports,
    read_nmea,
    read_partition,
    store_partitions,
    vessel_partition,
    write_store,
)
from vessel_risk.ingest.nmea import nmea_checksum

LIMITS = IngestLimits(max_line_bytes=200)


def _tagged(sentence: str, t: int) -> str:
    tag = f"s:rcv,c:{t}"
    return f"\\{tag}*{nmea_checksum(tag)}\\{sentence}"


def _sentences(data: dict[str, object], seq: int | None = None) -> list[str]:
    return encode_dict(data, talker_id="AI", sentence_type="VDM", seq_id=seq)


def _position(mmsi: int, lat: float) -> dict[str, object]:
    return {"type": 1, "mmsi": mmsi, "lat": lat, "lon": 4.25, "speed": 7.5, "course": 90.0}


def _split(sentence: str, seq: int) -> list[str]:
    """A single-sentence message sent as two fragments (``seq`` its sequence id)."""
    body = sentence[1 : sentence.index("*")].split(",")
    payload, fill = body[5], body[6]
    half = len(payload) // 2
    out = []
    for n, (part, bits) in enumerate(((payload[:half], "0"), (payload[half:], fill)), start=1):
        b = f"AIVDM,2,{n},{seq},A,{part},{bits}"
        out.append(f"!{b}*{nmea_checksum(b)}")
    return out


def _edge_log() -> list[str]:
    """Lines whose multipart messages and class B halves fall across any block edge."""
    t = 1_635_731_889
    static5 = _sentences(
        {
            "type": 5,
            "mmsi": 244000005,
            "shipname": "EDGE CASE",
            "callsign": "PD1234",
            "shiptype": 30,
            "destination": "IJMUIDEN",
        },
        seq=3,
    )
    b24a = _sentences({"type": 24, "mmsi": 244000024, "partno": 0, "shipname": "HALF A"})
    b24b = _sentences(
        {"type": 24, "mmsi": 244000024, "partno": 1, "callsign": "PB24", "ship_type": 30}
    )
    (one,) = _sentences(_position(244000001, 52.1))
    (split_pos,) = _sentences(_position(244000002, 52.2))
    (late,) = _sentences(_position(244000003, 52.3))
    return [
        _tagged(one, t),
        _tagged(static5[0], t + 1),  # type 5, part 1 of 2
        _tagged(static5[1], t + 1),  # part 2: the message ends here
        _tagged(b24a[0], t + 2),  # class B part A ...
        *(_tagged(s, t + 3) for s in _split(split_pos, 5)),  # a position in two fragments
        "",
        "# a comment",
        _tagged(one, t + 4),
        "!AIVDM,1,1,,A," + "1" * 250 + ",0*00",  # over max_line_bytes
        _tagged(b24b[0], t + 5),  # ... and part B, joined to part A across the log
        _tagged(static5[1], t + 6),  # a second part with no first: incomplete
        _tagged(late, t + 7),
        _tagged(_split(late, 7)[0], t + 8),  # never completed: quarantined at the end
    ]


def _assert_chunks_equal_reference(path, block_lines: int) -> list:
    chunks = list(iter_nmea(path, limits=LIMITS, block_lines=block_lines))
    ref = read_nmea(path, limits=LIMITS, vectorised=False)
    *blocks, last = chunks
    for chunk in chunks:
        (report,) = chunk.files
        assert chunk.balanced and report["positions"] == len(chunk.positions)
    for chunk in blocks:  # position chunks: nothing else
        assert len(chunk.positions) > 0 and chunk.static.empty and chunk.quarantine.empty
    stacked = pd.concat([c.positions for c in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(stacked, ref.positions)
    pd.testing.assert_frame_equal(last.static, ref.static)
    pd.testing.assert_frame_equal(last.quarantine, ref.quarantine)
    assert merge_reports([c.files[0] for c in chunks]) == ref.files[0]
    whole = read_nmea(path, limits=LIMITS, block_lines=block_lines)
    for name in ("positions", "static", "quarantine"):
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(ref, name))
    assert whole.files == ref.files
    return chunks


def test_multipart_messages_and_halves_across_every_block_edge(tmp_path):
    lines = _edge_log()
    path = tmp_path / "edges.nmea"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    ref = read_nmea(path, limits=LIMITS, vectorised=False)
    assert ref.positions["mmsi"].tolist() == ["244000001", "244000002", "244000001", "244000003"]
    assert ref.positions["line"].tolist() == [1.0, 5.0, 9.0, 13.0]  # the split one: its first
    assert ref.static["mmsi"].tolist() == ["244000005", "244000024", "244000024"]
    assert ref.static["callsign"].tolist() == ["PD1234", "PB24", "PB24"]  # halves joined
    assert ref.static["shipname"].tolist() == ["EDGE CASE", "HALF A", "HALF A"]
    assert list(zip(ref.quarantine["line"], ref.quarantine["reason"], strict=True)) == [
        (12.0, "incomplete_multipart"),
        (14.0, "incomplete_multipart"),
        (10.0, "line_too_long"),
    ]
    for block_lines in range(1, len(lines) + 2):  # every edge; one block; more than the log
        chunks = _assert_chunks_equal_reference(path, block_lines)
        edges = -(-len(lines) // block_lines)
        assert len(chunks) <= edges + 1
    # blocks of 5: the split position's fragments (lines 5 and 6) in two blocks
    assert [len(c.positions) for c in iter_nmea(path, limits=LIMITS, block_lines=5)] == [
        1,
        2,
        1,
        0,
    ]


def test_a_log_smaller_than_a_block_and_an_empty_log(tmp_path):
    path = tmp_path / "small.nmea"
    path.write_text("\n".join(_edge_log()[:3]) + "\n", encoding="ascii")
    chunks = _assert_chunks_equal_reference(path, 65_536)
    assert [(len(c.positions), len(c.static)) for c in chunks] == [(1, 0), (0, 1)]
    empty = tmp_path / "empty.nmea"
    empty.write_bytes(b"")
    (only,) = _assert_chunks_equal_reference(empty, 65_536)
    assert only.files[0]["rows_in"] == 0 and only.positions.empty
    with pytest.raises(ValueError, match="block_lines"):
        next(iter_nmea(path, block_lines=0))


def test_a_store_of_a_log_longer_than_a_block_equals_the_whole_log_frames(tmp_path):
    lines = shared_file("data", "ais", "nmea", "tagblock_20211101.nm4").read_bytes().splitlines()
    path = tmp_path / "long.nm4"
    path.write_bytes(b"\n".join(lines * 72) + b"\n")  # 66,024 lines: two blocks
    assert [len(c.positions) > 0 for c in iter_ais(path)] == [True, True, False]
    whole = read_nmea(path)
    write_store([path], tmp_path / "store", partitions=3)
    parts = vessel_partition(whole.positions["mmsi"], 3)
    static_parts = vessel_partition(whole.static["mmsi"], 3)
    assert store_partitions(tmp_path / "store") == [0, 1, 2]
    for n in (0, 1, 2):
        positions, static = read_partition(tmp_path / "store", n)
        want = whole.positions[parts == n].reset_index(drop=True)
        pd.testing.assert_frame_equal(positions, want)
        want_static = whole.static[static_parts == n].reset_index(drop=True)
        pd.testing.assert_frame_equal(static, want_static)
    quarantine = pd.concat(list(iter_store_quarantine(tmp_path / "store")), ignore_index=True)
    pd.testing.assert_frame_equal(quarantine, whole.quarantine)
    report = json.loads((tmp_path / "store" / "ingest_report.json").read_text())
    assert report == json.loads(json.dumps(whole.files))
    assert report[0]["positions"] == len(whole.positions) == 72 * 917
    assert (report[0]["static_reports"], report[0]["quarantined"]) == (72 * 42, 72 * 20)
    assert report[0]["multipart_messages"] == 72 * 18 and report[0]["vessels"] == 843
