from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeEngine

# Named constraints so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_from_sqlite(value: str | None) -> datetime | None:
    """SQLite's text of a time (``2024-05-01 12:00:00.000000``, as SQLAlchemy
    writes it: in UTC, without an offset) as an aware UTC datetime."""
    if value is None:
        return None
    try:
        # Parsed with its zone: ``datetime.replace(tzinfo=UTC)`` afterwards
        # costs six times the parse (7 us against 1 on CPython 3.11).
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # text written with an offset of its own
        return datetime.fromisoformat(value).astimezone(UTC)


class _SQLiteUTCDateTime(sqlite.DATETIME):
    """SQLite's DATETIME read straight into aware UTC datetimes, in one call
    per value; a page of 20 issues holds 100 of them."""

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return utc_from_sqlite


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite drops the zone,
    which ``utc_from_sqlite`` gives back; PostgreSQL's timestamptz arrives
    aware from the driver)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return _SQLiteUTCDateTime()
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}
