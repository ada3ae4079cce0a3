"""Rows of every kind the upkeep purges, dead or alive, written directly
(the flows that make them are tested elsewhere; here only their age matters)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from civicauth.accounts.account_tokens import AccountToken
from civicauth.accounts.web_sessions import WebSession
from civicauth.db import utcnow
from civicauth.mail.models import FAILED, PENDING, SENT, MailMessage
from civicauth.tokens.models import AuthorizationCode, OAuthToken, PersonalAccessToken
from civicauth.usage.models import ApiUsage

DAY = timedelta(days=1)


def digest() -> str:
    return secrets.token_hex(32)


def token(client_pk: int, user_id: int, **values: Any) -> OAuthToken:
    now = utcnow()
    fields: dict[str, Any] = {
        "access_token_digest": digest(),
        "refresh_token_digest": None,
        "client_pk": client_pk,
        "user_id": user_id,
        "grant_id": secrets.token_hex(16),
        "scope": "public",
        "issued_at": now,
        "grant_issued_at": now,
        "expires_at": now + timedelta(hours=2),
    }
    return OAuthToken(**{**fields, **values})


def code(client_pk: int, user_id: int, expires_in: timedelta) -> AuthorizationCode:
    return AuthorizationCode(
        code_digest=digest(),
        client_pk=client_pk,
        user_id=user_id,
        redirect_uri="http://127.0.0.1/callback",
        scope="public",
        expires_at=utcnow() + expires_in,
    )


def usage(age_days: int) -> ApiUsage:
    """A day's count of an app of its own, ``age_days`` days ago (UTC)."""
    day = utcnow().date() - timedelta(days=age_days)
    return ApiUsage(day=day, method="oauth", client_id=secrets.token_hex(8), count=3)


def dead_rows(client_pk: int, user_id: int) -> list[Any]:
    """One row of each kind the purge deletes (two for tokens: two rules)."""
    now = utcnow()
    long_ago = now - timedelta(days=400)
    return [
        token(client_pk, user_id, expires_at=now - DAY),  # expired, no refresh token
        token(client_pk, user_id, revoked_at=now),  # revoked
        token(  # refresh token expired unused (the idle lifetime)
            client_pk,
            user_id,
            refresh_token_digest=digest(),
            issued_at=long_ago,
            grant_issued_at=long_ago,
            expires_at=long_ago + timedelta(hours=2),
        ),
        code(client_pk, user_id, -timedelta(minutes=1)),
        PersonalAccessToken(
            user_id=user_id,
            name="gone",
            token_digest=digest(),
            display_prefix="cvp_gone",
            scope="public",
            revoked_at=now,
        ),
        AccountToken(
            purpose="password_reset",
            user_id=user_id,
            token_digest=digest(),
            email="x@example.com",
            security_stamp="s",
            expires_at=now - timedelta(minutes=1),
        ),
        WebSession(digest=digest(), user_id=user_id, last_seen_at=now - 400 * DAY, data=b""),
        MailMessage(
            to_address="x@example.com",
            template="t",
            context={},
            state=SENT,
            sent_at=now - 30 * DAY,
        ),
        usage(400),  # past the 90 days kept by default
    ]


def live_rows(client_pk: int, user_id: int) -> list[Any]:
    """Rows that look close to dead but are not, one or more of each kind."""
    now = utcnow()
    return [
        token(client_pk, user_id),  # live access token
        token(  # access token expired, refresh token still good
            client_pk, user_id, refresh_token_digest=digest(), expires_at=now - DAY
        ),
        token(  # rotated recently: kept so that a replay is recognised
            client_pk,
            user_id,
            refresh_token_digest=digest(),
            expires_at=now - DAY,
            refresh_rotated_at=now - DAY,
        ),
        code(client_pk, user_id, timedelta(minutes=5)),
        PersonalAccessToken(  # expired but not revoked: still listed to its owner
            user_id=user_id,
            name="listed",
            token_digest=digest(),
            display_prefix="cvp_list",
            scope="public",
            expires_at=now - DAY,
        ),
        AccountToken(
            purpose="verify_email",
            user_id=user_id,
            token_digest=digest(),
            email="x@example.com",
            security_stamp="s",
            expires_at=now + DAY,
        ),
        WebSession(digest=digest(), user_id=user_id, last_seen_at=now - DAY, data=b""),
        MailMessage(
            to_address="x@example.com", template="t", context={}, state=SENT, sent_at=now - DAY
        ),
        MailMessage(  # failed mail stays listed for ever
            to_address="x@example.com",
            template="t",
            context={},
            state=FAILED,
            created_at=now - 400 * DAY,
        ),
        MailMessage(to_address="x@example.com", template="t", context={}, state=PENDING),
        usage(0),
        usage(89),  # the oldest day kept by default
    ]


def add(ctx: Any, rows: list[Any]) -> set[tuple[str, int]]:
    """Store ``rows``; their (table, id) pairs."""
    with ctx.db.transaction() as session:
        session.add_all(rows)
        session.flush()
        return {(row.__tablename__, row.id) for row in rows}


def present(ctx: Any, keys: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of ``keys`` are still in the database."""
    from civicauth.models import Base

    tables = {mapper.class_.__tablename__: mapper.class_ for mapper in Base.registry.mappers}
    with ctx.db.read() as session:
        return {(name, pk) for name, pk in keys if session.get(tables[name], pk) is not None}
