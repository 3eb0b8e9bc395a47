"""The chain of stages: one list, two per-partition passes, checks at each boundary."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pandera.errors
import pytest

from tests.builders import shared_file
from vessel_risk.events.fishing import load_fishing_model, packaged_model_dir
from vessel_risk.events.schemas import EnrichedPositionSchema
from vessel_risk.geo.ports import read_ports
from vessel_risk.geo.shore import ShoreDistance
from vessel_risk.ingest import read_many
from vessel_risk.pipeline import (
    CHAIN,
    STAGES,
    PartitionWork,
    References,
    RunConfig,
    first_pass,
    process,
    run,
    second_pass,
)
from vessel_risk.pipeline.stages import FIRST_PASS, SECOND_PASS, check_frame

PER_PARTITION_1 = ["clean", "transmitters", "identity", "distances"]
PER_PARTITION_2 = ["fishing", "port visits", "voyages", "gaps", "loitering", "features"]


@pytest.fixture(scope="module")
def refs() -> References:
    ports = read_ports(shared_file("data", "ports", "gfw_named_anchorages.csv.gz"))
    return References(shore=ShoreDistance(), ports=ports)


@pytest.fixture(scope="module")
def c09():
    """Case C09: one vessel, 500 positions at sea with a 30-hour gap; it fishes."""
    return read_many([shared_file("cases", "C09_thirty_hour_gap.csv")])


def test_the_chain_is_the_one_list_of_stage_names():
    assert STAGES == tuple(s.name for s in CHAIN)
    assert STAGES[0] == "ingest" and STAGES[-2:] == ("score", "write")
    assert [s.name for s in FIRST_PASS] == PER_PARTITION_1
    assert [s.name for s in SECOND_PASS] == PER_PARTITION_2
    across = [s.name for s in CHAIN if s.scope == "across partitions"]
    assert across == ["encounters", "vessels"]


def test_process_runs_the_chain_in_its_order(c09, refs):
    seen: list[str] = []
    process(c09, shore=refs.shore, ports=refs.ports, on_stage=seen.append)
    assert seen == [s for s in STAGES if s not in ("ingest", "write")]


def test_a_run_repeats_the_partition_stages_for_each_partition(tmp_path):
    files = [
        shared_file("cases", name) for name in ("C02_mmsi_forms.csv", "C10_malformed_rows.csv")
    ]
    seen: list[str] = []
    summary = run(RunConfig(out_dir=tmp_path, ais_paths=files, partitions=8), on_stage=seen.append)
    n = summary.partitions
    assert n >= 3  # partitions holding vessels
    once = ["ingest", "encounters", "vessels", "score", "write"]
    assert [s for s in seen if s in once] == once
    assert Counter(seen) == Counter(
        {**{s: n for s in PER_PARTITION_1 + PER_PARTITION_2}, **dict.fromkeys(once, 1)}
    )
    assert seen.index("encounters") == 1 + n * len(PER_PARTITION_1)


def test_the_first_pass_makes_the_enriched_positions(c09, refs):
    work = first_pass(PartitionWork(c09.positions, c09.static), refs, validate=True)
    EnrichedPositionSchema.validate(work.positions)
    assert len(work.positions) == 500 and not work.positions["in_port"].any()
    assert work.transmitters["max_simultaneous_transmitters"].tolist() == [1]


def test_debug_mode_stops_a_frame_that_breaks_its_schema(c09, refs):
    bad = c09.positions.assign(mmsi=c09.positions["mmsi"].str[:8])  # an 8-digit MMSI
    with pytest.raises(pandera.errors.SchemaError):
        first_pass(PartitionWork(bad, c09.static), refs, validate=True)
    enriched = first_pass(PartitionWork(c09.positions, c09.static), refs).positions
    with pytest.raises(pandera.errors.SchemaError):
        check_frame(enriched.drop(columns="in_port"), EnrichedPositionSchema)


def test_features_read_in_port_from_the_enriched_positions(c09, refs):
    """Fishing hours follow the frame's in_port column; they are never recomputed."""

    def fishing_hours(in_port: bool | None) -> float:
        work = first_pass(PartitionWork(c09.positions, c09.static), refs)
        if in_port is not None:
            work.positions = work.positions.assign(in_port=in_port)
        features = second_pass(work, refs).features
        return float(features["fishing_hours"].sum())

    as_enriched = fishing_hours(None)
    assert as_enriched == pytest.approx(83.0, abs=0.5)
    assert fishing_hours(False) == as_enriched  # C09 never comes near a port
    assert fishing_hours(True) == 0.0


def test_one_partition_of_a_run_equals_process(tmp_path, c09, refs):
    summary = run(
        RunConfig(
            out_dir=tmp_path,
            ais_paths=[shared_file("cases", "C09_thirty_hour_gap.csv")],
            ports_path=shared_file("data", "ports", "gfw_named_anchorages.csv.gz"),
        )
    )
    # run() uses the classifier shipped in the package, as RunConfig() does by default
    shipped = load_fishing_model(packaged_model_dir())
    assert shipped is not None
    whole = process(c09, shore=refs.shore, ports=refs.ports, fishing_model=shipped)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "vessel_features.parquet"), whole.features
    )
    assert summary.counts == whole.counts | {"files": summary.counts["files"]}


def test_debug_mode_checks_every_output_a_stage_declares(c09, refs, monkeypatch):
    """Every declared output is checked; a broken identity history is caught too."""
    from vessel_risk.pipeline import stages

    names = {name for s in CHAIN for name, _ in s.outputs}
    assert names == {
        "positions",
        "quarantine",
        "transmitters",
        "encounters",
        "visits",
        "voyages",
        "gaps",
        "loitering",
        "features",
        "identity",
    }
    seen = pd.Timestamp("2024-01-01", tz="UTC")
    never_broadcast = pd.DataFrame(
        {
            "mmsi": ["412000001"],
            "field": ["shipname"],
            "value": ["HAI YANG 7"],
            "first_seen": [seen],
            "last_seen": [seen],
            "messages": [0],
        }
    )
    monkeypatch.setattr(stages, "identity_history", lambda reports: never_broadcast)
    first_pass(PartitionWork(c09.positions, c09.static), refs)  # no check without debug mode
    with pytest.raises(pandera.errors.SchemaError, match="messages"):
        first_pass(PartitionWork(c09.positions, c09.static), refs, validate=True)
