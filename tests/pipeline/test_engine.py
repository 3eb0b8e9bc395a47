"""Where partitions run: in-process, a local Dask cluster, a real scheduler (tcp, tls).

The cluster tests start a real ``dask scheduler`` and ``dask worker`` processes on
localhost (free ports: the scheduler binds port 0 and writes its address to a file),
run real files through them and compare every output with the in-process run.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import SQUID, shared_file
from vessel_risk.events.fishing import packaged_model_dir
from vessel_risk.pipeline import RunConfig, run
from vessel_risk.pipeline.engine import Engine, check_scheduler, largest_first, tls_security
from vessel_risk.settings import Settings

TABLES = (
    "port_visits",
    "voyages",
    "gaps",
    "loitering",
    "encounters",
    "vessel_features",
    "vessel_links",
    "positions",
    "quarantine",
)


def square(x: int, offset: int = 0) -> int:
    return x * x + offset


def stamped(x: int) -> tuple[int, int]:
    return x, time.monotonic_ns()


def received(x: int, value: object) -> tuple[int, object]:
    return x, value


def heap_blocks_mapped(size: int) -> tuple[str | None, int, str]:
    """Dask's trim setting in this worker's environment, the blocks glibc gave their
    own memory map (``mallinfo2().hblks``) for one array of ``size`` bytes, and the
    backend of Arrow's default pool."""
    import ctypes
    import ctypes.util

    import numpy as np
    import pyarrow as pa

    class Info(ctypes.Structure):  # glibc's struct mallinfo2, whole (returned by value)
        _fields_ = [
            (n, ctypes.c_size_t)
            for n in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks "
            "keepcost".split()
        ]

    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.mallinfo2.restype = Info
    before = libc.mallinfo2().hblks
    array = np.ones(size, dtype="uint8")
    mapped = libc.mallinfo2().hblks - before
    del array
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), mapped, pa.default_memory_pool().backend_name


def assert_same_outputs(got: Path, want: Path) -> None:
    """Every table equal (features to 1e-9; in fact to the bit) and the same alerts."""
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(got / f"{name}.parquet"),
            pd.read_parquet(want / f"{name}.parquet"),
            check_exact=False,
            rtol=1e-9,
            atol=0,
            obj=name,
        )
    pd.testing.assert_frame_equal(
        pd.read_csv(got / "alerts.csv", dtype=str), pd.read_csv(want / "alerts.csv", dtype=str)
    )


# --- choosing a scheduler ---------------------------------------------------------------


@pytest.mark.parametrize("good", ["sync", "processes", "tcp://10.0.0.5:8786", "tls://sched:8786"])
def test_scheduler_names_and_addresses_are_accepted(good):
    check_scheduler(good)


@pytest.mark.parametrize(
    ("scheduler", "workers", "message"),
    [
        ("threads", None, "must be 'sync', 'processes' or a Dask scheduler address"),
        ("tcp://host", None, "tcp://10.0.0.5:8786"),
        ("http://host:8786", None, "Got 'http://host:8786'"),
        ("processes", 0, "--workers must be a whole number >= 1. Got 0"),
        ("sync", 2, "--workers sets the size of the local cluster"),
    ],
)
def test_a_bad_scheduler_is_a_clear_error(tmp_path, scheduler, workers, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        check_scheduler(scheduler, workers)
    files = [shared_file("cases", "C02_mmsi_forms.csv")]
    with pytest.raises(ValueError, match="--"):
        RunConfig(out_dir=tmp_path, ais_paths=files, scheduler=scheduler, workers=workers)


def test_tls_needs_all_three_certificate_settings(tmp_path):
    with pytest.raises(ValueError, match="VESSEL_RISK_DASK_TLS_CERT, VESSEL_RISK_DASK_TLS_KEY"):
        tls_security(Settings(dask_tls_ca=tmp_path / "ca.pem"))
    with pytest.raises(ValueError, match="VESSEL_RISK_DASK_TLS_CA names .*ca.pem"):
        tls_security(
            Settings(
                dask_tls_ca=tmp_path / "ca.pem",
                dask_tls_cert=tmp_path / "c.pem",
                dask_tls_key=tmp_path / "k.pem",
            )
        )


def test_sync_maps_in_this_process_in_order():
    done: list[tuple[int, int]] = []
    with Engine("sync") as engine:
        assert not engine.distributed and engine.worker_count == 1
        assert engine.share(pd) is pd  # nothing is copied in this process
        assert engine.map(square, [3, 1, 2], offset=1, on_done=lambda d, n: done.append((d, n)))
        result = engine.map(square, [3, 1, 2], offset=1)
    assert result == [10, 2, 5]
    assert done == [(1, 3), (2, 3), (3, 3)]


def test_largest_first_orders_by_size_then_position():
    assert largest_first([5, 9, 5, 1, 9]) == [1, 4, 0, 2, 3]
    assert largest_first([]) == []


# --- a local cluster --------------------------------------------------------------------


def test_processes_start_the_largest_first_and_return_in_input_order():
    items = [2, 9, 5, 7, 1, 8]
    with Engine("processes", workers=1) as engine:
        got = engine.map(stamped, items, sizes=items)
        with pytest.raises(ValueError, match="sizes has 2 values for 6 items"):
            engine.map(stamped, items, sizes=[1, 2])
        # Nothing to map: nothing runs. A shared collection, empty or not, reaches the
        # tasks whole (an empty set once failed in Dask's scatter).
        assert engine.map(stamped, []) == []
        assert engine.map(received, [1], engine.share(set())) == [(1, set())]
        assert engine.map(received, [1], engine.share((3, {"a"}))) == [(1, (3, {"a"}))]
    assert [x for x, _ in got] == items  # results in the order of the items
    # One worker takes one task at a time, the waiting one of highest priority.
    assert [x for x, _ in sorted(got, key=lambda r: r[1])] == [9, 8, 7, 5, 2, 1]


def test_a_cluster_closed_later_stops_on_a_thread_that_wait_closed_joins():
    engine = Engine("processes", workers=1, close_later=True)
    with engine:
        assert engine.map(square, [3, 1], offset=1) == [10, 2]
        cluster = engine._cluster
    assert cluster is not None and engine._closing is not None  # stopping on its thread
    engine.wait_closed()
    assert engine._closing is None and cluster.status.name == "closed"
    engine.wait_closed()  # nothing left to wait for


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc only")
def test_workers_keep_large_arrays_in_their_heap_as_this_process_does():
    """Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536, which also fixes
    glibc's memory-map threshold at 128 KiB (every column array a fresh map: the first
    pass took 1.6x the CPU); the engine's worker plugin sets the thresholds glibc
    settles at, so a 16 MiB array comes from the heap, as in a plain process. It also
    gives each worker the Arrow pool that hands freed buffers back (jemalloc)."""
    with Engine("processes", workers=1) as engine:
        [(trim, mapped, pool)] = engine.map(heap_blocks_mapped, [16 * 2**20])
    assert trim == "65536"  # Dask's setting is there ...
    assert mapped == 0  # ... and undone
    assert pool == "jemalloc"


def profiling(_: int) -> bool:
    """Whether this worker runs Dask's statistical profiler."""
    from distributed import get_worker

    return "profile" in get_worker().periodic_callbacks


def test_local_workers_run_without_the_statistical_profiler():
    """Dask's worker profiler takes the GIL every 10 ms to sample the task's stack: 5 % of
    the tasks' CPU with both cores busy. The engine's local cluster starts without it."""
    with Engine("processes", workers=1) as engine:
        assert engine.map(profiling, [0]) == [False]
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        [worker] = cluster.workers.values()
        assert "profile" in worker.periodic_callbacks  # Dask's default, for contrast


def test_a_cluster_started_in_the_background_is_waited_for():
    engine = Engine("processes", workers=1, start_in_background=True)
    with engine:
        assert engine._starting is not None  # entering did not wait for the workers
        assert engine.map(square, [3, 4], offset=1) == [10, 17]
        assert engine._starting is None and engine.worker_count == 1
    # Left at once, while still starting: the start is waited for, then the cluster stops.
    engine = Engine("processes", workers=1, start_in_background=True)
    with engine:
        pass
    assert engine._cluster is None and engine._client is None


def test_a_cluster_that_cannot_start_raises_when_first_used(monkeypatch):
    engine = Engine("processes", workers=1, start_in_background=True)

    def broken() -> None:
        raise OSError("no processes left")

    monkeypatch.setattr(engine, "_start_local", broken)
    with pytest.raises(OSError, match="no processes left"), engine:
        engine.map(square, [1])


def test_processes_give_the_outputs_of_the_in_process_run(tmp_path):
    files = [
        shared_file("cases", name) for name in ("C02_mmsi_forms.csv", "C10_malformed_rows.csv")
    ]
    seen: dict[str, list[str]] = {"sync": [], "processes": []}
    summaries = {}
    for mode in seen:
        summaries[mode] = run(
            RunConfig(
                out_dir=tmp_path / mode,
                ais_paths=files,
                partitions=8,
                scheduler=mode,
                workers=2 if mode == "processes" else None,
                scorer="baseline",
            ),
            on_stage=seen[mode].append,
        )
    assert_same_outputs(tmp_path / "processes", tmp_path / "sync")
    assert summaries["processes"].counts == summaries["sync"].counts
    # Every stage is reported as often (per partition) whichever way the partitions ran.
    assert Counter(seen["processes"]) == Counter(seen["sync"])
    workers = {k for k in summaries["processes"].peak_memory_mib if k != "driver"}
    assert 1 <= len(workers) <= 2 and os.getpid() not in {int(w.split(":")[1]) for w in workers}
    assert set(summaries["sync"].peak_memory_mib) == {"driver"}
    assert summaries["sync"].stage_seconds.keys() == summaries["processes"].stage_seconds.keys()


# --- a real scheduler and workers, as another machine would run them ----------------------


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and one certificate signed by it for localhost / 127.0.0.1 (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("vessel-risk test CA"))
        .issuer_name(name("vessel-risk test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@contextmanager
def dask_cluster(
    folder: Path, workers: int, tls: tuple[Path, Path, Path] | None = None
) -> Iterator[str]:
    """``dask scheduler`` and ``workers`` × ``dask worker`` on localhost; yields the address.

    The scheduler binds a free port (port 0) and writes its address to a file the
    workers read. Every process is stopped on exit.
    """
    import json

    import vessel_risk

    env = {**os.environ, "PYTHONPATH": str(Path(vessel_risk.__file__).parents[1])}
    env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    env.pop("ARROW_DEFAULT_MEMORY_POOL", None)  # as a shell starts them: import vessel_risk set it
    address_file = folder / "scheduler.json"
    security: list[str] = []
    if tls is not None:
        ca, cert, key = tls
        security = ["--tls-ca-file", str(ca), "--tls-cert", str(cert), "--tls-key", str(key)]
    common = ["--scheduler-file", str(address_file), "--no-dashboard", *security]
    protocol = ["--protocol", "tls"] if tls else []
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", *protocol, *common],
            env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            assert procs[0].poll() is None, "the dask scheduler exited"
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "distributed.cli.dask_worker", "--nworkers", "1",
                     "--nthreads", "1", "--host", "127.0.0.1", *common],
                    env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        from distributed import Client

        sec = None
        if tls is not None:
            sec = tls_security(Settings(dask_tls_ca=ca, dask_tls_cert=cert, dask_tls_key=key))
        with Client(address, security=sec, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_squid_file_through_a_scheduler_and_two_workers_equals_the_in_process_run(tmp_path):
    from vessel_risk.ingest import write_store

    def arrow_pools() -> tuple[str | None, str, bool, bool]:
        """In a worker: ``ARROW_DEFAULT_MEMORY_POOL``, the backend of pyarrow's default
        pool, and whether an Arrow IPC read (LZ4, decompressed by Arrow's C++ with the
        pool the variable named when pyarrow loaded) allocated from jemalloc and from
        mimalloc. Local: sent by value (these workers cannot import ``tests``)."""
        import io

        import pyarrow as pa
        from pyarrow import feather

        sink = io.BytesIO()
        feather.write_feather(pa.table({"x": list(range(100_000))}), sink, compression="lz4")
        je, mi = pa.jemalloc_memory_pool(), pa.mimalloc_memory_pool()
        before = je.bytes_allocated(), mi.bytes_allocated()
        table = feather.read_table(io.BytesIO(sink.getvalue()))
        grew = je.bytes_allocated() > before[0], mi.bytes_allocated() > before[1]
        del table
        backend = pa.default_memory_pool().backend_name
        return os.environ.get("ARROW_DEFAULT_MEMORY_POOL"), backend, *grew

    store = tmp_path / "store"
    write_store([shared_file(*SQUID)], store, partitions=4)
    common = {"position_store": store, "scorer": "baseline"}
    sync = run(RunConfig(out_dir=tmp_path / "sync", **common))
    with dask_cluster(tmp_path, workers=2) as address:
        assert address.startswith("tcp://127.0.0.1:")
        remote = run(RunConfig(out_dir=tmp_path / "remote", scheduler=address, **common))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            pools = client.run(arrow_pools)
    # Workers started without ARROW_DEFAULT_MEMORY_POOL: the engine's plugin imported
    # vessel_risk before pyarrow, so Arrow's own readers allocate from jemalloc too.
    assert list(pools.values()) == [("jemalloc", "jemalloc", True, False)] * 2
    assert remote.partitions == sync.partitions == 4
    assert remote.alerts == sync.alerts > 0
    # A store run is incremental (pipeline.incremental) in every mode: the first one
    # into a folder computes everything.
    assert sync.counts["incremental"]["appends_taken_in"] == 1
    assert remote.counts == sync.counts
    assert_same_outputs(tmp_path / "remote", tmp_path / "sync")
    workers = [k for k in remote.peak_memory_mib if k != "driver"]
    assert len(workers) == 2  # both workers took partitions


def test_a_tls_scheduler_takes_certificates_from_the_settings(tmp_path, monkeypatch):
    files = [shared_file("cases", "C02_mmsi_forms.csv")]
    tls = _certificates(tmp_path)
    for name, path in zip(("CA", "CERT", "KEY"), tls, strict=True):
        monkeypatch.setenv(f"VESSEL_RISK_DASK_TLS_{name}", str(path))
    sync = run(RunConfig(out_dir=tmp_path / "sync", ais_paths=files, scorer="baseline"))
    with dask_cluster(tmp_path, workers=1, tls=tls) as address:
        assert address.startswith("tls://127.0.0.1:")
        remote = run(
            RunConfig(
                out_dir=tmp_path / "tls", ais_paths=files, scheduler=address, scorer="baseline"
            )
        )
    assert remote.counts == sync.counts
    assert_same_outputs(tmp_path / "tls", tmp_path / "sync")


def test_the_run_references_survive_a_pickle_round_trip(tmp_path):
    """Everything a partition task is sent (ports, lists, zones, shore grid, fishing
    model) gives the same answers after pickling, as on a Dask worker."""
    import pickle

    import numpy as np

    from vessel_risk.geo.ports import PortIndex
    from vessel_risk.pipeline import load_references
    from vessel_risk.pipeline.stages import PartitionWork, first_pass

    config = RunConfig(
        out_dir=tmp_path,
        ais_paths=[shared_file(*SQUID)],
        ports_path=shared_file("data", "ports", "gfw_named_anchorages.csv.gz"),
        iuu_list_path=shared_file("data", "vessels", "combined_iuu_list_2026-04.csv"),
        carriers_path=shared_file("data", "vessels", "reefers.csv"),
        psma_parties_path=shared_file("data", "ports", "psma_parties.csv"),
        fishing_model_dir=packaged_model_dir(),
    )
    refs = load_references(config)
    copy = pickle.loads(pickle.dumps(refs))
    assert refs.fishing_model is not None and copy.fishing_model is not None
    lat, lon = [5.5, 5.35, -45.0, 39.0], [104.0, 103.2, -60.0, 140.0]
    np.testing.assert_array_equal(copy.shore(lat, lon), refs.shore(lat, lon))
    near, near_copy = (
        PortIndex(refs.ports).nearest(lat, lon),
        PortIndex(copy.ports).nearest(lat, lon),
    )
    np.testing.assert_array_equal(near_copy.distance_km, near.distance_km)
    np.testing.assert_array_equal(near_copy.index, near.index)
    pd.testing.assert_frame_equal(copy.iuu_keys, refs.iuu_keys)
    pd.testing.assert_frame_equal(copy.psma_parties, refs.psma_parties)
    assert copy.carriers == refs.carriers and len(refs.carriers) > 100
    # A partition's first pass and fishing scores agree with the copy, on real positions.
    from vessel_risk.events.fishing import fishing_scores
    from vessel_risk.ingest import read_ais

    ingested = read_ais(shared_file("cases", "C02_mmsi_forms.csv"))
    works = [
        first_pass(PartitionWork(ingested.positions, ingested.static), r) for r in (refs, copy)
    ]
    pd.testing.assert_frame_equal(works[1].positions, works[0].positions)
    assert works[0].positions["distance_from_shore_km"].notna().any()
    scores = [
        fishing_scores(w.positions, r.fishing_model.classifier)
        for w, r in zip(works, (refs, copy), strict=True)
    ]
    pd.testing.assert_frame_equal(pd.DataFrame(scores[1]), pd.DataFrame(scores[0]))


def test_progress_counts_tasks_per_pass_in_this_process(tmp_path):
    files = [shared_file("cases", "C02_mmsi_forms.csv")]
    steps: list[tuple[str, int, int]] = []
    parts: list[tuple[int, int]] = []
    summary = run(
        RunConfig(out_dir=tmp_path, ais_paths=files, partitions=3, scorer="baseline"),
        on_progress=lambda step, done, total: steps.append((step, done, total)),
        on_partition=lambda index, count: parts.append((index, count)),
    )
    n = summary.partitions
    for step in ("first pass", "second pass"):
        assert [(d, t) for s, d, t in steps if s == step] == [(d, n) for d in range(n + 1)]
    assert parts == [(k, n) for k in range(n)] * 2
    windows = [t for s, _, t in steps if s == "encounters"]
    assert windows and set(windows) == {windows[0]} and windows[0] >= 1


def test_a_local_cluster_serves_its_dashboard_on_a_free_loopback_port(recwarn):
    """Not on :8787 of every interface, warning the user when another cluster holds it
    (newcomer trial, session 7)."""
    import socket

    taken = socket.socket()
    try:
        taken.bind(("", 8787))
        taken.listen()
    except OSError:  # already taken by something else: the case itself
        pass
    try:
        with Engine("processes", 1) as cluster:
            link = cluster._cluster.dashboard_link
    finally:
        taken.close()
    assert link.startswith("http://127.0.0.1:") and ":8787/" not in link
    assert not [w for w in recwarn if "8787" in str(w.message)]
