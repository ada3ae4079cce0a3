from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from civicauth.db import Base, utcnow


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # Lower-cased email: uniqueness regardless of case, on every database.
    email_canonical: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Changes with the password: sessions and cached credentials that carry
    # an older stamp are dead.
    security_stamp: Mapped[str] = mapped_column(String(32), default=new_security_stamp)
    # When the resident followed a link mailed to ``email``; None until then
    # (and again never None after an email change, which needs the link).
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    # Operators run the console at /admin (civicauth users grant-operator).
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set by an operator: the account cannot sign in or use the API (any
    # credential) until unlocked (accounts/locks.py).
    locked_at: Mapped[datetime | None] = mapped_column(default=None)
    lock_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Append-only record of security events shown on "Password & Security"."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_user_created", "user_id", "created_at"),
        # The operator's security log (accounts/security_log.py): newest
        # first by id, within a date range, or for one app.
        Index("ix_audit_events_created", "created_at"),
        Index("ix_audit_events_client_id", "client_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    client_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    # The operator who did it, for actions taken on the console or the
    # command line; a plain number, not a foreign key: the log keeps it
    # after that account is gone.
    operator_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
