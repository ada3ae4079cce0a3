"""Token revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint as _Revocation
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _Introspection

from civicauth.accounts.operators import is_locked
from civicauth.clients.models import APPROVED, PENDING, Client
from civicauth.oauth2.adapters import ClientAdapter, TokenAdapter
from civicauth.oauth2.request_store import RequestStore
from civicauth.tokens import oauth_tokens, secrets


def find_token(server: RequestStore, token: str) -> TokenAdapter | None:
    """The token's row, whatever the hint says: the prefix tells access from
    refresh (RFC 7009 §2.1 lets the server look beyond the hint)."""
    kind = secrets.kind_of(token)
    row: oauth_tokens.AnyToken | None
    if kind is secrets.Kind.ACCESS:
        row = oauth_tokens.find_by_access_token(server.session, token)
    elif kind is secrets.Kind.REFRESH:
        row = oauth_tokens.find_by_refresh_token(server.session, token)
    else:
        return None
    if row is None:
        return None
    lifetimes = server.config.refresh_lifetimes
    return TokenAdapter(row, as_refresh=kind is secrets.Kind.REFRESH, lifetimes=lifetimes)


def honoured_now(server: RequestStore, token: TokenAdapter) -> bool:
    """Whether the API would take the token now as far as its app and user go:
    not while an operator has the app suspended or rejected, nor the account
    locked. Otherwise introspection says ``active: false`` (RFC 7662 §2.2),
    as the API answers 401."""
    client = server.session.get(Client, token.row.client_pk)
    if client is None or client.status not in (APPROVED, PENDING):
        return False
    user_id = token.row.user_id
    return user_id is None or not is_locked(server.session, user_id)


def require_token(request: Any) -> None:
    # An unknown token_type_hint is ignored, as RFC 7009 §2.1 allows.
    if not request.form.get("token"):
        raise InvalidRequestError("Missing 'token'.")


class RevocationEndpoint(_Revocation):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    server: RequestStore

    def check_params(self, request: Any, client: ClientAdapter) -> None:
        require_token(request)

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenAdapter | None:
        found = find_token(self.server, token_string)
        # An already revoked token needs nothing more (and no second audit entry).
        return found if found and found.row.revoked_at is None else None

    def revoke_token(self, token: TokenAdapter, request: Any) -> None:
        self.server.note_revoked(token.row.user_id, token.row.client_pk)
        if token.as_refresh:
            # RFC 7009 §2.1: revoking a refresh token ends the access tokens
            # of the same grant too.
            oauth_tokens.revoke_grant(self.server.session, token.row.grant_id)
        else:
            oauth_tokens.revoke_token(self.server.session, token.row)


class IntrospectionEndpoint(_Introspection):
    # RFC 7662 §2.1: only authenticated clients, so public ones cannot probe.
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: RequestStore

    def check_params(self, request: Any, client: ClientAdapter) -> None:
        require_token(request)

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenAdapter | None:
        found = find_token(self.server, token_string)
        return found if found is not None and honoured_now(self.server, found) else None

    def check_permission(self, token: TokenAdapter, client: ClientAdapter, request: Any) -> bool:
        # A client learns only about its own tokens; others look inactive.
        return token.check_client(client)

    def introspect_token(self, token: TokenAdapter) -> dict[str, Any]:
        row = token.row
        payload: dict[str, Any] = {
            "active": True,
            "scope": row.scope,
            "client_id": self.server.client_id_of(row.client_pk),
            "iat": int(row.issued_at.timestamp()),
            "iss": self.server.config.issuer,
        }
        # RFC 7662 §2.2: exp is when the token presented expires; for a
        # refresh token, the sooner of its idle and its grant's absolute end.
        payload["exp"] = token.get_expires_at()
        if not token.as_refresh:
            payload["token_type"] = "Bearer"
        if row.user_id is not None:
            payload["sub"] = str(row.user_id)
        return payload
