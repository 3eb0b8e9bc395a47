"""subscriptions: agencies subscribe to vessels that concern them; events sent, de-duplicated

Adds the tables of :mod:`vessel_risk.db.subscriptions` (``subscriptions``,
``subscription_events``) and ``deliveries.subscription_id``: an outbox row of a
subscription goes to the subscription's channel and target.

Revision ID: 0010_subscriptions
Revises: 0009_arrivals (0006_cases as assigned; chained after the merged m18arr so
the branch has one head)
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vessel_risk.db.crypto import EncryptedJSON

revision = "0010_subscriptions"
down_revision = "0009_arrivals"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("ports", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("nationalities", sa.JSON(), nullable=False),
        sa.Column("min_tier", sa.String(32), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("digest_every_h", sa.Integer(), nullable=False),
        sa.Column("next_digest_at", _TS, nullable=True),
        sa.Column("secrets", EncryptedJSON(), nullable=False),
        sa.Column("unsubscribe_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("removed_by", sa.String(128), nullable=True),
        sa.Column("removed_at", _TS, nullable=True),
    )
    for column in ("agency_id", "client_id", "status"):
        op.create_index(f"ix_subscriptions_{column}", "subscriptions", [column])
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("subscription_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_subscription_id", "subscriptions", ["subscription_id"], ["id"]
        )
        batch.create_index("ix_deliveries_subscription_id", ["subscription_id"])
    op.create_table(
        "subscription_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"), nullable=False
        ),
        sa.Column("event_key", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("arrival_id", sa.Integer(), nullable=True),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("delivery_id", sa.String(36), sa.ForeignKey("deliveries.id"), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("subscription_id", "event_key", name="uq_subscription_events_key"),
    )
    for column in ("subscription_id", "alert_id", "arrival_id", "delivery_id"):
        op.create_index(f"ix_subscription_events_{column}", "subscription_events", [column])


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_table("subscription_events")
    op.execute(
        sa.text(
            "DELETE FROM delivery_attempts WHERE delivery_id IN "
            "(SELECT id FROM deliveries WHERE subscription_id IS NOT NULL)"
        )
    )
    op.execute(sa.text("DELETE FROM deliveries WHERE subscription_id IS NOT NULL"))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_subscription_id")
        if bind.dialect.name != "sqlite":
            batch.drop_constraint("fk_deliveries_subscription_id", type_="foreignkey")
        batch.drop_column("subscription_id")
    op.drop_table("subscriptions")
