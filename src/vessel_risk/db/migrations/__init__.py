"""Alembic migrations of the vessel-risk database (run by :func:`vessel_risk.db.engine.migrate`)."""
