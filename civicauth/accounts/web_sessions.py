"""Server-side records of the pages' sessions, and the browsers each user
has signed in from.

A session row is found by the SHA-256 digest of the random id in the
browser's cookie; the raw id is never stored. Its data is sealed with a key
derived from that raw id (web/session_store.py), so the table alone opens
nothing. Services never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ForeignKey, Index, LargeBinary, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicauth.db import Base, utcnow

# last_seen_at is written at most this often: a page load is not a write.
LAST_SEEN_EVERY = timedelta(minutes=1)


def digest_of(raw_id: str) -> str:
    """The hex SHA-256 of a cookie's random id: what the tables hold."""
    return hashlib.sha256(raw_id.encode()).hexdigest()


class WebSession(Base):
    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    # None until someone signs in: an anonymous visitor with a flash message
    # or a half-finished sign-in.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    password_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # AES-GCM: nonce, then ciphertext and tag.
    data: Mapped[bytes] = mapped_column(LargeBinary)


class KnownBrowser(Base):
    """A browser (its device cookie's digest) a user has signed in from."""

    __tablename__ = "known_browsers"
    __table_args__ = (Index("uq_known_browsers_user_digest", "user_id", "digest", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class SessionView:
    """One session as Password & Security lists it."""

    id: int
    user_agent: str
    address: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def find_live(session: Session, digest: str, idle: timedelta) -> WebSession | None:
    """The session with this digest, unless it was idle longer than ``idle``."""
    row = session.scalar(select(WebSession).where(WebSession.digest == digest))
    if row is None or row.last_seen_at < utcnow() - idle:
        return None
    return row


def sessions_of(
    session: Session, user_id: int, current_id: int | None, idle: timedelta
) -> list[SessionView]:
    """The user's live sessions, this one first, then the most recently seen."""
    query = (
        select(WebSession)
        .where(WebSession.user_id == user_id, WebSession.last_seen_at >= utcnow() - idle)
        .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
    )
    views = [
        SessionView(
            row.id,
            row.user_agent,
            row.address,
            row.created_at,
            row.last_seen_at,
            row.id == current_id,
        )
        for row in session.scalars(query)
    ]
    return sorted(views, key=lambda view: not view.current)


def drop(session: Session, session_id: int) -> None:
    """Delete a session row (signed out, emptied, or replaced by a new id)."""
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def end_session(session: Session, user_id: int, session_id: int) -> bool:
    """Delete one of the user's sessions; False when it is not theirs or gone."""
    ended = session.execute(
        delete(WebSession).where(WebSession.id == session_id, WebSession.user_id == user_id)
    )
    return bool(ended.rowcount)  # type: ignore[attr-defined]


def end_sessions(session: Session, user_id: int, *, keep: int | None = None) -> int:
    """Delete every session of the user except ``keep``; how many ended."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def touch(session: Session, session_id: int, **values: object) -> bool:
    """Update an existing session row; False when it was deleted meanwhile
    (signed out from elsewhere): a session is never brought back."""
    changed = session.execute(
        update(WebSession).where(WebSession.id == session_id).values(**values)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def idle_rows(idle: timedelta, now: datetime) -> ColumnElement[bool]:
    """SQL for the sessions the upkeep deletes: idle longer than ``idle``
    (find_live already treats them as gone)."""
    return WebSession.last_seen_at < now - idle


def remember_browser(session: Session, user_id: int, device_id: str) -> bool:
    """Record that the user signed in from this browser. True when that is
    news worth a mail: the browser is new for them, and it is not their
    first one (a new account, or one from before browsers were recorded)."""
    digest = digest_of(device_id)
    known = set(session.scalars(select(KnownBrowser.digest).where(KnownBrowser.user_id == user_id)))
    if digest in known:
        return False
    try:
        with session.begin_nested():
            session.add(KnownBrowser(user_id=user_id, digest=digest))
    except IntegrityError:
        return False  # a parallel sign-in from the same browser recorded it
    return bool(known)
