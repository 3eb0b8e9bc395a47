"""dashboard sessions and shared rate limits (issue 19)

``ui_sessions`` holds dashboard sessions (the SHA-256 of a random token, the client,
its CSRF token and expiry): the API key is never the cookie. ``rate_buckets`` holds the
token buckets of the rate limits, shared by every worker process. Agency secrets and
personal data keep their columns; they are written encrypted from now on
(:mod:`vessel_risk.api.secrets`), and rows written before read as they are.

Revision ID: 0005_sessions_secrets
Revises: 0004_alert_scores
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sessions_secrets"
down_revision = "0004_alert_scores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "ui_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("api_clients.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ui_sessions_client_id", "ui_sessions", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_ui_sessions_client_id", table_name="ui_sessions")
    op.drop_table("ui_sessions")
    op.drop_table("rate_buckets")
