"""``vessel-risk serve``: the REST API and the dashboard on a run's database.

Creates the first (admin) API client when the database has none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vessel_risk.cli.terminal import console
from vessel_risk.cli.terminal import fail as _fail
from vessel_risk.settings import Settings


def serve(
    run_dir: Annotated[
        Path | None,
        typer.Option(
            "--run-dir",
            help="Output folder of a `vessel-risk run`: its database and positions.parquet.",
        ),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default: the run's SQLite file).")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the REST API and the dashboard (loopback by default).

    With no API client in the database yet, an admin client is created and its key
    printed once; the admin registers the agencies' clients (POST /clients). Without
    VESSEL_RISK_SECRET_KEY it warns that secrets and personal data are stored as plain
    text.
    """
    import uvicorn
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vessel_risk.api import create_app
    from vessel_risk.api.access import ApiClient, create_client
    from vessel_risk.api.app import database_url as run_database_url
    from vessel_risk.cli.database import open_database
    from vessel_risk.db.crypto import PLAINTEXT_WARNING, encryption_configured

    overrides: dict[str, object] = {}
    if run_dir is not None:
        if not (run_dir / "positions.parquet").exists():
            raise _fail(f"{str(run_dir)!r} holds no positions.parquet: is it a run's --out?")
        overrides["run_dir"] = run_dir
    if db is not None:
        overrides["database_url"] = db
    settings = Settings(**overrides)  # type: ignore[arg-type]
    try:
        url = run_database_url(settings)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    try:
        encrypted = encryption_configured()
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if not encrypted:  # printed whatever the log level; the app then does not log it again
        console.print(f"[bold yellow]warning:[/bold yellow] {PLAINTEXT_WARNING}")
    engine = open_database(url)
    with Session(engine) as session, session.begin():
        if session.scalars(select(ApiClient).limit(1)).first() is None:
            _, key = create_client(
                session, client_id="admin", agency_id="local", role="admin", actor="system:serve"
            )
            console.print(
                f"Created the admin API client; its key (shown only now): [bold]{key}[/bold]"
            )
    console.print(
        f"Serving {url} on http://{host}:{port} (dashboard: /ui/, OpenAPI: /openapi.json)."
    )
    # log_config=None: uvicorn's loggers write through the one handler (vessel_risk.logs).
    uvicorn.run(
        create_app(settings, engine=engine, warn_plaintext=False),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
    )
