"""tips: the mechanism's other entry points in the review queue (issue 18, part 5)

Adds the ``tips`` table (:mod:`vessel_risk.db.tips`). Alerts gain ``source`` (``model``
for every existing row), ``reported_by`` (the tip sources that also reported the
vessel), ``tip_urgency`` (where an unscored tip sits in the queue) and the queue's
order as two stored generated columns, ``queue_band`` and ``queue_key``, indexed with
``id``. A tip's own queue
item has no vessel-period, score, rank or model version, and may have no MMSI: those
columns of ``alerts`` become nullable, and so do ``referral_notices.score_id`` and
``referral_notices.mmsi`` (a notice created from a tip).

Revision ID: 0007_tips
Revises: 0006_cases
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from vessel_risk.db.crypto import EncryptedJSON

# The expressions as this revision wrote them (tables.py may change them in a later one).
QUEUE_BAND_SQL = (
    "CASE WHEN source <> 'model' THEN 1 WHEN tier IN ('high', 'medium') THEN 2 "
    "WHEN tip_urgency IS NOT NULL THEN 1 ELSE 0 END"
)
QUEUE_KEY_SQL = (
    "CASE WHEN source <> 'model' OR (tier NOT IN ('high', 'medium') AND tip_urgency IS NOT "
    "NULL) THEN COALESCE(tip_urgency, 0) ELSE COALESCE(score, 0) END"
)

revision = "0007_tips"
down_revision = "0006_cases"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_ALERT_NULLABLE: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("vessel_period_id", sa.Integer()),
    ("score_id", sa.Integer()),
    ("mmsi", sa.String(9)),
    ("score", sa.Float()),
    ("rank", sa.Integer()),
    ("model_version", sa.String(64)),
)
_NOTICE_NULLABLE: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("score_id", sa.Integer()),
    ("mmsi", sa.String(9)),
)


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(32), nullable=False, server_default=sa.text("'model'"))
        )
        batch_op.add_column(
            sa.Column("reported_by", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("tip_urgency", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("queue_band", sa.Integer(), sa.Computed(QUEUE_BAND_SQL, persisted=True))
        )
        batch_op.add_column(
            sa.Column("queue_key", sa.Float(), sa.Computed(QUEUE_KEY_SQL, persisted=True))
        )
        for name, type_ in _ALERT_NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=True)
        batch_op.create_index(batch_op.f("ix_alerts_source"), ["source"], unique=False)
        batch_op.create_index(
            "ix_alerts_queue_order", ["queue_band", "queue_key", "id"], unique=False
        )
    with op.batch_alter_table("referral_notices", schema=None) as batch_op:
        for name, type_ in _NOTICE_NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=True)
    op.create_table(
        "tips",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("mmsi", sa.String(9), nullable=True),
        sa.Column("imo", sa.String(16), nullable=True),
        sa.Column("shipname", sa.String(128), nullable=True),
        sa.Column("callsign", sa.String(32), nullable=True),
        sa.Column("flag_iso3", sa.String(3), nullable=True),
        sa.Column("port_label", sa.String(128), nullable=True),
        sa.Column("port_iso3", sa.String(3), nullable=True),
        sa.Column("last_seen", _TS, nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("ilo_indicators", sa.JSON(), nullable=False),
        sa.Column("observed", EncryptedJSON(), nullable=True),
        sa.Column("person", EncryptedJSON(), nullable=True),
        sa.Column("submitted_by", sa.String(128), nullable=False),
        sa.Column("submitter_agency_id", sa.String(64), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("retain_until", _TS, nullable=False),
    )
    for column in ("source", "alert_id", "mmsi", "submitter_agency_id"):
        op.create_index(f"ix_tips_{column}", "tips", [column], unique=False)


def downgrade() -> None:
    """Back to 0006: tips and their queue items are deleted (their notices with them)."""
    for column in ("source", "alert_id", "mmsi", "submitter_agency_id"):
        op.drop_index(f"ix_tips_{column}", table_name="tips")
    op.drop_table("tips")
    tip_items = "SELECT id FROM alerts WHERE source <> 'model'"
    tip_notices = f"SELECT id FROM referral_notices WHERE alert_id IN ({tip_items})"
    op.execute(
        "DELETE FROM delivery_attempts WHERE delivery_id IN "
        f"(SELECT id FROM deliveries WHERE notice_id IN ({tip_notices}))"
    )
    op.execute(f"DELETE FROM deliveries WHERE notice_id IN ({tip_notices})")
    op.execute(f"DELETE FROM notice_personal_data WHERE notice_id IN ({tip_notices})")
    op.execute(f"UPDATE cases SET notice_id = NULL WHERE notice_id IN ({tip_notices})")
    op.execute(f"UPDATE cases SET alert_id = NULL WHERE alert_id IN ({tip_items})")
    op.execute(f"UPDATE inspections SET alert_id = NULL WHERE alert_id IN ({tip_items})")
    op.execute(f"DELETE FROM referral_notices WHERE alert_id IN ({tip_items})")
    op.execute(tip_items.replace("SELECT id FROM", "DELETE FROM"))
    with op.batch_alter_table("referral_notices", schema=None) as batch_op:
        for name, type_ in _NOTICE_NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_queue_order")
        batch_op.drop_index(batch_op.f("ix_alerts_source"))
        for name, type_ in _ALERT_NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.drop_column("queue_key")
        batch_op.drop_column("queue_band")
        batch_op.drop_column("tip_urgency")
        batch_op.drop_column("reported_by")
        batch_op.drop_column("source")
