"""OAuth access and refresh tokens: issue, rotate, expire, revoke, purge.

A row holds one access token and (maybe) its refresh token, as digests.
``grant_id`` names the family born from one authorization: every refresh
adds a row to the family, so reuse of a rotated refresh token can end it all.
A refresh token dies unused after the idle lifetime, and every refresh token
of a family dies the absolute lifetime after the family's first token
(``grant_issued_at``, copied on rotation) was issued (RFC 9700 §4.14.2).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from civicauth.db import Base, utcnow
from civicauth.settings import Settings
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken

# How long a rotated row is kept after its access token expired, so that a
# replayed old refresh token is still recognised (and ends its family).
ROTATED_RETENTION = timedelta(days=30)
_TABLE = Base.metadata.tables[OAuthToken.__tablename__]
_INSERT = insert(_TABLE)


class TokenRecord(NamedTuple):
    """A token's row as the refresh grant (and introspection, revocation)
    read it: a tuple, no ORM object; the column names of OAuthToken."""

    id: int
    client_pk: int
    user_id: int | None
    grant_id: str
    scope: str
    refresh_token_digest: str | None
    issued_at: datetime
    grant_issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    refresh_rotated_at: datetime | None
    code_id: int | None  # the code its grant began with (OpenID refreshes)


# A token row of either kind, for what reads only its columns.
AnyToken = OAuthToken | TokenRecord
# Built once (bound parameters), on the table: a Core statement skips the
# ORM's execution path, which costs more than the statement.
_BY_REFRESH_DIGEST = select(*(_TABLE.c[name] for name in TokenRecord._fields)).where(
    _TABLE.c.refresh_token_digest == bindparam("digest")
)
# The claim of a refresh token: one conditional UPDATE decides between
# concurrent exchanges.
_ROTATE = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("row_id"),
        _TABLE.c.refresh_rotated_at.is_(None),
        _TABLE.c.revoked_at.is_(None),
    )
    .values(refresh_rotated_at=bindparam("moment"))
)
_REVOKE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("moment"))
)
# What a losing claim reads: why it lost.
_ROTATION_STATE = select(_TABLE.c.refresh_rotated_at, _TABLE.c.revoked_at).where(
    _TABLE.c.id == bindparam("row_id")
)


class Rotation(Enum):
    FRESH = "fresh"  # first use: issue the next pair
    REPLAY = "replay"  # used again within the grace window: the same next pair
    REUSED = "reused"  # used again later, or revoked: refuse (and end the family)


@dataclass(frozen=True)
class RefreshLifetimes:
    """How long a refresh token lives unused (``idle``) and how long after
    its family's first token any of the family's refresh tokens may be used
    (``absolute``)."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> RefreshLifetimes:
        """CIVICAUTH_REFRESH_TOKEN_IDLE_TTL and _MAX_TTL."""
        return cls(
            timedelta(seconds=settings.refresh_token_idle_ttl),
            timedelta(seconds=settings.refresh_token_max_ttl),
        )


class RefreshExpiry(Enum):
    """Why a refresh token can no longer be exchanged."""

    IDLE = "idle"
    ABSOLUTE = "absolute"

    def describe(self, lifetimes: RefreshLifetimes) -> str:
        """What the client is told (RFC 6749 §5.2 error_description)."""
        if self is RefreshExpiry.IDLE:
            seconds = int(lifetimes.idle.total_seconds())
            return (
                f"The refresh token has expired: it was not used within {seconds} seconds "
                "of being issued."
            )
        seconds = int(lifetimes.absolute.total_seconds())
        return (
            f"The refresh token has expired: its grant was first issued more than {seconds} "
            "seconds ago; the user must authorize the application again."
        )


@dataclass(frozen=True)
class NewToken:
    client_pk: int
    user_id: int | None
    scope: str
    access_token: str
    refresh_token: str | None
    ttl: int
    grant_id: str
    code_id: int | None = None
    parent_id: int | None = None
    # The family's first issue; None: this token starts a family.
    grant_issued_at: datetime | None = None


def new_grant_id() -> str:
    return str(uuid.uuid4())


def _row_values(token: NewToken) -> dict[str, object]:
    """The columns of the row that stores ``token`` (digests only)."""
    now = utcnow()
    return {
        "access_token_digest": secrets.digest(token.access_token),
        "refresh_token_digest": secrets.digest(token.refresh_token)
        if token.refresh_token
        else None,
        "client_pk": token.client_pk,
        "user_id": token.user_id,
        "grant_id": token.grant_id,
        "code_id": token.code_id,
        "parent_id": token.parent_id,
        "scope": token.scope,
        "issued_at": now,
        "grant_issued_at": token.grant_issued_at or now,
        "expires_at": now + timedelta(seconds=token.ttl),
    }


def store_token(session: Session, token: NewToken) -> OAuthToken:
    """Store ``token`` and return its row, flushed (it has its id)."""
    row = OAuthToken(**_row_values(token))
    session.add(row)
    session.flush()
    return row


def insert_token(session: Session, token: NewToken) -> None:
    """Store ``token`` with one INSERT and no ORM object: what the token
    endpoint does, which needs nothing of the row once it is written (an
    ORM object and its flush cost several times the statement itself)."""
    session.execute(_INSERT, _row_values(token))


def find_by_access_token(session: Session, token: str) -> OAuthToken | None:
    """The row of an access token in any state; None if malformed or unknown."""
    if secrets.keys_of(session).kind_of(token) is not secrets.Kind.ACCESS:
        return None
    digest = secrets.digest(token)
    return session.scalar(select(OAuthToken).where(OAuthToken.access_token_digest == digest))


def find_by_refresh_token(session: Session, token: str) -> TokenRecord | None:
    """The row of a refresh token in any state; None if malformed or unknown."""
    if secrets.keys_of(session).kind_of(token) is not secrets.Kind.REFRESH:
        return None
    row = session.execute(_BY_REFRESH_DIGEST, {"digest": secrets.digest(token)}).first()
    return TokenRecord._make(row) if row is not None else None


def access_is_active(row: OAuthToken, now: datetime | None = None) -> bool:
    return row.revoked_at is None and row.expires_at > (now or utcnow())


def refresh_expires_at(row: AnyToken, lifetimes: RefreshLifetimes) -> datetime:
    """When the refresh token of ``row`` dies if it is not used before:
    the sooner of its idle end and its family's absolute end."""
    return min(row.issued_at + lifetimes.idle, row.grant_issued_at + lifetimes.absolute)


def refresh_expiry(
    row: AnyToken, lifetimes: RefreshLifetimes, now: datetime | None = None
) -> RefreshExpiry | None:
    """Why the refresh token of ``row`` has expired, or None if it has not."""
    moment = now or utcnow()
    if row.grant_issued_at + lifetimes.absolute <= moment:
        return RefreshExpiry.ABSOLUTE
    if row.issued_at + lifetimes.idle <= moment:
        return RefreshExpiry.IDLE
    return None


def refresh_is_spent(row: AnyToken) -> bool:
    """Whether ``row`` has no refresh token, or it was revoked or exchanged."""
    return (
        row.refresh_token_digest is None
        or row.revoked_at is not None
        or row.refresh_rotated_at is not None
    )


def refresh_is_active(
    row: AnyToken, lifetimes: RefreshLifetimes, now: datetime | None = None
) -> bool:
    """Whether the refresh token of ``row`` may be exchanged now."""
    return not refresh_is_spent(row) and refresh_expiry(row, lifetimes, now) is None


def refresh_expired_clause(lifetimes: RefreshLifetimes, now: datetime) -> ColumnElement[bool]:
    """SQL for "the refresh token of this row has expired" (refresh_expiry)."""
    return or_(
        OAuthToken.issued_at <= now - lifetimes.idle,
        OAuthToken.grant_issued_at <= now - lifetimes.absolute,
    )


def rotate_refresh(
    session: Session, row: AnyToken, grace_seconds: int, now: datetime | None = None
) -> Rotation:
    """Claim the refresh token of ``row`` for one exchange.

    One conditional UPDATE decides between concurrent exchanges; the loser
    (or a later replay) is a REPLAY only within the grace window.
    """
    moment = now or utcnow()
    result = session.execute(_ROTATE, {"row_id": row.id, "moment": moment})
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return Rotation.FRESH
    rotated_at, revoked_at = session.execute(_ROTATION_STATE, {"row_id": row.id}).one()
    in_grace = (
        grace_seconds > 0
        and rotated_at is not None
        and moment - rotated_at <= timedelta(seconds=grace_seconds)
    )
    return Rotation.REPLAY if revoked_at is None and in_grace else Rotation.REUSED


def child_of(session: Session, row: AnyToken) -> OAuthToken | None:
    """The row a refresh of ``row`` produced."""
    return session.scalar(
        select(OAuthToken).where(OAuthToken.parent_id == row.id).order_by(OAuthToken.id).limit(1)
    )


def revoke_token(session: Session, row: AnyToken, now: datetime | None = None) -> None:
    """Revoke one row: its access token and its refresh token."""
    session.execute(_REVOKE, {"row_id": row.id, "moment": now or utcnow()})


def revoke_grant(session: Session, grant_id: str, now: datetime | None = None) -> int:
    """Revoke every token of one family; returns how many were live."""
    result = session.execute(
        update(OAuthToken)
        .where(OAuthToken.grant_id == grant_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_issued_from_code(session: Session, code_id: int, now: datetime | None = None) -> int:
    """RFC 6749 §4.1.2: a replayed code revokes the tokens issued from it,
    with every refresh they have turned into since."""
    families = select(OAuthToken.grant_id).where(OAuthToken.code_id == code_id)
    result = session.execute(
        update(OAuthToken)
        .where(OAuthToken.grant_id.in_(families), OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_for_user_and_client(
    session: Session, user_id: int, client_pk: int, now: datetime | None = None
) -> int:
    result = session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.user_id == user_id,
            OAuthToken.client_pk == client_pk,
            OAuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def expired_refresh_rows(lifetimes: RefreshLifetimes, now: datetime) -> ColumnElement[bool]:
    """SQL for the rows the upkeep deletes and counts apart (before refresh
    tokens expired, such rows were kept for ever): a live row whose access
    token and unexchanged refresh token have both expired."""
    return and_(
        OAuthToken.revoked_at.is_(None),
        OAuthToken.expires_at <= now,
        OAuthToken.refresh_token_digest.is_not(None),
        OAuthToken.refresh_rotated_at.is_(None),
        refresh_expired_clause(lifetimes, now),
    )


def dead_rows(now: datetime) -> ColumnElement[bool]:
    """SQL for the other rows that can no longer be used or recognised:
    revoked, or access token expired with no refresh token, or a refresh
    token rotated longer ago than a replay of it needs recognising."""
    access_expired = OAuthToken.expires_at <= now
    return or_(
        OAuthToken.revoked_at.is_not(None),
        access_expired & OAuthToken.refresh_token_digest.is_(None),
        access_expired & (OAuthToken.refresh_rotated_at <= now - ROTATED_RETENTION),
    )
