"""Authlib's AuthorizationServer, adapted: one per request, bound to that
request's database session (the request edge owns the transaction)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    InvalidClientError,
    InvalidScopeError,
    OAuth2Request,
)
from sqlalchemy.orm import Session

from civicauth.accounts.audit import record_event
from civicauth.clients import services as clients
from civicauth.clients.models import Client
from civicauth.clients.scopes import SCOPES
from civicauth.oauth2 import client_auth
from civicauth.oauth2.adapters import ClientAdapter
from civicauth.oauth2.endpoints import IntrospectionEndpoint, RevocationEndpoint
from civicauth.oauth2.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ImplicitGrant,
    RefreshTokenGrant,
)
from civicauth.oauth2.inputs import OAuthInput
from civicauth.oauth2.pkce import S256CodeChallenge
from civicauth.oauth2.requests import CivicOAuth2Request
from civicauth.oauth2.responses import NO_STORE, OAuthResponse
from civicauth.settings import Settings
from civicauth.tokens import oauth_tokens, secrets
from civicauth.tokens.oauth_tokens import NewToken


@dataclass(frozen=True)
class ServerConfig:
    issuer: str
    access_token_ttl: int
    auth_code_ttl: int
    refresh_grace_seconds: int
    key: bytes  # derives the pair a refresh token rotates into

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerConfig:
        return cls(
            issuer=settings.issuer,
            access_token_ttl=settings.access_token_ttl,
            auth_code_ttl=settings.auth_code_ttl,
            refresh_grace_seconds=settings.refresh_grace_seconds,
            key=secrets.keyed_digest(
                settings.resolved_secret_key().encode(), "refresh-rotation"
            ).encode(),
        )


class CivicAuthorizationServer(AuthorizationServer):
    def __init__(self, session: Session, config: ServerConfig) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session = session
        self.config = config
        self._clients: dict[str, ClientAdapter | None] = {}
        # Users whose tokens this request revoked: their cached credentials
        # are dropped once the transaction commits.
        self.revoked_users: set[int] = set()
        self.register_token_generator("default", self.generate_bearer_token)
        self.register_client_auth_method(
            "client_secret_basic", client_auth.authenticate_client_secret_basic
        )
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(ImplicitGrant)
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(RevocationEndpoint)
        self.register_endpoint(IntrospectionEndpoint)

    # -- the adapter methods Authlib asks for ------------------------------

    def query_client(self, client_id: str | None) -> ClientAdapter | None:
        if not client_id:
            return None
        if client_id not in self._clients:
            row = clients.find_client(self.session, client_id)
            self._clients[client_id] = ClientAdapter(row) if row else None
        return self._clients[client_id]

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        client: ClientAdapter = request.client
        user_id = request.user.id if request.user else None
        code, parent = request.authorization_code, request.refresh_token
        new = NewToken(
            client_pk=client.pk,
            user_id=user_id,
            scope=token["scope"],
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            ttl=token["expires_in"],
            grant_id=parent.row.grant_id if parent else oauth_tokens.new_grant_id(),
            code_id=code.row.id if code else None,
            parent_id=parent.row.id if parent else None,
        )
        oauth_tokens.store_token(self.session, new)
        how = request.payload.grant_type or "implicit"
        record_event(
            self.session,
            "token_issued",
            user_id=user_id,
            client_id=client.client_id,
            address=request.address,
            detail=f"{how}; scope {new.scope}",
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        assert isinstance(request, OAuthInput)
        return CivicOAuth2Request(request)

    def handle_response(self, status: int, body: Any, headers: Any) -> OAuthResponse:
        merged = {name: value for name, value in headers}
        if isinstance(body, dict):
            merged.update(NO_STORE)
        return OAuthResponse(status, body, merged)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        if name == "after_revoke_token":
            token, client = kwargs["token"], kwargs["client"]
            record_event(
                self.session,
                "token_revoked",
                user_id=token.row.user_id,
                client_id=client.client_id,
                detail="refresh token" if token.as_refresh else "access token",
            )

    def authenticate_client(self, request: Any, methods: list[str], endpoint: str = "token") -> Any:
        client_auth.refuse_two_methods(request)
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            raise client_auth.ClientAuthenticationFailed() from None

    # -- tokens ------------------------------------------------------------

    def generate_bearer_token(
        self,
        grant_type: str,
        client: ClientAdapter,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        allowed = client.get_allowed_scope(scope)
        if allowed is None:
            raise InvalidScopeError()
        refresh = secrets.mint(secrets.Kind.REFRESH) if include_refresh_token else None
        return self._token(allowed, secrets.mint(secrets.Kind.ACCESS), refresh)

    def rotated_token(self, scope: str, old_refresh_token: str) -> dict[str, Any]:
        """The pair ``old_refresh_token`` turns into: always the same one."""
        key = self.config.key
        access = secrets.derive(secrets.Kind.ACCESS, key, "access\x00" + old_refresh_token)
        refresh = secrets.derive(secrets.Kind.REFRESH, key, "refresh\x00" + old_refresh_token)
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

    def note_revoked(self, user_id: int | None) -> None:
        if user_id is not None:
            self.revoked_users.add(user_id)

    def client_id_of(self, client_pk: int) -> str | None:
        row = self.session.get(Client, client_pk)
        return row.client_id if row else None
