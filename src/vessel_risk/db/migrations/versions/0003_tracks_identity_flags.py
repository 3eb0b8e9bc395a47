"""transmitter tracks, vessel identity and inferred flags (issue 16)

Vessel-years are keyed by (mmsi, track_id, year): an MMSI broadcast by two transmitters
is split into tracks, 0 being the first seen. Existing rows become track 0. Alerts carry
the track, the vessel identity (``vessel_id``, GFW's term), the vessel class and the
inferred flag with its source and confidence; vessels carry their ``vessel_id``.

Revision ID: 0003_tracks_identity_flags
Revises: 0002_api_clients
Create Date: 2026-12-04 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_tracks_identity_flags"
down_revision = "0002_api_clients"
branch_labels = None
depends_on = None

NEW_KEY = "uq_vessel_periods_mmsi_track_year"
# On SQLite, batch mode copies vessel_periods and drops the old table while scores and
# alerts point at it: vessel_risk.db.engine.migrate turns foreign keys off around the
# migrations and checks them before committing.
# SQLite keeps 0001's (mmsi, year) key unnamed; batch mode names it by this convention
# so that it can be dropped when the table is copied.
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s"}


def _unique_name(table: str, columns: list[str]) -> str:
    """The name of ``table``'s unique key on exactly ``columns`` (or the convention's)."""
    found = sa.inspect(op.get_bind()).get_unique_constraints(table)
    for uc in found:
        if list(uc["column_names"]) == columns and uc.get("name"):
            return str(uc["name"])
    return CONVENTION["uq"] % {
        "table_name": table,
        "column_0_name": columns[0],
        "column_1_name": columns[1],
    }


def upgrade() -> None:
    old_key = _unique_name("vessel_periods", ["mmsi", "year"])
    with op.batch_alter_table("vessel_periods", naming_convention=CONVENTION) as batch_op:
        batch_op.add_column(
            sa.Column("track_id", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_constraint(old_key, type_="unique")
        batch_op.create_unique_constraint(NEW_KEY, ["mmsi", "track_id", "year"])

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("track_id", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("vessel_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("vessel_class", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("flag_inferred_iso3", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("flag_inferred_source", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("flag_inferred_confidence", sa.Float(), nullable=True))

    with op.batch_alter_table("vessels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vessel_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_vessels_vessel_id"), ["vessel_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vessels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vessels_vessel_id"))
        batch_op.drop_column("vessel_id")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("flag_inferred_confidence")
        batch_op.drop_column("flag_inferred_source")
        batch_op.drop_column("flag_inferred_iso3")
        batch_op.drop_column("vessel_class")
        batch_op.drop_column("vessel_id")
        batch_op.drop_column("track_id")

    # Fails where one MMSI has two tracks in a year: (mmsi, year) is no longer unique.
    with op.batch_alter_table("vessel_periods", naming_convention=CONVENTION) as batch_op:
        batch_op.drop_constraint(NEW_KEY, type_="unique")
        batch_op.create_unique_constraint("uq_vessel_periods_mmsi_year", ["mmsi", "year"])
        batch_op.drop_column("track_id")
