"""What the OpenAPI document says about the OAuth endpoints: their form
bodies (RFC 6749 Appendix B encoding) and every answer they give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from msgspec import Meta, Struct

FORM = "application/x-www-form-urlencoded"
# A client authenticates with HTTP Basic (RFC 6749 §2.3.1) or in the body.
CLIENT_SECURITY: list[dict[str, list[str]]] = [{"basic": []}, {}]


class OAuthError(Struct):
    """RFC 6749 §5.2."""

    error: str
    error_description: str | None = None


class TokenResponse(Struct):
    """RFC 6749 §5.1, with Doorkeeper's ``created_at``; ``id_token`` when
    the scope has ``openid``: for the code (OpenID Connect Core §3.1.3.3),
    and for a refresh (§12.2: the same ``sub``, ``aud`` and ``auth_time``,
    a new ``iat`` and ``exp``, no ``nonce``)."""

    access_token: str
    token_type: str
    expires_in: int | None = None
    refresh_token: str | None = None
    scope: str | None = None
    created_at: int | None = None
    id_token: Annotated[
        str | None,
        Meta(description="A signed ID token (a JWS: verify it with the JWKS)"),
    ] = None


class Introspection(Struct):
    """RFC 7662 §2.2: ``active`` alone for a token that is not."""

    active: bool
    scope: str | None = None
    client_id: str | None = None
    username: str | None = None
    token_type: str | None = None
    exp: int | None = None
    iat: int | None = None
    sub: str | None = None
    aud: str | list[str] | None = None
    iss: str | None = None


class Revoked(Struct):
    """RFC 7009 §2.2: the body is empty or carries nothing of interest."""


class Application(Struct):
    uid: str


class TokenInfo(Struct):
    """Doorkeeper's token info."""

    resource_owner_id: int | None
    scope: list[str]
    expires_in: int | None
    application: Application
    created_at: int


def _text(description: str, **extra: Any) -> Schema:
    return Schema(type=OpenAPIType.STRING, description=description, **extra)


CLIENT_FIELDS = {
    "client_id": _text("The client, when it does not authenticate with HTTP Basic"),
    "client_secret": _text("Its secret, likewise (RFC 6749 §2.3.1)"),
}
TOKEN_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["grant_type"],
    properties={
        "grant_type": _text(
            "RFC 6749 §4.1.3, §6, §4.4.2",
            enum=["authorization_code", "refresh_token", "client_credentials"],
        ),
        "code": _text("The authorization code (authorization_code)"),
        "redirect_uri": _text("The redirect URI the code was issued to (authorization_code)"),
        "code_verifier": _text("PKCE, RFC 7636 §4.5"),
        "refresh_token": _text("The refresh token (refresh_token)"),
        "scope": _text("Space-separated scopes (refresh_token, client_credentials)"),
        **CLIENT_FIELDS,
    },
)
TOKEN_HINTED_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["token"],
    properties={
        "token": _text("The token"),
        "token_type_hint": _text(
            "RFC 7009 §2.1 / RFC 7662 §2.1", enum=["access_token", "refresh_token"]
        ),
        **CLIENT_FIELDS,
    },
)


def form_body(schema: Schema) -> type[Operation]:
    """An operation class that documents ``schema`` as its form body."""

    @dataclass
    class OperationWithForm(Operation):
        def __post_init__(self) -> None:
            content = {FORM: OpenAPIMediaType(schema=schema)}
            self.request_body = RequestBody(content=content, required=True)

    return OperationWithForm


def _error(status: int, description: str) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=OAuthError, description=description)}


REFUSALS = {
    **_error(400, "invalid_request, invalid_grant, unsupported_grant_type, ... (RFC 6749 §5.2)"),
    **_error(401, "invalid_client: client authentication failed (RFC 6749 §5.2)"),
    **_error(413, "invalid_request: the body is too large"),
}


def answers(container: Any, description: str) -> dict[int, ResponseSpec]:
    return {200: ResponseSpec(data_container=container, description=description), **REFUSALS}


TOKEN_OPERATION = form_body(TOKEN_BODY)
TOKEN_HINTED_OPERATION = form_body(TOKEN_HINTED_BODY)
TOKEN_RESPONSES = answers(TokenResponse, "The tokens (RFC 6749 §5.1)")
REVOKE_RESPONSES = answers(Revoked, "Revoked, or never a token of this client (RFC 7009 §2.2)")
INTROSPECT_RESPONSES = answers(Introspection, "What the token is (RFC 7662 §2.2)")
METADATA_RESPONSES = {
    200: ResponseSpec(data_container=dict[str, Any], description="RFC 8414 §2 metadata")
}
