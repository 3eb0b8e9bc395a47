"""The database: SQLAlchemy tables, the engine and Alembic migrations."""
