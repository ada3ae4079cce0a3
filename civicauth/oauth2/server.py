"""Authlib's AuthorizationServer, adapted: built once per thread (its grants,
endpoints and client authentication), and bound to each request's database
session in turn (the request edge owns the transaction). It registers the
grants and endpoints; what they share with it is in request_store.py."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, InvalidClientError, OAuth2Request

from civicauth.accounts.audit import record_event
from civicauth.clients.scopes import SCOPES
from civicauth.logs import note_client, note_user
from civicauth.metrics import count_token_issued
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
from civicauth.oauth2.openid import (
    OpenIDCode,
    OpenIDHybridGrant,
    OpenIDImplicitGrant,
    OpenIDRefresh,
)
from civicauth.oauth2.pkce import S256CodeChallenge
from civicauth.oauth2.request_store import RequestStore, ServerConfig
from civicauth.oauth2.requests import CivicOAuth2Request
from civicauth.oauth2.responses import NO_STORE, OAuthResponse
from civicauth.tokens import oauth_tokens
from civicauth.tokens.oauth_tokens import NewToken


class CivicAuthorizationServer(RequestStore, AuthorizationServer):
    # RequestStore first: its query_client is the one Authlib calls.
    def __init__(self, config: ServerConfig) -> None:
        AuthorizationServer.__init__(self, scopes_supported=list(SCOPES))
        RequestStore.__init__(self, config)
        self.register_token_generator("default", self.generate_bearer_token)
        self.register_client_auth_method(
            "client_secret_basic", client_auth.authenticate_client_secret_basic
        )
        self.register_grant(
            AuthorizationCodeGrant, [S256CodeChallenge(required=True), OpenIDCode(self)]
        )
        self.register_grant(ImplicitGrant)
        self.register_grant(OpenIDImplicitGrant)
        self.register_grant(OpenIDHybridGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant, [OpenIDRefresh(self)])
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(RevocationEndpoint)
        self.register_endpoint(IntrospectionEndpoint)

    # -- the adapter methods Authlib asks for ------------------------------

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
            # A refresh keeps the code its grant began with (OIDC Core §12.2).
            code_id=code.row.id if code else parent.row.code_id if parent else None,
            parent_id=parent.row.id if parent else None,
            # The absolute lifetime is carried across rotations.
            grant_issued_at=parent.row.grant_issued_at if parent else None,
        )
        oauth_tokens.insert_token(self.session, new)
        how = request.payload.grant_type or "implicit"
        count_token_issued(how)
        note_user(user_id)
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
            client = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            raise client_auth.ClientAuthenticationFailed() from None
        note_client(client.client_id)
        return client
