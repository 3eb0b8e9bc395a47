"""expected arrivals: each vessel's predicted next port and arrival time (issue 18)

Adds the table of :mod:`vessel_risk.db.arrivals`: one row per prediction of a vessel
track's next port call (port, ETA and its window, method, confidence, evidence), its
current alert, the run that made it and its status (expected, arrived, missed,
superseded).

Revision ID: 0009_arrivals
Revises: 0008_exchange
Create Date: 2026-12-04 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_arrivals"
down_revision = "0008_exchange"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "expected_arrivals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mmsi", sa.String(9), nullable=False),
        sa.Column("track_id", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("vessel_id", sa.String(32), nullable=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("port_label", sa.String(128), nullable=False),
        sa.Column("port_iso3", sa.String(3), nullable=True),
        sa.Column("eta", _TS, nullable=False),
        sa.Column("eta_low", _TS, nullable=True),
        sa.Column("eta_high", _TS, nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("predicted_at", _TS, nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    for column in ("mmsi", "vessel_id", "alert_id", "port_iso3", "run_id", "status"):
        op.create_index(f"ix_expected_arrivals_{column}", "expected_arrivals", [column])
    op.create_index(
        "ix_expected_arrivals_port_status_eta",
        "expected_arrivals",
        ["port_label", "status", "eta"],
    )


def downgrade() -> None:
    op.drop_index("ix_expected_arrivals_port_status_eta", table_name="expected_arrivals")
    for column in ("status", "run_id", "port_iso3", "alert_id", "vessel_id", "mmsi"):
        op.drop_index(f"ix_expected_arrivals_{column}", table_name="expected_arrivals")
    op.drop_table("expected_arrivals")
