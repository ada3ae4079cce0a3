"""What the "authorized applications" page shows and does.

An application appears while it can act for the user: it holds a live
access token, a refresh token that can still be exchanged, or a standing
consent that would let it get new tokens without asking again (as
Doorkeeper's page lists the apps holding tokens). Revoking ends all three.
Services never commit: the request edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from civicauth.clients.models import Client
from civicauth.clients.scopes import SCOPES, scope_list
from civicauth.db import utcnow
from civicauth.errors import NotFound
from civicauth.tokens.authorizations import authorized_clients_for, revoke_authorization
from civicauth.tokens.models import OAuthToken
from civicauth.tokens.oauth_tokens import RefreshLifetimes, refresh_expired_clause


@dataclass(frozen=True)
class AuthorizedApp:
    client_pk: int
    client_id: str
    name: str
    organization: str
    scopes: tuple[str, ...]  # in the order of SCOPES
    since: datetime  # first authorized


def _ordered(names: set[str]) -> tuple[str, ...]:
    return tuple(s for s in SCOPES if s in names) + tuple(sorted(names - set(SCOPES)))


def _entry(client: Client, scopes: set[str], since: datetime) -> AuthorizedApp:
    return AuthorizedApp(
        client.id, client.client_id, client.name, client.organization, _ordered(scopes), since
    )


def _live_tokens(
    session: Session, user_id: int, lifetimes: RefreshLifetimes
) -> list[tuple[Client, OAuthToken]]:
    """Tokens the user's apps can still use: an unexpired access token, or a
    refresh token not yet exchanged (RFC 6749 §6) nor expired, and not revoked."""
    now = utcnow()
    usable = or_(
        OAuthToken.expires_at > now,
        and_(
            OAuthToken.refresh_token_digest.is_not(None),
            OAuthToken.refresh_rotated_at.is_(None),
            ~refresh_expired_clause(lifetimes, now),
        ),
    )
    rows = session.execute(
        select(Client, OAuthToken)
        .join(OAuthToken, OAuthToken.client_pk == Client.id)
        .where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None), usable)
    )
    return [(client, token) for client, token in rows.tuples()]


def authorized_applications(
    session: Session, user_id: int, lifetimes: RefreshLifetimes
) -> list[AuthorizedApp]:
    """The apps that can act for this user, with every scope they hold and
    the date they were first authorized, by name."""
    apps: dict[int, AuthorizedApp] = {}
    for client, consent in authorized_clients_for(session, user_id):
        apps[client.id] = _entry(client, set(scope_list(consent.scope)), consent.created_at)
    for client, token in _live_tokens(session, user_id, lifetimes):
        found = apps.get(client.id) or _entry(client, set(), token.issued_at)
        apps[client.id] = replace(
            found,
            scopes=_ordered(set(found.scopes) | set(scope_list(token.scope))),
            since=min(found.since, token.issued_at),
        )
    return sorted(apps.values(), key=lambda app: (app.name.casefold(), app.client_id))


def find_authorized_application(
    session: Session, user_id: int, client_id: str, lifetimes: RefreshLifetimes
) -> AuthorizedApp:
    """One of the user's authorized apps; raises NotFound for any other id."""
    for app in authorized_applications(session, user_id, lifetimes):
        if app.client_id == client_id:
            return app
    raise NotFound(f"no authorized application {client_id}")


def revoke_application(
    session: Session, user_id: int, client_id: str, lifetimes: RefreshLifetimes
) -> AuthorizedApp:
    """End the app's consent, tokens, refresh tokens and unused codes for this
    user; raises NotFound when the app holds nothing of the user's."""
    app = find_authorized_application(session, user_id, client_id, lifetimes)
    revoke_authorization(session, user_id, app.client_pk)
    return app


def live_grant_count(session: Session, client_pk: int, lifetimes: RefreshLifetimes) -> int:
    """How many grants (families of tokens from one authorization) of the app
    still hold a usable token: an unexpired access token, or a refresh token
    that can still be exchanged."""
    now = utcnow()
    usable = or_(
        OAuthToken.expires_at > now,
        and_(
            OAuthToken.refresh_token_digest.is_not(None),
            OAuthToken.refresh_rotated_at.is_(None),
            ~refresh_expired_clause(lifetimes, now),
        ),
    )
    query = select(func.count(distinct(OAuthToken.grant_id))).where(
        OAuthToken.client_pk == client_pk, OAuthToken.revoked_at.is_(None), usable
    )
    return int(session.scalar(query) or 0)
