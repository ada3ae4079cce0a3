"""OAuth access and refresh tokens: issue, rotate, revoke, purge.

A row holds one access token and (maybe) its refresh token, as digests.
``grant_id`` names the family born from one authorization: every refresh
adds a row to the family, so reuse of a rotated refresh token can end it all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken

# How long a rotated row is kept after its access token expired, so that a
# replayed old refresh token is still recognised (and ends its family).
ROTATED_RETENTION = timedelta(days=30)


class Rotation(Enum):
    FRESH = "fresh"  # first use: issue the next pair
    REPLAY = "replay"  # used again within the grace window: the same next pair
    REUSED = "reused"  # used again later, or revoked: refuse (and end the family)


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


def new_grant_id() -> str:
    return str(uuid.uuid4())


def store_token(session: Session, token: NewToken) -> OAuthToken:
    now = utcnow()
    row = OAuthToken(
        access_token_digest=secrets.digest(token.access_token),
        refresh_token_digest=secrets.digest(token.refresh_token) if token.refresh_token else None,
        client_pk=token.client_pk,
        user_id=token.user_id,
        grant_id=token.grant_id,
        code_id=token.code_id,
        parent_id=token.parent_id,
        scope=token.scope,
        issued_at=now,
        expires_at=now + timedelta(seconds=token.ttl),
    )
    session.add(row)
    session.flush()
    return row


def find_by_access_token(session: Session, token: str) -> OAuthToken | None:
    """The row of an access token in any state; None if malformed or unknown."""
    if secrets.kind_of(token) is not secrets.Kind.ACCESS:
        return None
    digest = secrets.digest(token)
    return session.scalar(select(OAuthToken).where(OAuthToken.access_token_digest == digest))


def find_by_refresh_token(session: Session, token: str) -> OAuthToken | None:
    """The row of a refresh token in any state; None if malformed or unknown."""
    if secrets.kind_of(token) is not secrets.Kind.REFRESH:
        return None
    digest = secrets.digest(token)
    return session.scalar(select(OAuthToken).where(OAuthToken.refresh_token_digest == digest))


def access_is_active(row: OAuthToken, now: datetime | None = None) -> bool:
    return row.revoked_at is None and row.expires_at > (now or utcnow())


def refresh_is_active(row: OAuthToken) -> bool:
    return (
        row.refresh_token_digest is not None
        and row.revoked_at is None
        and row.refresh_rotated_at is None
    )


def rotate_refresh(
    session: Session, row: OAuthToken, grace_seconds: int, now: datetime | None = None
) -> Rotation:
    """Claim the refresh token of ``row`` for one exchange.

    One conditional UPDATE decides between concurrent exchanges; the loser
    (or a later replay) is a REPLAY only within the grace window.
    """
    moment = now or utcnow()
    result = session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.id == row.id,
            OAuthToken.refresh_rotated_at.is_(None),
            OAuthToken.revoked_at.is_(None),
        )
        .values(refresh_rotated_at=moment)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        row.refresh_rotated_at = moment
        return Rotation.FRESH
    session.refresh(row)
    rotated_at = row.refresh_rotated_at
    in_grace = (
        grace_seconds > 0
        and rotated_at is not None
        and moment - rotated_at <= timedelta(seconds=grace_seconds)
    )
    return Rotation.REPLAY if row.revoked_at is None and in_grace else Rotation.REUSED


def child_of(session: Session, row: OAuthToken) -> OAuthToken | None:
    """The row a refresh of ``row`` produced."""
    return session.scalar(
        select(OAuthToken).where(OAuthToken.parent_id == row.id).order_by(OAuthToken.id).limit(1)
    )


def revoke_token(session: Session, row: OAuthToken, now: datetime | None = None) -> None:
    """Revoke one row: its access token and its refresh token."""
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()


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


def purge_tokens(session: Session, now: datetime | None = None) -> int:
    """Delete revoked rows and rows that can no longer be used or recognised:
    access token expired and no refresh token, or rotated long ago."""
    moment = now or utcnow()
    dead = or_(
        OAuthToken.revoked_at.is_not(None),
        (OAuthToken.expires_at <= moment) & OAuthToken.refresh_token_digest.is_(None),
        (OAuthToken.expires_at <= moment)
        & (OAuthToken.refresh_rotated_at <= moment - ROTATED_RETENTION),
    )
    result = session.execute(
        delete(OAuthToken).where(dead).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
