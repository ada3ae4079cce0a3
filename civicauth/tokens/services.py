"""Looking up live bearer tokens by their digest.

The lookups are statements built once, with the token's digest and the
current time as bound parameters: the resolver adds the user's columns and
reads a token and its user in one round trip (auth/resolver.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.orm import Session

from civicauth.clients.models import Client
from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken, PersonalAccessToken

# last_used_at is written at most this often, to keep reads cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def live_access_token() -> Select[int | None, str, str, datetime, str]:
    """(user id, scope, client id, expiry, client status) of the live
    (unexpired, unrevoked) OAuth access token; bind it with ``lookup_params``.
    The app's status comes along: a suspended or rejected app's tokens are
    refused while it is so, and work again when it is approved."""
    return (
        select(
            OAuthToken.user_id,
            OAuthToken.scope,
            Client.client_id,
            OAuthToken.expires_at,
            Client.status,
        )
        .join(Client, Client.id == OAuthToken.client_pk)
        .where(
            OAuthToken.access_token_digest == bindparam("digest"),
            OAuthToken.revoked_at.is_(None),
            OAuthToken.expires_at > bindparam("now"),
        )
    )


def live_personal_token() -> Select[int, int, str, datetime | None, datetime | None]:
    """(id, user id, scope, expiry, last use) of the live personal access
    token; bind it with ``lookup_params``."""
    pat = PersonalAccessToken
    return select(pat.id, pat.user_id, pat.scope, pat.expires_at, pat.last_used_at).where(
        pat.token_digest == bindparam("digest"),
        pat.revoked_at.is_(None),
        or_(pat.expires_at.is_(None), pat.expires_at > bindparam("now")),
    )


def lookup_params(token: str) -> dict[str, Any]:
    """The bound parameters of a lookup of ``token``."""
    return {"digest": secrets.digest(token), "now": utcnow()}


def note_use(session: Session, pat_id: int, last_used_at: datetime | None) -> None:
    """Mark a personal access token used now, unless it was lately."""
    now = utcnow()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == pat_id)
            .values(last_used_at=now)
        )


def expiry_of(expires_at: datetime | None) -> float | None:
    """Seconds from now until ``expires_at`` (None when it never expires)."""
    if expires_at is None:
        return None
    return (expires_at - utcnow()).total_seconds()
