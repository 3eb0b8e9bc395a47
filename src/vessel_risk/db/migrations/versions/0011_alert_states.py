"""alert coastal states: the states in whose waters an alert's located events lie

Adds ``alert_coastal_states`` (:class:`vessel_risk.db.tables.AlertCoastalState`): one row
per alert and coastal state, written when a run records its alerts
(:func:`vessel_risk.alerts.coastal.record_coastal_states`). Alerts recorded before this
revision and tips' items have none: nothing is backfilled, because the states depend on
the port list of the run that recorded the alert.

Revision ID: 0011_alert_states
Revises: 0010_subscriptions
Create Date: 2026-12-04 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_alert_states"
down_revision = "0010_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_coastal_states",
        sa.Column(
            "alert_id",
            sa.Integer(),
            sa.ForeignKey("alerts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("iso3", sa.String(3), primary_key=True),
    )
    op.create_index("ix_alert_coastal_states_iso3", "alert_coastal_states", ["iso3"])


def downgrade() -> None:
    op.drop_index("ix_alert_coastal_states_iso3", table_name="alert_coastal_states")
    op.drop_table("alert_coastal_states")
