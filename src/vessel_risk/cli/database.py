"""The database the commands work on, and who acts on it.

Commands name the database with ``--db`` or ``VESSEL_RISK_DATABASE_URL``; a wrong URL,
a missing SQLite file or an unmigratable schema is a clear exit (code 2), never an
empty result. Commands that change the database record who acted (``--as``, default:
the login name) in the audit log.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

Db = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: VESSEL_RISK_DATABASE_URL)."),
]
Actor = Annotated[
    str, typer.Option("--as", help="Who is acting, for the audit log (default: login name).")
]


def database_url(db: str | None) -> str:
    """``db``, else ``VESSEL_RISK_DATABASE_URL``; exits with a clear error if neither."""
    url = db or Settings().database_url
    if not url:
        raise _fail(
            "No database: pass --db (e.g. sqlite:///out/squid/vessel_risk.db) or set "
            "VESSEL_RISK_DATABASE_URL."
        )
    return url


def open_database(url: str, *, create: bool = False) -> Engine:
    """An engine on ``url`` with the schema migrated, or a clear exit (code 2).

    Parameters
    ----------
    url : str
        SQLAlchemy URL.
    create : bool, default False
        Whether a SQLite file that does not exist yet may be created (``agencies load``
        may; reading commands may not, so a mistyped path is an error, not an empty
        queue). The checks are :func:`vessel_risk.db.engine.open_database`'s.
    """
    from vessel_risk.db import engine as db_engine

    try:
        return db_engine.open_database(url, create=create)
    except ValueError as exc:
        raise _fail(str(exc)) from exc


@contextmanager
def open_session(db: str | None, *, create: bool = False) -> Iterator[Session]:
    """A session in one transaction on the database ``db`` names (see ``database_url``).

    The transaction commits when the block ends, and rolls back if it raises; a refusal
    of the rules the command applied (``LookupError``, ``TransitionError``,
    ``NoticeError``, ``ValueError``) or an ``OSError`` becomes a clear exit (code 2)
    with its message. The engine is disposed of afterwards.

    Parameters
    ----------
    db : str or None
        SQLAlchemy URL from ``--db``; None for ``VESSEL_RISK_DATABASE_URL``.
    create : bool, default False
        Whether a SQLite file that does not exist yet may be created (see
        ``open_database``).
    """
    from sqlalchemy.orm import Session

    from vessel_risk.alerts.lifecycle import TransitionError
    from vessel_risk.referral.notices import NoticeError

    engine = open_database(database_url(db), create=create)
    try:
        with Session(engine) as session, session.begin():
            yield session
    except (LookupError, TransitionError, NoticeError, ValueError) as exc:
        raise _fail(str(exc).strip("'\"")) from exc
    except OSError as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()


def default_actor() -> str:
    """Who acts when ``--as`` is not given: the login name."""
    return getpass.getuser()
