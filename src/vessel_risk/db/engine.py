"""The database engine: connecting by URL, creating and upgrading the schema.

The schema is created and evolved by Alembic migrations (``src/vessel_risk/db/migrations``)
through :func:`migrate`; the tables are declared in :mod:`vessel_risk.db.tables`.
SQLite is the default, PostgreSQL is supported and tested. :func:`open_database` is what
entrypoints call: a clear ``ValueError`` for a URL, file or schema that will not do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path.db``, ``postgresql+psycopg://...``).

    SQLite connections wait up to 30 s for a lock, enforce foreign keys and use WAL
    journaling (readers never block the delivery worker's writes; a commit costs a third
    of the default journal's time).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class SchemaError(RuntimeError):
    """Raised when a database holds tables that no migration made."""


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` with Alembic.

    Parameters
    ----------
    engine : Engine
    revision : str, default "head"

    Raises
    ------
    SchemaError
        If the database has vessel-risk tables but no Alembic version (a database made
        before migrations existed): move it aside and run again; or if, on SQLite, the
        upgrade leaves a foreign key pointing at no row.
    """
    from alembic import command
    from alembic.config import Config

    names = set(inspect(engine).get_table_names())
    if "runs" in names and "alembic_version" not in names:
        raise SchemaError(
            f"The database at {engine.url!r} predates schema migrations; move it aside "
            "(its alerts can be rebuilt with `vessel-risk run`) and run again."
        )
    cfg = Config()
    cfg.set_main_option("script_location", "vessel_risk.db:migrations")
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Alembic's batch mode copies a table that others reference and drops the
            # old one: SQLite wants foreign keys off for that (they cannot be turned off
            # inside a transaction), and checked before the upgrade commits.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all() if sqlite else []
                if broken:
                    raise SchemaError(
                        f"Upgrading {engine.url!r} leaves {len(broken)} foreign keys "
                        f"pointing at no row (first: {tuple(broken[0])})."
                    )
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before any migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_database(url: str, *, create: bool = False) -> Engine:
    """An engine on ``url`` with the schema migrated, or a ValueError that says why not.

    Parameters
    ----------
    url : str
        SQLAlchemy URL.
    create : bool, default False
        Whether a SQLite file that does not exist yet may be created (a run may; reading
        commands may not, so a mistyped path is an error, not an empty queue).

    Returns
    -------
    Engine
        Migrated to the newest schema; the caller disposes of it.

    Raises
    ------
    ValueError
        If ``url`` is not a database URL, the SQLite file or its folder does not exist,
        the database predates the migrations, or it cannot be opened (the message never
        shows a password).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(
            f"{url!r} is not a database URL (e.g. sqlite:///out/squid/vessel_risk.db or "
            "postgresql+psycopg://user@host/db)."
        ) from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        if not create and not path.exists():
            raise ValueError(
                f"No database file at {path.resolve()} (a sqlite:/// path is relative to the "
                "current folder): run `vessel-risk run --out DIR` first, or check the path."
            )
        if not path.parent.exists():
            raise ValueError(f"The folder {str(path.parent.resolve())!r} does not exist.")
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError) as exc:  # an unknown dialect or a missing driver
        shown = parsed.render_as_string(hide_password=True)
        raise ValueError(
            f"Cannot open {shown!r}: no database driver for {parsed.drivername!r} here; "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB."
        ) from exc
    try:
        migrate(engine)
    except SchemaError as exc:
        engine.dispose()
        raise ValueError(str(exc)) from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        shown = parsed.render_as_string(hide_password=True)  # never echo a password
        reason = str(getattr(exc, "orig", None) or exc).replace(url, shown)
        raise ValueError(f"Cannot open {shown!r}: {reason}") from exc
    return engine
