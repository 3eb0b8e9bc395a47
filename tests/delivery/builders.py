"""Builders shared by the delivery tests.

Fixed time and secrets, an agency, notices queued for it, a row read back, and a fake
de-duplicating receiver.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tests.conftest import make_notices
from vessel_risk.db.tables import Agency, Delivery
from vessel_risk.delivery.outbox import enqueue
from vessel_risk.delivery.transports import OutboundMessage, SendResult

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()


def add_agency(s: Session, id_: str = "tha-md", transport: str = "webhook", **kw) -> Agency:
    """A Thai maritime authority reached by ``transport``, signing with ``NEW``."""
    agency = Agency(
        id=id_,
        name=kw.pop("name", "Thai Marine Department"),
        country_iso3=kw.pop("country_iso3", "THA"),
        role=kw.pop("role", "maritime_authority"),
        transport=transport,
        endpoint_url=kw.pop("endpoint_url", "http://127.0.0.1:9/hook"),
        secrets=kw.pop("secrets", [NEW]),
        **kw,
    )
    s.add(agency)
    s.flush()
    return agency


class FakeTransport:
    """Answers from a script per delivery id (default 200); a de-duplicating receiver."""

    def __init__(self, script: dict[str, list[SendResult]] | None = None) -> None:
        self.script = script or {}
        self.sent: list[OutboundMessage] = []
        self.seen: set[str] = set()

    def send(self, message: OutboundMessage) -> SendResult:
        self.sent.append(message)
        queue = self.script.get(message.delivery_id)
        if queue:
            return queue.pop(0)
        if message.delivery_id in self.seen:
            return SendResult(409, "already have it")
        self.seen.add(message.delivery_id)
        return SendResult(200)


def queued(engine, n=1, transport="webhook") -> list[str]:
    """The delivery ids of ``n`` approved notices queued at ``T0`` for one agency."""
    with Session(engine) as s, s.begin():
        notices = make_notices(s, n)
        agency = add_agency(s, transport=transport)
        return [enqueue(s, nt, [(agency, "flag_state")], now=T0)[0].id for nt in notices]


def load_row(engine, id_) -> Delivery:
    """The outbox row ``id_`` as it is in the database now, detached."""
    with Session(engine) as s:
        row = s.get(Delivery, id_)
        s.expunge(row)
        return row
