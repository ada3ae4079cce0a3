"""Single-use links mailed to a resident: password reset, email confirmation
and email change.

A link carries a ``cvl_`` token (tokens/secrets.py: minted there, checksummed
so a mistyped one is refused without a database read); only its SHA-256
digest is stored. Each row says what it is for, the address it was mailed
to, when it dies and when it was used. A reset link is also bound to the
security stamp of its account at issue, so any password change kills it
(an email-change link too); every link dies when the account's email changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicauth.accounts.models import User
from civicauth.accounts.validation import normalize_email
from civicauth.db import Base, utcnow
from civicauth.errors import CivicAuthError
from civicauth.tokens import secrets

Purpose = Literal["password_reset", "verify_email", "change_email"]
LIFETIMES: dict[Purpose, timedelta] = {
    "password_reset": timedelta(minutes=30),
    "verify_email": timedelta(hours=24),
    "change_email": timedelta(hours=24),
}


class LinkInvalid(CivicAuthError):
    """The link is unknown, used, expired, or no longer fits its account."""


class AccountToken(Base):
    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was mailed to (the new one, for an email change).
    email: Mapped[str] = mapped_column(String(254))
    # The account's security stamp at issue: a password change since kills a reset link.
    security_stamp: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


def issue_link(session: Session, user: User, purpose: Purpose, email: str | None = None) -> str:
    """A new link token for ``user`` (mailed to ``email``, by default the
    account's). Earlier unused links of the same purpose stop working: only
    the newest mail counts. Returns the token, which is stored only as a digest."""
    now = utcnow()
    _retire(session, user.id, now, purpose)
    token = secrets.keys_of(session).mint(secrets.Kind.ACCOUNT_LINK)
    session.add(
        AccountToken(
            purpose=purpose,
            user_id=user.id,
            token_digest=secrets.digest(token),
            email=email or user.email,
            security_stamp=user.security_stamp,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    return token


def live_link(session: Session, token: str, purposes: tuple[Purpose, ...]) -> AccountToken:
    """The unused, unexpired link row of ``token`` for one of ``purposes``
    that still fits its account; raises LinkInvalid. Changes nothing (the
    page a mailed link opens calls this; a mail scanner may open it too)."""
    if secrets.keys_of(session).kind_of(token) is not secrets.Kind.ACCOUNT_LINK:
        raise LinkInvalid()
    row = session.scalar(
        select(AccountToken).where(AccountToken.token_digest == secrets.digest(token))
    )
    if row is None or row.purpose not in purposes or row.used_at is not None:
        raise LinkInvalid()
    if row.expires_at <= utcnow() or not _fits(session.get_one(User, row.user_id), row):
        raise LinkInvalid()
    return row


def use_link(session: Session, token: str, purposes: tuple[Purpose, ...]) -> AccountToken:
    """Mark the live link of ``token`` used and return it; raises LinkInvalid.

    The UPDATE only succeeds while ``used_at`` is null, so two requests with
    the same link cannot both use it."""
    row = live_link(session, token, purposes)
    used = session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkInvalid()
    session.refresh(row)
    return row


def retire_links(session: Session, user_id: int) -> None:
    """End every unused link of the user (their email changed)."""
    _retire(session, user_id, utcnow())


def pending_email_change(session: Session, user_id: int) -> str | None:
    """The new address a live email-change link was sent to, or None."""
    return session.scalar(
        select(AccountToken.email)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == "change_email",
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
        .order_by(AccountToken.id.desc())
        .limit(1)
    )


def dead_links(now: datetime) -> ColumnElement[bool]:
    """SQL for the links the upkeep deletes: expired, used or not (a used
    one is kept until then; either way the page says the link is dead)."""
    return AccountToken.expires_at <= now


def _retire(session: Session, user_id: int, now: datetime, purpose: Purpose | None = None) -> None:
    query = update(AccountToken).where(
        AccountToken.user_id == user_id, AccountToken.used_at.is_(None)
    )
    if purpose is not None:
        query = query.where(AccountToken.purpose == purpose)
    # Retired rows count as used: one state for "this link no longer works".
    session.execute(query.values(used_at=now).execution_options(synchronize_session=False))


def _fits(user: User, row: AccountToken) -> bool:
    """Whether the account is still as it was when the link was mailed."""
    if row.purpose == "verify_email":
        return normalize_email(row.email) == user.email_canonical
    # A reset or an email change asked for before the password changed (by
    # the resident taking the account back, say) must not go through.
    return row.security_stamp == user.security_stamp
