"""presumed-victim cases: inspections, cases, consents, transitions, follow-ups, transfers

Adds the tables of :mod:`vessel_risk.db.cases`. The outbox now carries messages about a
person's case as well as about a vessel's notice: ``deliveries.notice_id`` becomes
nullable, ``case_id``, ``consent_use`` and ``revoked_at`` are added, and a delivery is
unique per notice, agency and event type (a notice's withdrawal reaches the agencies
that received the notice).

Revision ID: 0006_cases
Revises: 0005_sessions_secrets
Create Date: 2026-12-04 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vessel_risk.db.crypto import EncryptedJSON

revision = "0006_cases"
down_revision = "0005_sessions_secrets"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_SQLITE_UNIQUE = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
"""Names SQLite's unnamed unique constraints so a batch migration can drop them."""


def _drop_old_delivery_unique() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    for uq in sa.inspect(bind).get_unique_constraints("deliveries"):
        if uq["column_names"] == ["notice_id", "agency_id"] and uq["name"]:
            op.drop_constraint(uq["name"], "deliveries", type_="unique")


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("mmsi", sa.String(9), nullable=False),
        sa.Column("vessel_id", sa.String(32), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("inspected_at", _TS, nullable=False),
        sa.Column("port_label", sa.String(128), nullable=True),
        sa.Column("port_iso3", sa.String(3), nullable=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("not_boarded_reason", sa.Text(), nullable=True),
        sa.Column("ilo_indicators", sa.JSON(), nullable=False),
        sa.Column("documents_seen", sa.JSON(), nullable=False),
        sa.Column("crew_by_nationality", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    for column in ("alert_id", "mmsi", "vessel_id", "agency_id"):
        op.create_index(f"ix_inspections_{column}", "inspections", [column])

    op.create_table(
        "cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.Integer(), sa.ForeignKey("inspections.id"), nullable=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("notice_id", sa.String(36), sa.ForeignKey("referral_notices.id"), nullable=True),
        sa.Column("entry_point", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_iso3", sa.String(3), nullable=False),
        sa.Column("presumed_victim", sa.Boolean(), nullable=False),
        sa.Column("child", sa.Boolean(), nullable=False),
        sa.Column("age_uncertain", sa.Boolean(), nullable=False),
        sa.Column("owner_client_id", sa.String(64), nullable=False),
        sa.Column("owner_agency_id", sa.String(64), nullable=False),
        sa.Column("child_protection_agency_id", sa.String(64), nullable=True),
        sa.Column("reflection_started_at", _TS, nullable=True),
        sa.Column("reflection_days", sa.Integer(), nullable=True),
        sa.Column("reflection_ends_at", _TS, nullable=True),
        sa.Column("reflection_rule", sa.Text(), nullable=True),
        sa.Column("assistance_started_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("retain_until", _TS, nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    for column in (
        "inspection_id",
        "alert_id",
        "notice_id",
        "state",
        "state_iso3",
        "owner_client_id",
        "owner_agency_id",
        "child_protection_agency_id",
    ):
        op.create_index(f"ix_cases_{column}", "cases", [column])

    op.create_table(
        "case_intakes",
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("fields", EncryptedJSON(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    op.create_table(
        "case_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("use", sa.String(32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("interpreter_language", sa.String(32), nullable=True),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    op.create_index("ix_case_consents_case_id", "case_consents", ["case_id"])
    op.create_table(
        "case_transitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("panel", sa.JSON(), nullable=False),
    )
    op.create_index("ix_case_transitions_case_id", "case_transitions", ["case_id"])
    op.create_table(
        "case_follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("done_at", _TS, nullable=True),
        sa.Column("done_by", sa.String(128), nullable=True),
        sa.Column("indicators", EncryptedJSON(), nullable=True),
        sa.Column("notified_at", _TS, nullable=True),
        sa.UniqueConstraint("case_id", "months", name="uq_case_follow_ups_months"),
    )
    op.create_index("ix_case_follow_ups_case_id", "case_follow_ups", ["case_id"])
    op.create_table(
        "case_transfers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("to_agency_id", sa.String(64), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("to_iso3", sa.String(3), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("delivery_id", sa.String(36), nullable=True),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_case_transfers_case_id", "case_transfers", ["case_id"])
    op.create_index("ix_case_transfers_to_agency_id", "case_transfers", ["to_agency_id"])

    _drop_old_delivery_unique()
    with op.batch_alter_table("deliveries", naming_convention=_SQLITE_UNIQUE) as batch:
        if op.get_bind().dialect.name == "sqlite":
            batch.drop_constraint("uq_deliveries_notice_id_agency_id", type_="unique")
        batch.alter_column("notice_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("case_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("consent_use", sa.String(32), nullable=True))
        batch.add_column(sa.Column("revoked_at", _TS, nullable=True))
        batch.create_foreign_key("fk_deliveries_case_id", "cases", ["case_id"], ["id"])
        batch.create_index("ix_deliveries_case_id", ["case_id"])
        batch.create_unique_constraint(
            "uq_deliveries_notice_agency_event", ["notice_id", "agency_id", "event_type"]
        )


def downgrade() -> None:
    bind = op.get_bind()
    op.execute(
        sa.text(
            "DELETE FROM delivery_attempts WHERE delivery_id IN "
            "(SELECT id FROM deliveries WHERE notice_id IS NULL)"
        )
    )
    op.execute(sa.text("DELETE FROM deliveries WHERE notice_id IS NULL"))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_notice_agency_event", type_="unique")
        batch.drop_index("ix_deliveries_case_id")
        if bind.dialect.name != "sqlite":
            batch.drop_constraint("fk_deliveries_case_id", type_="foreignkey")
        batch.drop_column("revoked_at")
        batch.drop_column("consent_use")
        batch.drop_column("case_id")
        batch.alter_column("notice_id", existing_type=sa.String(36), nullable=False)
        batch.create_unique_constraint(
            "uq_deliveries_notice_id_agency_id", ["notice_id", "agency_id"]
        )
    for table in (
        "case_transfers",
        "case_follow_ups",
        "case_transitions",
        "case_consents",
        "case_intakes",
        "cases",
        "inspections",
    ):
        op.drop_table(table)
