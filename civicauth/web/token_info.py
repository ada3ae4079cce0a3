"""``GET /oauth/token/info``: Doorkeeper's view of the bearer token presented.

The token is read by the API's one credentials parser and checked by its
resolver, so it is accepted (header, ``Authentication: Bearer``, query;
RFC 6750 §2) and refused (RFC 6750 §3) exactly as on API v2.
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, Response, Router, get
from litestar.openapi.datastructures import ResponseSpec

from civicauth.auth import errors
from civicauth.auth.credentials import BearerCredentials, extract
from civicauth.context import AppContext
from civicauth.oauth2 import docs
from civicauth.oauth2.metadata import TOKEN_INFO_PATH
from civicauth.tokens.oauth_tokens import find_by_access_token
from civicauth.tokens.services import expiry_of

AnyRequest = Request[Any, Any, Any]


def _token_times(ctx: AppContext, token: str) -> tuple[int, int] | None:
    """(created_at, expires_in) of a live access token."""
    with ctx.db.read() as session:
        row = find_by_access_token(session, token)
    if row is None:
        return None
    return int(row.issued_at.timestamp()), max(0, int(expiry_of(row.expires_at) or 0))


@get(
    TOKEN_INFO_PATH,
    summary="Token info",
    tags=["OAuth 2.0"],
    security=[{"bearer": []}, {"oauth2": []}],
    responses={
        200: ResponseSpec(data_container=docs.TokenInfo, description="The token presented"),
        400: ResponseSpec(data_container=docs.OAuthError, description="More than one method"),
        401: ResponseSpec(
            data_container=docs.OAuthError, description="No, or no live, access token (RFC 6750 §3)"
        ),
    },
)
async def token_info(request: AnyRequest, ctx: AppContext) -> Response[dict[str, Any]]:
    """The OAuth access token's owner, scopes, lifetime and application."""
    credentials = extract(
        request.headers.getall("authorization", []),
        request.headers.getall("authentication", []),
        request.query_params.getall("access_token", []),
        [],
    )
    address = request.client.host if request.client else "unknown"
    principal = await ctx.resolver.resolve(credentials, address)
    if principal is None or principal.method != "bearer":
        raise errors.invalid_token("Send an OAuth access token as a Bearer token.")
    assert isinstance(credentials, BearerCredentials)
    times = await to_thread.run_sync(_token_times, ctx, credentials.token)
    if times is None:
        raise errors.invalid_token()
    body = {
        "resource_owner_id": principal.user_id,
        "scope": sorted(principal.scopes),
        "expires_in": times[1],
        "application": {"uid": principal.client_id},
        "created_at": times[0],
    }
    return Response(body, headers={"Cache-Control": "no-store"})


def auth_failure(_: AnyRequest, failure: errors.AuthFailure) -> Response[Any]:
    headers = {**failure.headers(), "Cache-Control": "no-store"}
    return Response(failure.body(), status_code=failure.status, headers=headers)


def token_info_router() -> Router:
    return Router(
        "/", route_handlers=[token_info], exception_handlers={errors.AuthFailure: auth_failure}
    )
