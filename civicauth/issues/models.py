from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicauth.db import Base, utcnow

STATUSES = ("open", "acknowledged", "closed", "archived")
# What a list shows unless asked otherwise (SeeClickFix: archived issues are hidden).
DEFAULT_STATUSES = ("open", "acknowledged", "closed")


class Issue(Base):
    __tablename__ = "issues"
    # Lists read one page in sort order and stop: one index per sort key.
    # A bounding box reads its range of ``ix_issues_lat_lng``, which also holds
    # every other filter and sort key, so neither count nor page touches a row.
    # Text search has its own indexes (migration 0004, issues/search.py).
    __table_args__ = (
        Index("ix_issues_created_at", "created_at"),
        Index("ix_issues_updated_at", "updated_at"),
        Index("ix_issues_vote_count", "vote_count"),
        Index("ix_issues_status_created", "status", "created_at"),
        Index("ix_issues_reporter_created", "reporter_id", "created_at"),
        Index(
            "ix_issues_lat_lng", "lat", "lng", "status", "created_at", "updated_at", "vote_count"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
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
