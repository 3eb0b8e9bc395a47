"""The declarative base of the database's tables and the UTC helpers every table uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.orm import DeclarativeBase

UTCDateTime = DateTime(timezone=True)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(t: datetime | None) -> datetime | None:
    """``t`` as an aware UTC datetime (SQLite returns naive datetimes; they are UTC)."""
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the vessel-risk tables."""

    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}
