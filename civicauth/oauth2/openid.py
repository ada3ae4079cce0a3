"""OpenID Connect Core 1.0 ID tokens, on Authlib's ``authlib.oidc.core``:
the code flow (§3.1, an extension of the code grant), the implicit flow
(§3.2: ``id_token``, ``id_token token``) and the hybrid ``code id_token``
(§3.3). Authlib builds and signs the tokens; this module says with which
key, for whom, and which claims go in.

Claims: ``iss``, ``sub`` (the public subject: the account id), ``aud`` (the
client_id), ``exp``, ``iat``, ``auth_time``, ``amr``, ``nonce``, and
``at_hash`` / ``c_hash`` where an access token or code travels with the ID
token. The scope's claims (profile, email) go in the ID token only when no
access token is issued (``response_type=id_token``, §5.4); otherwise the
client reads them from userinfo.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oidc.core import grants as oidc
from authlib.oidc.core.util import create_half_hash

from civicauth.accounts.claims import subject_of
from civicauth.clients.scopes import scope_list
from civicauth.oauth2.adapters import ClientAdapter, CodeAdapter, ResourceOwner
from civicauth.oauth2.grants import CodeIssuing
from civicauth.oauth2.request_store import RequestStore
from civicauth.signing_keys.services import sign_jwt
from civicauth.tokens.codes import code_behind


class IdTokenSigning:
    """How Authlib signs our ID tokens: the app's algorithm (RS256 unless it
    registered ES256), the key that signs with it now, named by ``kid`` so
    that relying parties pick it from the JWKS."""

    server: RequestStore

    def get_client_algorithm(self, client: ClientAdapter) -> str:
        return client.id_token_signed_response_alg

    def resolve_client_private_key(self, client: ClientAdapter) -> Any:
        return self.server.id_token_key(self.get_client_algorithm(client))

    def get_encode_header(self, client: ClientAdapter) -> dict[str, str]:
        key = self.resolve_client_private_key(client)
        return {"alg": self.get_client_algorithm(client), "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: ClientAdapter) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.server.config.issuer,
            "aud": client.get_client_id(),
            "iat": now,
            "exp": now + self.server.config.id_token_ttl,
        }


def sign_in_claims(owner: ResourceOwner) -> dict[str, Any]:
    """``auth_time`` and ``amr`` of the sign-in behind a grant (OIDC Core §2)."""
    claims: dict[str, Any] = {}
    if owner.auth_time is not None:
        claims["auth_time"] = owner.auth_time
    if owner.amr:
        claims["amr"] = list(owner.amr)
    return claims


class OpenIDCode(IdTokenSigning, oidc.OpenIDCode):
    """The code grant's ID token, made at the token endpoint. An access token
    always comes with it, so the scope's claims are left to userinfo."""

    def __init__(self, server: RequestStore) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        # The nonce protects the relying party, which checks that the ID token
        # carries the one it sent (OIDC Core §3.1.3.7, §15.5.2); nothing here
        # needs to remember it beyond the code.
        return False

    def generate_user_info(self, user: ResourceOwner, scope: str) -> dict[str, Any]:
        return {"sub": subject_of(user.id)}


class OpenIDRefresh(IdTokenSigning):
    """OIDC Core §12.2: a refresh of a grant that has ``openid`` answers with
    a new ID token for the same sign-in: the same ``sub`` and ``aud``, the
    original ``auth_time`` and ``amr``, a new ``iat`` and ``exp``, no
    ``nonce`` (and ``at_hash`` for the new access token, as at the code
    exchange). The sign-in is the code's the grant began with, which the
    purge keeps while the grant's tokens live; a grant whose code is gone
    (one older than this rule) gets no ID token, as §12.2 allows."""

    def __init__(self, server: RequestStore) -> None:
        self.server = server

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.process_token)

    def process_token(self, grant: Any, response: tuple[int, dict[str, Any], Any]) -> None:
        _, token, _ = response
        row = grant.request.refresh_token.row
        if "openid" not in scope_list(token.get("scope")) or row.user_id is None:
            return
        code = code_behind(self.server.session, row.code_id)
        if code is None:
            return
        client: ClientAdapter = grant.request.client
        alg = self.get_client_algorithm(client)
        signed_in = CodeAdapter(code)
        owner = ResourceOwner(
            row.user_id, signed_in.get_auth_time(), tuple(signed_in.get_amr() or ())
        )
        claims = {**self.get_client_claims(client), **sign_in_claims(owner)}
        claims["sub"] = subject_of(row.user_id)
        if (at_hash := create_half_hash(token["access_token"], alg)) is not None:
            claims["at_hash"] = at_hash.decode()
        token["id_token"] = sign_jwt(self.server.session, claims, alg)


class FrontChannel(IdTokenSigning):
    """What the implicit and hybrid grants share: an ID token made at the
    authorization endpoint, for the resident signed in there."""

    request: Any
    redirect_uri: str | None

    def validate_consent_request(self) -> str:
        redirect_uri: str = super().validate_consent_request()  # type: ignore[misc]
        # Authlib's OpenID override of this method does not keep it, as the
        # base grant does; the consent page and our error redirects read it.
        self.redirect_uri = redirect_uri
        return redirect_uri

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False

    def get_compatible_claims(self, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_compatible_claims(request)  # type: ignore[misc]
        claims.update(sign_in_claims(request.user))
        return claims


class OpenIDImplicitGrant(FrontChannel, oidc.OpenIDImplicitGrant):
    """``id_token`` and ``id_token token`` (OIDC Core §3.2), for apps
    registered for the implicit flow; Authlib requires the nonce (§3.2.2.1)."""

    server: RequestStore

    def authenticate_token_endpoint_client(self) -> ClientAdapter:
        # As for response_type=token (grants.ImplicitGrant): the registered
        # redirect URI is what binds the client (RFC 6749 §4.2.1).
        client = self.server.query_client(self.request.payload.client_id)
        if client is None:
            raise InvalidClientError(description="The application does not exist.")
        return client

    def generate_user_info(self, user: ResourceOwner, scope: str) -> dict[str, Any]:
        # OIDC Core §5.4: without an access token, the ID token carries the claims.
        if self.request.payload.response_type == "id_token":
            return self.server.user_claims(user.id, scope)
        return {"sub": subject_of(user.id)}


class OpenIDHybridGrant(FrontChannel, CodeIssuing, oidc.OpenIDHybridGrant):
    """``code id_token`` (OIDC Core §3.3): an ID token (with ``c_hash``) in the
    fragment, and a code that the code grant exchanges. Only this one of the
    hybrid types: the others hand an access token to the browser."""

    RESPONSE_TYPES = {"code id_token"}
    server: RequestStore

    def validate_authorization_request(self) -> str:
        try:
            redirect_uri: str = super().validate_authorization_request()
        except OAuth2Error as error:
            # OIDC Core §3.3.2.6: errors go back in the fragment, like the answer.
            error.redirect_fragment = True
            raise
        return redirect_uri

    def generate_user_info(self, user: ResourceOwner, scope: str) -> dict[str, Any]:
        return {"sub": subject_of(user.id)}
