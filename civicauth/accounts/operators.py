"""The operator role and account locks.

Operators run the console at ``/admin``; the role is given and taken on the
command line (``civicauth users grant-operator`` / ``revoke-operator``), so
nobody can make themselves one in the browser. A locked account cannot sign
in, nor use the API with its password or any of its tokens, until an
operator unlocks it: the API request resolver reads ``users.locked_at`` in
the statement that reads the credential (auth/resolver.py), so every worker
refuses it within the credential cache's freshness (one second).

Services never commit: the request edge (or the command) owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from civicauth.accounts import web_sessions
from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.db import utcnow
from civicauth.errors import ValidationFailed

MAX_REASON = 500
# What a locked resident is told once their password (or passkey) is right.
LOCKED_MESSAGE = (
    "This account is locked by the people who run this service, so it cannot sign in. "
    "Contact them to have it unlocked."
)


# Built once, on the table (a Core statement): every code exchange and
# refresh asks.
_LOCKED_AT = select(User.__table__.c.locked_at).where(User.__table__.c.id == bindparam("user_id"))


def is_locked(session: Session, user_id: int) -> bool:
    """Whether the account is locked (False for one that does not exist)."""
    return session.execute(_LOCKED_AT, {"user_id": user_id}).scalar() is not None


def set_operator(session: Session, user: User, value: bool, *, by: User | None = None) -> bool:
    """Give (``value`` True) or take the operator role; False when the user
    already was (or was not) one, which changes and records nothing."""
    if user.is_operator == value:
        return False
    user.is_operator = value
    event = "operator_granted" if value else "operator_revoked"
    record_event(session, event, user_id=user.id, operator_id=by.id if by else None)
    session.flush()
    return True


def clean_reason(reason: str, *, required: bool = True) -> str:
    """The reason an operator gave, trimmed; ValidationFailed when it is
    missing (and ``required``) or too long."""
    reason = " ".join(reason.split())
    if required and not reason:
        raise ValidationFailed({"reason": ["can't be blank"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"is too long (maximum is {MAX_REASON} characters)"]})
    return reason


def lock_user(
    session: Session, user: User, by: User | None, reason: str, *, address: str | None = None
) -> bool:
    """Lock the account: it cannot sign in or use the API until unlocked,
    and every browser signed in to it is signed out now. False (nothing
    changes) when it was locked already. Raises ValidationFailed for a
    missing or too long reason. The caller forgets the user's cached
    credentials in its own process (``AppContext.forget_user``); other
    workers follow within a second."""
    reason = clean_reason(reason)
    if user.locked_at is not None:
        return False
    user.locked_at, user.lock_reason = utcnow(), reason
    ended = web_sessions.end_sessions(session, user.id)
    detail = f"{reason} ({ended} session(s) ended)"
    record_event(
        session,
        "account_locked",
        user_id=user.id,
        operator_id=by.id if by else None,
        address=address,
        detail=detail,
    )
    session.flush()
    return True


def unlock_user(
    session: Session, user: User, by: User | None, reason: str = "", *, address: str | None = None
) -> bool:
    """Unlock the account; False (nothing changes) when it was not locked."""
    if user.locked_at is None:
        return False
    user.locked_at, user.lock_reason = None, ""
    record_event(
        session,
        "account_unlocked",
        user_id=user.id,
        operator_id=by.id if by else None,
        address=address,
        detail=clean_reason(reason, required=False),
    )
    session.flush()
    return True
