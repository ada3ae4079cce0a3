"""Looking up live bearer tokens by their digest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicauth.clients.models import Client
from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken, PersonalAccessToken

# last_used_at is written at most this often, to keep reads cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def active_access_token(session: Session, token: str) -> tuple[OAuthToken, Client] | None:
    """The live (unexpired, unrevoked) OAuth access token and its client."""
    now = utcnow()
    row = session.execute(
        select(OAuthToken, Client)
        .join(Client, Client.id == OAuthToken.client_pk)
        .where(
            OAuthToken.access_token_digest == secrets.digest(token),
            OAuthToken.revoked_at.is_(None),
            OAuthToken.expires_at > now,
        )
    ).first()
    return (row[0], row[1]) if row else None


def active_personal_token(session: Session, token: str) -> PersonalAccessToken | None:
    """The live personal access token; notes when it was last used."""
    now = utcnow()
    pat = session.scalar(
        select(PersonalAccessToken).where(
            PersonalAccessToken.token_digest == secrets.digest(token),
            PersonalAccessToken.revoked_at.is_(None),
        )
    )
    if pat is None or (pat.expires_at is not None and pat.expires_at <= now):
        return None
    if pat.last_used_at is None or now - pat.last_used_at > LAST_USED_RESOLUTION:
        pat.last_used_at = now
    return pat


def expiry_of(expires_at: datetime | None) -> float | None:
    """Seconds from now until ``expires_at`` (None when it never expires)."""
    if expires_at is None:
        return None
    return (expires_at - utcnow()).total_seconds()
