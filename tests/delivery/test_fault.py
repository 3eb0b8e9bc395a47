"""The fault test of issue 5: 1,000 notices arrive exactly once through failures.

A local receiver on 127.0.0.1 (stdlib ``ThreadingHTTPServer`` in this process) verifies
each Standard Webhooks signature, fails every third request with 500, times out on
some (it sleeps past the worker's HTTP timeout, some after having processed the
notice), and is stopped and restarted on the same port mid-run. The delivery worker
runs in a subprocess (the ``vessel-risk deliver`` loop); it is killed with SIGKILL
while a batch is in flight, and a second worker is started. The receiver processes a
notice only the first time it sees its ``webhook-id`` (answering 409 afterwards) and
counts raw POSTs and distinct keys. At the end: 1,000 distinct keys, one per delivery,
none lost, every delivery ``delivered``, none dead.

Runs on SQLite and PostgreSQL (the ``engine`` fixture), in well under a minute each:
the worker's backoff is 0.05-0.5 s and its lease 3 s, set through its options. Every
loop is bounded by a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import ROOT, make_notices
from vessel_risk.db.tables import Agency, Delivery, DeliveryAttempt
from vessel_risk.delivery import WebhookVerificationError, enqueue, generate_secret, verify

N_NOTICES = 1000
CLIENT_TIMEOUT_S = 0.5
DEADLINE_S = 60.0
"""Longest the delivery phase may take (after enqueuing), in seconds."""


class Receiver:
    """A de-duplicating webhook receiver with injected faults; counts everything."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.lock = threading.Lock()
        self.raw_posts = 0
        self.processed: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.restarts = 0

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, bytes]:
        length = int(handler.headers.get("content-length", 0))
        body = handler.rfile.read(length)
        if len(body) < length:
            # The sender died mid-request (the SIGKILLed worker): nothing to verify.
            with self.lock:
                self.answers["truncated body"] += 1
            return 400, b"truncated body"
        headers = {k: v for k, v in handler.headers.items()}
        try:
            key = verify([self.secret], headers, body)
        except WebhookVerificationError:
            with self.lock:
                self.answers["401 bad signature"] += 1
            return 401, b"bad signature"
        same_key = handler.headers.get("Idempotency-Key") == f'"{key}"'
        if not same_key or json.loads(body)["data"]["delivery_id"] != key:
            with self.lock:
                self.answers["400 key mismatch"] += 1
            return 400, b"Idempotency-Key, webhook-id and delivery_id differ"
        with self.lock:
            self.raw_posts += 1
            n = self.raw_posts
            if n % 3 == 0:
                self.answers["500"] += 1
                return 500, b"injected failure"
            if n % 40 == 1:  # slow before doing anything: a timeout, nothing processed
                self.answers["timeout before processing"] += 1
                slow_first = True
            elif key in self.processed:
                self.answers["409 duplicate"] += 1
                return 409, b"already have it"
            else:
                self.processed[key] += 1
                slow_first = False
                if n % 40 == 21:  # processed, then too slow to answer: a timeout
                    self.answers["timeout after processing"] += 1
                else:
                    self.answers["200"] += 1
                    return 200, b"ok"
        time.sleep(CLIENT_TIMEOUT_S + 0.5)
        return (503, b"gave up") if slow_first else (200, b"ok, late")

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                code, text = receiver.handle(self)
                try:
                    self.send_response(code)
                    self.send_header("content-length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except OSError:
                    pass  # the client timed out and went away

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def restart(self, down_s: float) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()
        self.restarts += 1


def _status_counts(engine) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {status: n for status, n in rows}


def _leased_by(engine, owner: str) -> int:
    with Session(engine) as s:
        return s.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == "pending", Delivery.lease_owner == owner)
        )


WORKER = """
import sys
import time
from vessel_risk.delivery import run_worker
from vessel_risk.db.engine import make_engine

url, worker_id, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
total = run_worker(
    make_engine(url),
    worker_id=worker_id,
    interval_s=0.1,
    batch=100,
    concurrency=16,
    timeout_s=timeout_s,
    allow_local=True,  # the receiver is on 127.0.0.1
    base_delay_s=0.05,
    max_delay_s=0.5,
    lease_s=3.0,
    max_attempts=40,
    on_pass=lambda c, t: print(round(time.time(), 2), t.passes, c.as_dict(), flush=True),
)
print("stopped", total.as_dict(), flush=True)
"""


def _worker(url: str, worker_id: str, log: Path) -> subprocess.Popen:
    """The loop of ``vessel-risk deliver`` (:func:`run_worker`, its SIGTERM handling
    included) in a subprocess; a small script rather than the CLI, whose module imports
    the whole pipeline (about 10 s on this machine) before the worker starts."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    args = [sys.executable, "-c", WORKER, url, worker_id, str(CLIENT_TIMEOUT_S)]
    return subprocess.Popen(
        args, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=str(ROOT)
    )


def _wait(condition, deadline: float, what: str, procs=()) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"the worker exited ({p.returncode}) while waiting for {what}")
        time.sleep(0.2)


def test_1000_notices_arrive_exactly_once_through_failures_restarts_and_sigkill(engine, tmp_path):
    started = time.monotonic()
    secret = generate_secret()
    receiver = Receiver(secret)
    receiver.start()
    with Session(engine) as s, s.begin():
        agency = Agency(
            id="test-receiver",
            name="Loopback receiver",
            country_iso3="THA",
            role="nrm_case_system",
            transport="webhook",
            endpoint_url=f"http://127.0.0.1:{receiver.port}/notices",
            secrets=[secret],
        )
        s.add(agency)
        for notice in make_notices(s, N_NOTICES):
            enqueue(s, notice, [(agency, "nrm_case_system")])
    with Session(engine) as s:
        ids = set(s.scalars(select(Delivery.id)))
    assert len(ids) == N_NOTICES
    if engine.dialect.name == "sqlite":
        # Write-ahead logging: one fsync per commit instead of several (about 7 ms
        # instead of 19 ms here), which a worker recording each attempt needs.
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar() == "wal"
    setup_s = time.monotonic() - started
    deadline = time.monotonic() + DEADLINE_S
    url = engine.url.render_as_string(hide_password=False)
    procs: list[subprocess.Popen] = []
    try:
        first = _worker(url, "worker-1", tmp_path / "worker-1.log")
        procs.append(first)

        # Restart the receiver once a third of the notices have reached it.
        _wait(lambda: len(receiver.processed) >= N_NOTICES // 3, deadline, "a third", procs)
        receiver.restart(down_s=1.0)

        # Kill the worker with SIGKILL mid-batch: rows leased by it, in flight.
        _wait(
            lambda: (
                _status_counts(engine).get("delivered", 0) >= N_NOTICES // 2
                and _leased_by(engine, "worker-1") > 0
            ),
            deadline,
            "half delivered with a batch in flight",
            procs,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        orphaned = _leased_by(engine, "worker-1")
        delivered_at_kill = _status_counts(engine).get("delivered", 0)

        second = _worker(url, "worker-2", tmp_path / "worker-2.log")
        procs.append(second)
        _wait(
            lambda: _status_counts(engine).get("delivered", 0) == N_NOTICES,
            deadline,
            "every notice delivered",
            [second],
        )
        second.send_signal(signal.SIGTERM)  # stops cleanly after the pass in flight
        assert second.wait(timeout=15) == 0, (tmp_path / "worker-2.log").read_text()
        assert "stopped" in (tmp_path / "worker-2.log").read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        receiver.stop()
    duration_s = time.monotonic() - started

    with Session(engine) as s:
        attempt_rows = s.scalar(select(func.count()).select_from(DeliveryAttempt))
        leases = s.scalar(select(func.sum(Delivery.attempts)))
        connect_errors = s.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.error.like("ConnectError%"))
        )
        timeouts = s.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.error.like("timeout after%"))
        )
    statuses = _status_counts(engine)
    report = {
        "db": engine.dialect.name,
        "raw_posts": receiver.raw_posts,
        "distinct_keys": len(receiver.processed),
        "answers": dict(receiver.answers),
        "attempt_rows": attempt_rows,
        "leases": leases,
        "retries": leases - N_NOTICES,
        "connect_errors_during_restart": connect_errors,
        "client_timeouts": timeouts,
        "orphaned_by_sigkill": orphaned,
        "delivered_at_kill": delivered_at_kill,
        "statuses": statuses,
        "setup_s": round(setup_s, 1),
        "duration_s": round(duration_s, 1),
    }
    print(json.dumps(report))

    # Exactly once at the receiver, none lost.
    assert len(receiver.processed) == N_NOTICES
    assert set(receiver.processed) == ids
    assert set(receiver.processed.values()) == {1}
    assert statuses == {"delivered": N_NOTICES}
    # The faults happened: a third failed, some timed out, the receiver restarted, the
    # first worker died holding leases, and re-sends were de-duplicated.
    assert first.returncode == -signal.SIGKILL
    assert orphaned > 0
    assert receiver.restarts == 1
    assert receiver.answers["500"] == receiver.raw_posts // 3
    assert receiver.answers["timeout after processing"] > 0
    assert receiver.answers["timeout before processing"] > 0
    assert receiver.answers["409 duplicate"] > 0
    assert receiver.answers["401 bad signature"] == 0
    assert receiver.answers["400 key mismatch"] == 0
    assert receiver.raw_posts > 1.4 * N_NOTICES
    assert timeouts > 0
    assert duration_s - setup_s < DEADLINE_S
