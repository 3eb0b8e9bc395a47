"""The table of tips: what a hotline, an NGO, a consulate or a first responder reported.

Part of the database described in :mod:`vessel_risk.db.tables` (which re-exports
:class:`Tip`); the rules live in :mod:`vessel_risk.referral.tips`. A tip enters the same
review queue as the model's alerts: it is linked to the alert of the vessel it names, or
it is the queue item (an ``alerts`` row whose ``source`` is the tip's) of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vessel_risk.db.base import Base
from vessel_risk.db.crypto import EncryptedJSON


class Tip(Base):
    """One tip about a vessel or a person, from one entry point of the mechanism.

    ``source`` is the entry point (``hotline``, ``ngo``, ``consulate``,
    ``first_responder``, ``port_welfare``, ``other``); ``subject`` is ``vessel`` or
    ``person``. The vessel fields (MMSI, IMO, name, call sign, flag ISO3, port,
    ``last_seen`` UTC) are what the source said, unchecked. ``ilo_indicators`` lists the
    ILO forced-labour indicators the source observed (keys of
    :data:`vessel_risk.referral.standards.ILO_INDICATORS`); ``observed`` their account in
    their words and ``person`` only what the person or the source added about a person:
    both encrypted at rest (:class:`~vessel_risk.db.crypto.EncryptedJSON`), unreadable
    after ``retain_until`` and then purged (:mod:`vessel_risk.delivery.retention`).
    ``alert_id`` is the queue item the tip is on; ``linked`` is True when that item
    existed already (the tip was added to it), False when the tip made it. No score is
    ever given to a tip.
    """

    __tablename__ = "tips"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(16))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    linked: Mapped[bool] = mapped_column(Boolean, default=False)
    mmsi: Mapped[str | None] = mapped_column(String(9), index=True)
    imo: Mapped[str | None] = mapped_column(String(16))
    shipname: Mapped[str | None] = mapped_column(String(128))
    callsign: Mapped[str | None] = mapped_column(String(32))
    flag_iso3: Mapped[str | None] = mapped_column(String(3))
    port_label: Mapped[str | None] = mapped_column(String(128))
    port_iso3: Mapped[str | None] = mapped_column(String(3))
    last_seen: Mapped[datetime | None]
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    ilo_indicators: Mapped[list[Any]] = mapped_column(default=list)
    observed: Mapped[str | None] = mapped_column(EncryptedJSON)
    person: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    submitted_by: Mapped[str] = mapped_column(String(128))
    submitter_agency_id: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime]
    retain_until: Mapped[datetime]
