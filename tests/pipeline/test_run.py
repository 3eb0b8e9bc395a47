"""`vessel-risk run` end to end on the real squid-jigger file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import SQUID, shared_file
from vessel_risk.cli import app
from vessel_risk.db.tables import AlertRow
from vessel_risk.events.schemas import GapSchema, PortVisitSchema, PositionSchema, VoyageSchema
from vessel_risk.features.schemas import VesselFeatureSchema
from vessel_risk.frames import columns


def test_run_prints_report_path_and_alert_count(squid_run):
    out, output = squid_run
    output = " ".join(output.split())  # rich wraps long lines
    assert "Report: " in output and "report.html" in output
    n = len(pd.read_csv(out / "alerts.csv", dtype={"mmsi": str}))
    assert f"Ranked {n:,} alerts" in output
    # the commonest quarantine reason, with its count, so a run that keeps little says why
    reasons = pd.read_parquet(out / "quarantine.parquet")["reason"].value_counts()
    assert f"Quarantined most for: {reasons.index[0]} {reasons.iloc[0]:,}" in output


def test_outputs_have_the_published_columns(squid_run):
    out, _ = squid_run
    for name, schema in [
        ("positions", PositionSchema),
        ("port_visits", PortVisitSchema),
        ("voyages", VoyageSchema),
        ("gaps", GapSchema),
        ("vessel_features", VesselFeatureSchema),
    ]:
        frame = pd.read_parquet(out / f"{name}.parquet")
        # GeoParquet outputs add their point and its box after the published columns
        # (tests/pipeline/test_outputs.py).
        geo = ["geometry", "bbox"] if name in ("positions", "gaps") else []
        assert list(frame.columns) == [*columns(schema), *geo], name
        schema.validate(frame.drop(columns=geo))
    pos = pd.read_parquet(out / "positions.parquet")
    assert pos["mmsi"].str.len().eq(9).all()
    assert str(pos["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_accounting_balances(squid_run):
    out, _ = squid_run
    counts = json.loads((out / "ingest_report.json").read_text())
    assert counts["rows_in"] == 111_384
    assert (
        counts["rows_in"]
        == counts["positions_kept"] + counts["static_reports"] + counts["quarantined"]
    )
    assert sum(counts["quarantined_by_reason"].values()) == counts["quarantined"]
    q = pd.read_parquet(out / "quarantine.parquet")
    assert len(q) == counts["quarantined"] and q["reason"].notna().all()


def test_every_vessel_track_with_ten_kept_positions_has_a_feature_row(squid_run):
    out, _ = squid_run
    pos = pd.read_parquet(out / "positions.parquet")
    feats = pd.read_parquet(out / "vessel_features.parquet")
    n = pos.groupby(["mmsi", "track_id"]).size()
    assert set(n[n >= 10].index) <= set(zip(feats["mmsi"], feats["track_id"], strict=True))
    assert not feats.duplicated(["mmsi", "track_id", "year"]).any()


def test_iuu_names_and_invalid_150_mmsis(squid_run):
    out, _ = squid_run
    f = pd.read_parquet(out / "vessel_features.parquet")
    listed = f[f["iuu_listed"]]
    matched = " ".join(listed["iuu_match"])
    assert "LURONGYUANYU197" in matched and "LURONGYUANYU581" in matched
    assert "150400453" in set(listed["mmsi"])  # broadcast LURONGYUANYU 581
    # the match is per MMSI; its text says when the listed name was broadcast
    row = listed[(listed["mmsi"] == "150400453") & (listed["year"] == 2020)].iloc[0]
    assert "name LURONGYUANYU581 broadcast in 2021" in row["iuu_match"]
    f150 = f[f["mmsi"].str.startswith("150")]
    assert len(f150) > 0
    assert not f150["mmsi_valid"].any() and f150["flag_iso3"].isna().all()
    f412 = f[f["mmsi"].str.startswith("412")]
    first = f412["track_id"] == 0
    assert f412["mmsi_valid"].all() and (f412.loc[first, "flag_iso3"] == "CHN").all()
    # A second transmitter sending a 412 MMSI did not itself declare China: inferred.
    assert f412.loc[~first, "flag_iso3"].isna().all()
    assert (f412.loc[~first, "flag_inferred_iso3"] == "CHN").all()


def test_alerts_ranked_explained_and_stored(squid_run):
    out, _ = squid_run
    a = pd.read_csv(out / "alerts.csv", dtype={"mmsi": str})
    assert list(a["rank"]) == list(range(1, len(a) + 1))
    assert a["score"].is_monotonic_decreasing
    assert a["score"].between(0, 1).all()
    assert set(a["tier"]) <= {"high", "medium", "low", "insufficient data"}
    assert a["caveat"].str.contains("presumed victims").all()
    assert a["shipname"].str.contains("#", regex=False).any()  # names with '#' survive
    thin = a[(a["days_observed"] < 10) | (a["position_messages"] < 50)]
    assert (thin["tier"] == "insufficient data").all()
    top = a.iloc[0]
    assert top["tier"] == "high" and isinstance(top["indicator_1_reason"], str)
    geo = json.loads((out / "alerts.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and "crs" not in geo
    assert len(geo["features"]) == len(a)
    pt = next(f for f in geo["features"] if f["geometry"])
    lon, lat = pt["geometry"]["coordinates"]
    assert lon == pytest.approx(pt["properties"]["last_lon"], abs=1e-6)
    assert lat == pytest.approx(pt["properties"]["last_lat"], abs=1e-6)
    engine = create_engine(f"sqlite:///{out / 'vessel_risk.db'}")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AlertRow)) == len(a)
        first = s.scalars(select(AlertRow).order_by(AlertRow.rank)).first()
        assert first is not None and first.mmsi == top["mmsi"]


def test_each_alerts_coastal_states_are_recorded_by_the_rule_routing_uses(squid_run):
    """The run records every alert's coastal states (the client scopes read them), and
    they are what a notice made from the alert with the same port list routes by."""
    from vessel_risk.alerts.coastal import coastal_states
    from vessel_risk.db.tables import AlertCoastalState, EvidenceEvent
    from vessel_risk.geo.ports import PortIndex, read_ports

    out, _ = squid_run
    ports = PortIndex(read_ports(shared_file("data", "ports", "gfw_named_anchorages.csv.gz")))
    engine = create_engine(f"sqlite:///{out / 'vessel_risk.db'}")
    with Session(engine) as s:
        recorded = s.execute(select(AlertCoastalState.alert_id, AlertCoastalState.iso3)).all()
        by_alert: dict[int, set[str]] = {}
        for alert_id, iso3 in recorded:
            by_alert.setdefault(alert_id, set()).add(iso3)
        # 131 of 243 alerts on 2026-12-04 (China, Taiwan, Korea, Chile, Japan, ...), some
        # with more than one
        assert len(by_alert) > 100 and any(len(v) > 1 for v in by_alert.values())
        alerts = s.scalars(select(AlertRow).order_by(AlertRow.rank)).all()
        for alert in alerts[:40]:
            events = s.scalars(
                select(EvidenceEvent).where(EvidenceEvent.score_id == alert.score_id)
            ).all()
            assert sorted(by_alert.get(alert.id, set())) == coastal_states(events, ports)


def test_report_shows_counts_map_and_table(squid_run):
    out, _ = squid_run
    html = (out / "report.html").read_text()
    assert "messages in" in html and "111384" in html
    assert "on_land" in html and "data:image/png;base64," in html
    assert "Files read" in html and "squid_jiggers_2020_2023.parquet" in html
    assert "presumed victims" in html


def test_missing_input_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        app, ["run", "--ais", str(tmp_path / "nope.parquet"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())


def test_empty_and_garbage_files_are_clear_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(128, 256)) * 3)
    for path, words in ((empty, "is empty"), (garbage, "not a readable CSV")):
        result = CliRunner().invoke(app, ["run", "--ais", str(path), "--out", str(tmp_path / "o")])
        assert result.exit_code == 2, result.output
        assert words in " ".join(result.output.split())


def test_header_only_file_runs_to_zero_alerts(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("mmsi,timestamp,lat,lon,speed_knots,course,heading\n")
    result = CliRunner().invoke(app, ["run", "--ais", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "Ranked 0 alerts" in " ".join(result.output.split())


def test_inland_waters_keeps_a_river_vessel(tmp_path):
    danube = shared_file("data", "ais", "danube_vessel_2024_10days.parquet")
    runner = CliRunner()
    default = runner.invoke(app, ["run", "--ais", str(danube), "--out", str(tmp_path / "a")])
    assert default.exit_code == 0, default.output
    assert "--inland-waters" in " ".join(default.output.split())
    counts = json.loads((tmp_path / "a" / "ingest_report.json").read_text())
    assert counts["quarantined_by_reason"] == {"on_land": 4680}
    kept = runner.invoke(
        app, ["run", "--ais", str(danube), "--out", str(tmp_path / "b"), "--inland-waters"]
    )
    assert kept.exit_code == 0, kept.output
    counts = json.loads((tmp_path / "b" / "ingest_report.json").read_text())
    assert counts["positions_kept"] == 4680 and counts["quarantined"] == 0
    assert counts["vessel_years"] == 1


def test_bad_reference_file_fails_before_ingest(tmp_path):
    ports = tmp_path / "ports.csv"
    ports.write_text("a,b\n1,2\n")
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app, ["run", "--ais", str(shared_file(*SQUID)), "--out", str(out), "--ports", str(ports)]
    )
    assert result.exit_code == 2
    assert "must have a lat column" in " ".join(result.output.split())
    assert not out.exists()


EVENT_TABLES = ("port_visits", "voyages", "gaps", "loitering", "encounters", "vessel_features")


def test_many_partitions_give_the_alerts_and_events_of_one(tmp_path):
    """The per-partition stages and the cross-partition ones (encounters, gap classes)
    add up to the whole-file run, on the real file cut into 12 partitions."""
    from vessel_risk.pipeline import RunConfig, run

    refs = {
        "ais_paths": [shared_file(*SQUID)],
        "ports_path": shared_file("data", "ports", "gfw_named_anchorages.csv.gz"),
        "iuu_list_path": shared_file("data", "vessels", "combined_iuu_list_2026-04.csv"),
        "scorer": "baseline",
    }
    one = run(RunConfig(out_dir=tmp_path / "one", partitions=1, **refs))
    many = run(RunConfig(out_dir=tmp_path / "many", partitions=12, **refs))
    assert (one.partitions, many.partitions) == (1, 12)
    assert many.counts == one.counts
    assert one.counts["encounters"] > 0 and one.counts["gaps_by_class"]["coverage"] > 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "many" / "alerts.csv", dtype={"mmsi": str}),
        pd.read_csv(tmp_path / "one" / "alerts.csv", dtype={"mmsi": str}),
    )
    for name in EVENT_TABLES:
        # Same rows in the same order; sums over a partition (voyage distances are
        # differences of a running sum) may differ in the last bits.
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "many" / f"{name}.parquet"),
            pd.read_parquet(tmp_path / "one" / f"{name}.parquet"),
            check_exact=False,
            rtol=1e-9,
            obj=name,
        )
    key = ["mmsi", "timestamp"]
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "many" / "positions.parquet").sort_values(
            key, ignore_index=True
        ),
        pd.read_parquet(tmp_path / "one" / "positions.parquet").sort_values(key, ignore_index=True),
    )
    assert not list((tmp_path / "many").glob(".work-*"))  # the temporary store is gone


def test_bad_rows_balance_across_partitions(tmp_path):
    from vessel_risk.pipeline import RunConfig, run

    files = [
        shared_file("cases", "C06_multipart_fragments.nmea"),
        shared_file("cases", "C10_malformed_rows.csv"),
        shared_file("data", "ais", "nmea", "mixed_with_malformed.nmea"),
    ]
    one = run(RunConfig(out_dir=tmp_path / "one", ais_paths=files, partitions=1))
    many = run(RunConfig(out_dir=tmp_path / "many", ais_paths=files, partitions=8))
    c = many.counts
    assert c == one.counts
    assert c["rows_in"] == c["positions_kept"] + c["static_reports"] + c["quarantined"]
    assert len(pd.read_parquet(tmp_path / "many" / "quarantine.parquet")) == c["quarantined"]


def test_run_on_a_store_from_ingest(tmp_path):
    files = [shared_file("cases", "C10_malformed_rows.csv"), shared_file(*SQUID)]
    runner = CliRunner()
    store = tmp_path / "store"
    assert runner.invoke(app, ["ingest", *map(str, files), "--store", str(store)]).exit_code == 0
    from_store = runner.invoke(app, ["run", "--store", str(store), "--out", str(tmp_path / "a")])
    assert from_store.exit_code == 0, from_store.output
    args = [a for f in files for a in ("--ais", str(f))]
    from_files = runner.invoke(app, ["run", *args, "--out", str(tmp_path / "b")])
    assert from_files.exit_code == 0, from_files.output
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a" / "alerts.csv", dtype={"mmsi": str}),
        pd.read_csv(tmp_path / "b" / "alerts.csv", dtype={"mmsi": str}),
    )


def test_run_takes_files_or_a_store(tmp_path):
    runner = CliRunner()
    neither = runner.invoke(app, ["run", "--out", str(tmp_path / "o")])
    assert neither.exit_code == 2 and "--store" in " ".join(neither.output.split())
    path = tmp_path / "header.csv"
    path.write_text("mmsi,timestamp,lat,lon\n")
    both = runner.invoke(
        app, ["run", "--ais", str(path), "--store", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert both.exit_code == 2
    not_a_store = runner.invoke(
        app, ["run", "--store", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert not_a_store.exit_code == 2 and "not a store" in " ".join(not_a_store.output.split())


def test_unreadable_inputs_name_the_file_and_its_role(tmp_path):
    nmea = shared_file("data", "ais", "nmea", "receiver_log_201201.nmea")
    parquet = shared_file(*SQUID)
    header_only = tmp_path / "other.csv"
    header_only.write_text("hello world\n1\n")

    def fails(*args: str) -> str:
        result = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "o"), *args])
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    assert f"The port list file '{parquet}' could not be read" in fails(
        "--ais", str(nmea), "--ports", str(parquet)
    )
    assert f"The EEZ file '{header_only}' could not be read" in fails(
        "--ais", str(nmea), "--eez", str(header_only)
    )
    # With several AIS files, the one that is not AIS is named.
    assert f"'{header_only}': The AIS file's columns" in fails(
        "--ais", str(nmea), "--ais", str(header_only)
    )
    assert "is a folder, not a file (a store goes to --store)" in fails("--ais", str(tmp_path))


def test_a_run_without_alerts_still_writes_readable_tables(tmp_path):
    # The Danube barge is ~350 km inland: without --inland-waters every position is
    # quarantined on_land, so there is no vessel-year and no alert.
    out = tmp_path / "o"
    danube = shared_file("data", "ais", "danube_vessel_2024_10days.parquet")
    result = CliRunner().invoke(app, ["run", "--ais", str(danube), "--out", str(out)])
    assert result.exit_code == 0, result.output
    alerts = pd.read_csv(out / "alerts.csv")
    assert len(alerts) == 0 and {"rank", "mmsi", "score", "tier", "caveat"} <= set(alerts.columns)
    features = pd.read_parquet(out / "vessel_features.parquet")
    assert len(features) == 0 and list(features.columns) == columns(VesselFeatureSchema)
