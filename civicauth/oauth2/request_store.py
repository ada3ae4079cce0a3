"""What the authorization server, its grants and its endpoints share for one
request: the configuration, the request's database session, the clients
looked up so far, the users (or apps) whose tokens were revoked, and the making of
token pairs. The grants and endpoints import this module, never server.py,
which registers them (an import-linter contract keeps it so)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import InvalidScopeError
from sqlalchemy.orm import Session

from civicauth.accounts import claims
from civicauth.clients.models import Client
from civicauth.clients.records import find_client_record
from civicauth.oauth2.adapters import ClientAdapter
from civicauth.settings import Settings
from civicauth.signing_keys.services import signing_key
from civicauth.tokens import secrets
from civicauth.tokens.oauth_tokens import RefreshLifetimes


@dataclass(frozen=True)
class ServerConfig:
    issuer: str
    access_token_ttl: int
    auth_code_ttl: int
    refresh_grace_seconds: int
    refresh_lifetimes: RefreshLifetimes
    key: bytes  # derives the pair a refresh token rotates into
    token_params_in_query: str = "accept"  # or "refuse" (oauth2/query_params.py)
    id_token_ttl: int = 3600  # seconds (OIDC Core §2 exp)

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerConfig:
        return cls(
            issuer=settings.issuer,
            access_token_ttl=settings.access_token_ttl,
            auth_code_ttl=settings.auth_code_ttl,
            refresh_grace_seconds=settings.refresh_grace_seconds,
            refresh_lifetimes=RefreshLifetimes.from_settings(settings),
            token_params_in_query=settings.token_params_in_query,
            id_token_ttl=settings.id_token_ttl,
            key=secrets.keyed_digest(
                settings.resolved_secret_key().encode(), "refresh-rotation"
            ).encode(),
        )


class RequestStore:
    """One request's storage, as the server, grants and endpoints use it."""

    session: Session

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._forget_the_last_request()

    def bind(self, session: Session) -> None:
        """Begin a request on ``session``, with nothing of the last one kept."""
        self.session = session
        self._forget_the_last_request()

    def _forget_the_last_request(self) -> None:
        self._clients: dict[str, ClientAdapter | None] = {}
        # Users whose tokens this request revoked, and apps whose own tokens
        # (without a user: client credentials) it revoked: their cached
        # credentials are dropped once the transaction commits.
        self.revoked_users: set[int] = set()
        self.revoked_clients: set[str] = set()
        self._signing_keys: dict[str, Any] = {}

    def query_client(self, client_id: str | None) -> ClientAdapter | None:
        if not client_id:
            return None
        if client_id not in self._clients:
            row = find_client_record(self.session, client_id)
            self._clients[client_id] = ClientAdapter(row) if row else None
        return self._clients[client_id]

    def client_id_of(self, client_pk: int) -> str | None:
        row = self.session.get(Client, client_pk)
        return row.client_id if row else None

    def note_revoked(self, user_id: int | None, client_pk: int | None = None) -> None:
        """A token of ``user_id`` was revoked; one without a user is noted by
        its app (``client_pk``) instead."""
        if user_id is not None:
            self.revoked_users.add(user_id)
        elif client_pk is not None and (client_id := self.client_id_of(client_pk)):
            self.revoked_clients.add(client_id)

    # -- OpenID Connect -------------------------------------------------------

    def id_token_key(self, alg: str) -> Any:
        """The key that signs ID tokens with ``alg`` now (a joserfc key with
        its ``kid``), read once per request."""
        if alg not in self._signing_keys:
            self._signing_keys[alg] = signing_key(self.session, alg)
        return self._signing_keys[alg]

    def user_claims(self, user_id: int, scope: str) -> dict[str, Any]:
        """``sub`` and the claims ``scope`` grants (OIDC Core §5.4)."""
        return claims.user_claims(self.session, user_id, set(scope.split()), self.config.issuer)

    # -- token pairs ---------------------------------------------------------

    def generate_bearer_token(
        self,
        grant_type: str,
        client: ClientAdapter,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Authlib's token generator: a fresh pair, with the scope the app may have."""
        allowed = client.get_allowed_scope(scope)
        if allowed is None:
            raise InvalidScopeError()
        tokens = secrets.keys_of(self.session)
        refresh = tokens.mint(secrets.Kind.REFRESH) if include_refresh_token else None
        return self._token(allowed, tokens.mint(secrets.Kind.ACCESS), refresh)

    def rotated_token(self, scope: str, old_refresh_token: str) -> dict[str, Any]:
        """The pair ``old_refresh_token`` turns into: always the same one."""
        key, tokens = self.config.key, secrets.keys_of(self.session)
        access = tokens.derive(secrets.Kind.ACCESS, key, "access\x00" + old_refresh_token)
        refresh = tokens.derive(secrets.Kind.REFRESH, key, "refresh\x00" + old_refresh_token)
        return self._token(scope, access, refresh)

    def _token(self, scope: str, access: str, refresh: str | None) -> dict[str, Any]:
        token: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.config.access_token_ttl,
            "scope": scope,
            # Doorkeeper's token responses carry it; some clients read it.
            "created_at": int(time.time()),
        }
        if refresh:
            token["refresh_token"] = refresh
        return token
