"""The OAuth endpoints over HTTP: token, revocation, introspection, metadata.

Handlers parse, have the provider run the call (Provider.run), and answer. Every
answer is JSON with ``Cache-Control: no-store``; no input, however broken,
gets anything but an RFC 6749 §5.2 error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler

from civicauth.oauth2 import docs, query_params
from civicauth.oauth2.inputs import MalformedRequest, OAuthInput, read_input
from civicauth.oauth2.metadata import (
    INTROSPECT_PATH,
    METADATA_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    server_metadata,
)
from civicauth.oauth2.provider import Provider
from civicauth.oauth2.request_store import ServerConfig
from civicauth.oauth2.responses import NO_STORE, OAuthResponse, json_error

AnyRequest = Request[Any, Any, Any]
# A token request is a few hundred bytes; refuse big bodies before reading them.
MAX_BODY = 16 * 1024
# Where clients, not browsers, call: errors in the RFC 6749 §5.2 shape.
OAUTH_JSON_PATHS = (TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH, METADATA_PATH)


def to_http(answer: OAuthResponse) -> Response[Any]:
    body = answer.body if isinstance(answer.body, str) else msgspec.json.encode(answer.body)
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-type"}
    return Response(body, status_code=answer.status, headers=headers, media_type="application/json")


async def _answer(
    request: AnyRequest, oauth2: Provider, call: Callable[[OAuthInput], OAuthResponse]
) -> Response[Any]:
    try:
        inp = await read_input(request)
    except MalformedRequest as exc:
        return to_http(json_error(400, "invalid_request", str(exc)))
    if not query_params.secrets_in_query(inp):
        return to_http(await oauth2.run(call, inp))
    if oauth2.config.token_params_in_query == "refuse":
        return to_http(query_params.refusal())
    answer = await oauth2.run(call, inp)
    query_params.note_accepted(inp, answer)
    return to_http(answer)


async def token(request: AnyRequest, oauth2: Provider) -> Response[Any]:
    """RFC 6749 §3.2: authorization_code, refresh_token and client_credentials."""
    return await _answer(request, oauth2, oauth2.token_response)


def token_lifetimes(config: ServerConfig) -> str:
    """The token endpoint's description in the OpenAPI document: the
    lifetimes this deployment gives its tokens, which RFC 8414 metadata has
    no field for (its service_documentation points here)."""
    lifetimes = config.refresh_lifetimes
    idle, absolute = (int(t.total_seconds()) for t in (lifetimes.idle, lifetimes.absolute))
    return (
        "RFC 6749 §3.2: grant types authorization_code, refresh_token and client_credentials. "
        f"Access tokens live {config.access_token_ttl} seconds (`expires_in`). "
        "Refresh tokens rotate: each use returns a new refresh token and retires the old one. "
        f"A refresh token not used within {idle} seconds of being issued expires, and every "
        f"refresh token of a grant expires {absolute} seconds after the grant's first token "
        "was issued, however often it was refreshed (RFC 9700 §4.14.2). An expired refresh "
        "token is answered `400 invalid_grant` with an `error_description` saying which "
        "lifetime ended; the user must then authorize the application again."
    )


def token_route(config: ServerConfig) -> HTTPRouteHandler:
    return post(
        TOKEN_PATH,
        request_max_body_size=MAX_BODY,
        status_code=200,
        summary="Token endpoint",
        description=token_lifetimes(config),
        security=docs.CLIENT_SECURITY,
        responses=docs.TOKEN_RESPONSES,
        operation_class=docs.TOKEN_OPERATION,
    )(token)


@post(
    REVOKE_PATH,
    request_max_body_size=MAX_BODY,
    status_code=200,
    summary="Revoke a token",
    security=docs.CLIENT_SECURITY,
    responses=docs.REVOKE_RESPONSES,
    operation_class=docs.TOKEN_HINTED_OPERATION,
)
async def revoke(request: AnyRequest, oauth2: Provider) -> Response[Any]:
    """RFC 7009."""
    return await _answer(request, oauth2, oauth2.revocation_response)


@post(
    INTROSPECT_PATH,
    request_max_body_size=MAX_BODY,
    status_code=200,
    summary="Introspect",
    security=docs.CLIENT_SECURITY,
    responses=docs.INTROSPECT_RESPONSES,
    operation_class=docs.TOKEN_HINTED_OPERATION,
)
async def introspect(request: AnyRequest, oauth2: Provider) -> Response[Any]:
    """RFC 7662, for authenticated clients."""
    return await _answer(request, oauth2, oauth2.introspection_response)


@get(
    METADATA_PATH,
    sync_to_thread=False,
    summary="Authorization server metadata",
    security=[{}],
    responses=docs.METADATA_RESPONSES,
)
def metadata(oauth2: Provider) -> Response[Any]:
    """RFC 8414."""
    return Response(
        server_metadata(oauth2.config.issuer),
        headers={"Cache-Control": "public, max-age=3600"},
        media_type="application/json",
    )


def http_error(_: AnyRequest, exc: HTTPException) -> Response[Any]:
    """Litestar's own refusals (405, 413, ...) in the RFC 6749 §5.2 shape."""
    answer = json_error(exc.status_code, "invalid_request", str(exc.detail))
    answer.headers.update({**(exc.headers or {}), **NO_STORE})
    return to_http(answer)


def oauth2_router(provider: Provider) -> Router:
    return Router(
        "/",
        route_handlers=[token_route(provider.config), revoke, introspect, metadata],
        dependencies={"oauth2": Provide(lambda: provider, use_cache=True, sync_to_thread=False)},
        exception_handlers={HTTPException: http_error},
        tags=["OAuth 2.0"],
    )
