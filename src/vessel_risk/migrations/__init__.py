"""Alembic migrations of the vessel-risk database (run by :func:`vessel_risk.store.migrate`)."""
