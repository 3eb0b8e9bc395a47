"""regional exchange: other states' exports, imported and tagged by source state

Adds the tables of :mod:`vessel_risk.db.exchange`: one row per imported export (keyed by
the export's id, so an import is idempotent) and its indicators, alerts and inspections.

Revision ID: 0008_exchange
Revises: 0007_tips
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_exchange"
down_revision = "0007_tips"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _source() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("import_id", sa.String(64), sa.ForeignKey("exchange_imports.id"), nullable=False),
        sa.Column("source_state", sa.String(3), nullable=False),
    ]


def _index(table: str, *columns: str) -> None:
    for column in ("import_id", "source_state", *columns):
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "exchange_imports",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source_state", sa.String(3), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("imported_at", _TS, nullable=False),
        sa.Column("imported_by", sa.String(128), nullable=False),
    )
    op.create_index("ix_exchange_imports_source_state", "exchange_imports", ["source_state"])
    op.create_table(
        "exchange_indicators",
        *_source(),
        sa.Column("figure", sa.String(64), nullable=False),
        sa.Column("period", sa.Date(), nullable=True),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("port", sa.String(128), nullable=True),
        sa.Column("flag", sa.String(16), nullable=True),
        sa.Column("nationality", sa.String(16), nullable=True),
        sa.Column("gender", sa.String(32), nullable=True),
        sa.Column("age_group", sa.String(32), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
    )
    _index("exchange_indicators", "figure")
    op.create_table(
        "exchange_alerts",
        *_source(),
        sa.Column("mmsi", sa.String(9), nullable=False),
        sa.Column("vessel_id", sa.String(32), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("shipname", sa.String(128), nullable=True),
        sa.Column("flag_iso3", sa.String(3), nullable=True),
        sa.Column("flag_inferred_iso3", sa.String(3), nullable=True),
        sa.Column("vessel_class", sa.String(32), nullable=True),
        sa.Column("gear", sa.String(64), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("last_port_label", sa.String(128), nullable=True),
        sa.Column("last_port_iso3", sa.String(3), nullable=True),
        sa.Column("last_seen", _TS, nullable=False),
        sa.Column("raised_at", _TS, nullable=False),
    )
    _index("exchange_alerts", "mmsi")
    op.create_table(
        "exchange_inspections",
        *_source(),
        sa.Column("mmsi", sa.String(9), nullable=False),
        sa.Column("vessel_id", sa.String(32), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("inspected_at", _TS, nullable=False),
        sa.Column("port_label", sa.String(128), nullable=True),
        sa.Column("port_iso3", sa.String(3), nullable=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("ilo_indicators", sa.JSON(), nullable=False),
        sa.Column("documents_missing", sa.JSON(), nullable=False),
    )
    _index("exchange_inspections", "mmsi")


def downgrade() -> None:
    for table in (
        "exchange_inspections",
        "exchange_alerts",
        "exchange_indicators",
        "exchange_imports",
    ):
        op.drop_table(table)
