"""Arranging OAuth grants directly in the database: a user's consent to an
application and a token pair, as the authorization endpoint would leave them."""

from __future__ import annotations

from typing import Any

from civicauth.tokens import secrets
from civicauth.tokens.authorizations import record_consent
from civicauth.tokens.oauth_tokens import NewToken, new_grant_id, store_token


def issue_tokens(
    ctx: Any, user_id: int, client_pk: int, scope: str = "public write", ttl: int = 7200
) -> tuple[str, str]:
    """Consent plus a live access token and refresh token; returns (access, refresh)."""
    access = ctx.tokens.mint(secrets.Kind.ACCESS)
    refresh = ctx.tokens.mint(secrets.Kind.REFRESH)
    with ctx.db.transaction() as session:
        record_consent(session, user_id, client_pk, scope)
        store_token(
            session,
            NewToken(client_pk, user_id, scope, access, refresh, ttl, new_grant_id()),
        )
    return access, refresh
