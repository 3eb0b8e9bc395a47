"""alerts carry where the model applies, the score's spread and percentile, coverage (issue 14)

Each alert copies from its current score whether the model's training domain covers the
vessel-year (``model_applies``; null where unknown, e.g. scored by the indicator
baseline) and why not (``model_domain_reason``), the score's percentile within the run
(``score_percentile``), its spread across bags (``score_low``, ``score_high``) and the
share of the year observed (``observed_share``). Existing alerts get nulls: unknown.

Revision ID: 0004_alert_scores
Revises: 0003_tracks_identity_flags
Create Date: 2026-12-04 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_alert_scores"
down_revision = "0003_tracks_identity_flags"
branch_labels = None
depends_on = None

FLOAT_COLUMNS = ("score_percentile", "score_low", "score_high", "observed_share")


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_applies", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("model_domain_reason", sa.Text(), nullable=True))
        for name in FLOAT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for name in reversed(FLOAT_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("model_domain_reason")
        batch_op.drop_column("model_applies")
