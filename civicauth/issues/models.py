from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicauth.db import Base, utcnow

STATUSES = ("open", "acknowledged", "closed", "archived")
# What a list shows unless asked otherwise (SeeClickFix: archived issues are hidden).
DEFAULT_STATUSES = ("open", "acknowledged", "closed")
# Latitude bands of 1/LAT_BANDS_PER_DEGREE degree (about 111 m): see ``lat_band``.
LAT_BANDS_PER_DEGREE = 1000


def lat_band(lat: float) -> int:
    """The band a latitude is in: its floor in units of 1/LAT_BANDS_PER_DEGREE degree."""
    return math.floor(lat * LAT_BANDS_PER_DEGREE)


def _lat_band_default(context: Any) -> int:
    return lat_band(context.get_current_parameters()["lat"])


LAT_BAND_INDEX_COLUMNS = (
    "lat_band", "status", "lng", "lat", "created_at", "updated_at", "vote_count",
)  # fmt: skip


class Issue(Base):
    __tablename__ = "issues"
    # Lists read one page in sort order and stop: one index per sort key.
    # A bounding box reads ``ix_issues_band_status``: one range of longitudes
    # in each latitude band the box crosses and each status asked for, so it
    # reads little more than the issues inside the box (a (lat, lng) index
    # would read every longitude of the box's latitudes, and a status after
    # the longitude every status). The index also holds every other filter and
    # sort key (and, on PostgreSQL, the id), so neither count nor page touches
    # a row.
    # Text search has its own indexes (migration 0004, issues/search.py).
    __table_args__ = (
        Index("ix_issues_created_at", "created_at"),
        Index("ix_issues_updated_at", "updated_at"),
        Index("ix_issues_vote_count", "vote_count"),
        Index("ix_issues_status_created", "status", "created_at"),
        Index("ix_issues_reporter_created", "reporter_id", "created_at"),
        Index(
            "ix_issues_band_status",
            *LAT_BAND_INDEX_COLUMNS,
            # SQLite's indexes end in the rowid (the id) already.
            postgresql_include=["id"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    # ``lat_band(lat)``, filled in on every insert through SQLAlchemy (ORM or
    # Core). A plain column, not a generated one: SQLite reads a virtual
    # generated column from the row, so its index could not answer alone, and
    # it cannot add a stored one to an existing table. An issue's place never
    # changes after its report; a writer that ever moves one sets both.
    lat_band: Mapped[int] = mapped_column(Integer, default=_lat_band_default)
    address: Mapped[str] = mapped_column(String(300))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_issue_created", "issue_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("issue_id", "user_id", name="uq_votes_issue_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("issue_id", "user_id", name="uq_follows_issue_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
