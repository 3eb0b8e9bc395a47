"""Alembic environment: runs migrations on the connection :func:`vessel_risk.db.engine.migrate`
passes, or on ``VESSEL_RISK_DATABASE_URL`` when run by the ``alembic`` command."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from vessel_risk.db.engine import make_engine
from vessel_risk.db.tables import Base
from vessel_risk.settings import Settings

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = Settings().database_url
    if url is None:
        raise SystemExit("Set VESSEL_RISK_DATABASE_URL to the database to migrate.")
    with make_engine(url).begin() as conn:
        _run(conn)
