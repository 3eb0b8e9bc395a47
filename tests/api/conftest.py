"""Fixtures of the API tests: the app on the hand-made database of ``tests/apikit.py``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.apikit import make_app, seed, write_positions


@pytest.fixture
def api(engine, tmp_path):
    """A test client of the app on the seeded ``engine`` (SQLite, then PostgreSQL), with
    tracks in ``tmp_path / "run"``; ``api.ids`` holds the ids :func:`seed` returned."""
    with Session(engine) as session, session.begin():
        ids = seed(session)
    write_positions(tmp_path / "run")
    client = TestClient(make_app(engine, tmp_path / "run"))
    client.ids = ids  # type: ignore[attr-defined]
    return client
