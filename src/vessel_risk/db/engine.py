"""The database engine: connecting by URL, creating and upgrading the schema.

The schema is created and evolved by Alembic migrations (``src/vessel_risk/db/migrations``)
through :func:`migrate`; the tables are declared in :mod:`vessel_risk.db.tables`.
SQLite is the default, PostgreSQL is supported and tested. :func:`open_database` is what
entrypoints call: a clear ``ValueError`` for a URL, file or schema that will not do.
:func:`bulk_insert`, :func:`bulk_update` and :func:`select_in` write and read many rows
at once (``COPY`` on PostgreSQL, batched core statements elsewhere) for recording a run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    JSON,
    String,
    bindparam,
    create_engine,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

T = TypeVar("T")

log = logging.getLogger(__name__)


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def json_text(value: Any) -> str:
    """The JSON text stored for a JSON column's value.

    orjson, a fifth of the time of the standard library's encoder (JSON was a quarter of
    recording a run: issue 15, session 8), with the same text for every value but
    these: no spaces after ``,`` and ``:``, and NaN or an infinity as ``null`` (the
    standard encoder wrote ``NaN``, which is not JSON and which PostgreSQL refuses).
    Other objects (a datetime, say) are written as their ``str``; an integer beyond 64
    bits falls back to the standard encoder.

    Parameters
    ----------
    value : Any
        JSON builtins (dict, list, str, int, float, bool, None), nested.

    Returns
    -------
    str
    """
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # an int beyond 64 bits
        return json.dumps(value, default=str)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path.db``, ``postgresql+psycopg://...``).

    SQLite connections wait up to 30 s for a lock, enforce foreign keys and use WAL
    journaling (readers never block the delivery worker's writes; a commit costs a third
    of the default journal's time). JSON columns are written by :func:`json_text`.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=json_text)


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


BULK_CHUNK = 5_000
"""Rows per statement or ``IN`` list of the bulk helpers (SQLite allows 32,766 bound
parameters per statement; PostgreSQL 65,535)."""


def _chunks(rows: Sequence[T], size: int = BULK_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def bulk_insert(
    session: Session,
    table: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` into ``table`` in bulk, in the caller's transaction.

    PostgreSQL without ``returning``: ``COPY ... FROM STDIN`` (psycopg's copy), the
    fastest way in. Otherwise SQLAlchemy core ``executemany``, which batches the rows
    into multi-row ``INSERT ... VALUES`` statements (insertmanyvalues) on SQLite and
    PostgreSQL alike; with ``returning``, the new keys come back in the order of ``rows``.

    Parameters
    ----------
    session : Session
        Its connection is used; committed by the caller.
    table : Table
        E.g. ``EvidenceEvent.__table__``.
    rows : sequence of mapping of shape (n,)
        Column name to Python value; every row has the same keys.
    returning : str, optional
        A column to return for each row (``"id"``).

    Returns
    -------
    list
        The ``returning`` column of each row, in the order of ``rows``; empty without it.
    """
    if not rows:
        return []
    rows = fit_text(table, rows)
    conn = session.connection()
    if returning is None and conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy(conn, table, rows)
        return []
    out: list[Any] = []
    for chunk in _chunks(rows):
        if returning is None:
            conn.execute(insert(table), list(chunk))
        else:
            stmt = insert(table).returning(table.c[returning], sort_by_parameter_order=True)
            out.extend(conn.execute(stmt, list(chunk)).scalars())
    return out


def _has_nul(value: Any) -> bool:
    """Whether any string in ``value`` (a string, or a list or dict nesting them) holds a
    NUL character. Scalars in a container are looked at in the loop, not by a call each:
    a run checks millions of them and almost never finds one (issue 15)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return False
    for v in value:
        if isinstance(v, str):
            if "\x00" in v:
                return True
        elif isinstance(v, (dict, list)) and _has_nul(v):
            return True
    return False


def _strip_nul(value: Any) -> tuple[Any, bool]:
    """``value`` without NUL characters in any string it holds (JSON values nest), and
    whether it changed.

    A list or dict is copied only when something in it changes (:func:`_has_nul`).
    """
    if not _has_nul(value):
        return value, False
    if isinstance(value, str):
        return value.replace("\x00", ""), True
    if isinstance(value, list):
        return [_strip_nul(v)[0] for v in value], True
    return {k: _strip_nul(v)[0] for k, v in value.items()}, True


def fit_text(table: Any, rows: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    """``rows`` with text that every database accepts: NUL characters removed, strings cut
    to their column's length.

    PostgreSQL refuses a NUL character in text and JSON (``DataError``) and a string longer
    than its ``VARCHAR(n)`` (``StringDataRightTruncation``), failing the whole ``COPY``;
    SQLite accepts both. Ingest keeps text fields up to 1024 characters while e.g.
    ``vessels.shipname`` is ``VARCHAR(128)``, so a run's recording must not depend on it.
    The row is kept; each value changed is counted and a warning logged with the counts.

    Parameters
    ----------
    table : Table
    rows : sequence of mapping of shape (n,)
        Column name to Python value.

    Returns
    -------
    sequence of mapping of shape (n,)
        ``rows`` itself when nothing had to change, else new mappings (the input is not
        modified).
    """
    if not rows:
        return rows
    names = [n for n in rows[0] if n in table.c]
    lengths = {
        n: table.c[n].type.length
        for n in names
        if isinstance(table.c[n].type, String) and table.c[n].type.length
    }
    nul = cut = 0
    out: list[Mapping[str, Any]] = []
    changed_any = False
    for row in rows:
        new: dict[str, Any] | None = None
        for n in names:
            v = row[n]
            if v is None or isinstance(v, (int, float, bool)):
                continue
            v2, changed = _strip_nul(v)
            if changed:
                nul += 1
            limit = lengths.get(n)
            if limit is not None and isinstance(v2, str) and len(v2) > limit:
                v2, changed = v2[:limit], True
                cut += 1
            if changed:
                if new is None:
                    new = dict(row)
                new[n] = v2
        if new is not None:
            changed_any = True
            out.append(new)
        else:
            out.append(row)
    if not changed_any:
        return rows
    log.warning(
        "%s: %d value(s) had NUL characters removed and %d value(s) were cut to their "
        "column's length; the rows are kept",
        table.name,
        nul,
        cut,
    )
    return out


def _copy(conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """``COPY table (columns) FROM STDIN`` of ``rows`` through psycopg, JSON as text."""
    names = list(rows[0])
    json_cols = {n for n in names if isinstance(table.c[n].type, JSON)}
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json_text(row[n]) if n in json_cols else row[n] for n in names])


def bulk_update(session: Session, table: Any, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Update the rows of ``table`` whose ``key`` column matches, in bulk.

    One ``UPDATE ... WHERE key = ?`` run with ``executemany`` (psycopg pipelines it);
    every row has the same keys, ``key`` among them.

    Parameters
    ----------
    session : Session
        Committed by the caller.
    table : Table
    key : str
        The column that finds each row (its primary key).
    rows : sequence of mapping
        Column name to new value.
    """
    if not rows:
        return
    rows = fit_text(table, rows)
    names = [n for n in rows[0] if n != key]
    stmt = (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({n: bindparam(f"b_{n}") for n in names})
    )
    conn = session.connection()
    for chunk in _chunks(rows):
        conn.execute(stmt, [{f"b_{n}": v for n, v in r.items()} for r in chunk])


def select_in(
    session: Session, columns: Sequence[Any], column: Any, values: Sequence[Any]
) -> list[Row[Any]]:
    """The rows of ``select(*columns)`` whose ``column`` is in ``values``, in chunks.

    Parameters
    ----------
    session : Session
    columns : sequence of column
        What to select.
    column : column
        What ``values`` are matched against.
    values : sequence

    Returns
    -------
    list of Row
    """
    out: list[Row[Any]] = []
    for chunk in _chunks(list(values)):
        out.extend(session.execute(select(*columns).where(column.in_(chunk))).all())
    return out
