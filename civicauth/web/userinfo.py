"""``GET|POST /oauth/userinfo`` (OpenID Connect Core §5.3): the claims of
the resident an OAuth access token acts for, per its scopes (``openid``
needed; ``profile`` and ``email`` add theirs, accounts/claims.py).

The token is read by the API's one credentials parser (RFC 6750 §2: the
header, a form body on POST, the query) and checked by its resolver, so a
revoked token, a suspended app or a locked account is refused here exactly
as on API v2 (RFC 6750 §3: ``401 invalid_token``, ``403 insufficient_scope``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from anyio import to_thread
from litestar import Request, Response, Router, route
from litestar.openapi.datastructures import ResponseSpec

from civicauth.accounts.claims import user_claims
from civicauth.auth import errors
from civicauth.auth.credentials import extract
from civicauth.auth.principal import Principal
from civicauth.context import AppContext
from civicauth.oauth2 import docs
from civicauth.oauth2.metadata import USERINFO_PATH
from civicauth.web.token_info import auth_failure

AnyRequest = Request[Any, Any, Any]
_FORM = "application/x-www-form-urlencoded"


async def _body_tokens(request: AnyRequest) -> list[str]:
    """RFC 6750 §2.2: ``access_token`` in a form-encoded POST body."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method != "POST" or media_type != _FORM:
        return []
    body = await request.body()
    try:
        pairs = parse_qsl(body.decode("utf-8"), max_num_fields=32)
    except (UnicodeDecodeError, ValueError):
        raise errors.invalid_request(
            "The body is not valid form encoding.", errors.BEARER
        ) from None
    return [value for name, value in pairs if name == "access_token"]


async def _principal(request: AnyRequest, ctx: AppContext) -> Principal:
    credentials = extract(
        request.headers.getall("authorization", []),
        request.headers.getall("authentication", []),
        request.query_params.getall("access_token", []),
        await _body_tokens(request),
    )
    address = request.client.host if request.client else "unknown"
    principal = await ctx.resolver.resolve(credentials, address)
    if principal is None or principal.method != "bearer" or principal.user_id is None:
        raise errors.invalid_token("Send an OAuth access token issued for a resident.")
    if not principal.has_scope("openid"):
        raise errors.insufficient_scope("openid")
    return principal


def _claims(ctx: AppContext, principal: Principal) -> dict[str, Any]:
    assert principal.user_id is not None
    with ctx.db.read() as session:
        return user_claims(session, principal.user_id, set(principal.scopes), ctx.settings.issuer)


@route(
    USERINFO_PATH,
    http_method=["GET", "POST"],
    status_code=200,
    summary="OpenID Connect userinfo",
    tags=["OpenID Connect"],
    security=[{"bearer": []}, {"oauth2": []}],
    responses={
        200: ResponseSpec(
            data_container=dict[str, Any], description="The claims (OIDC Core 5.3.2)"
        ),
        400: ResponseSpec(data_container=docs.OAuthError, description="More than one method"),
        401: ResponseSpec(
            data_container=docs.OAuthError, description="No, or no live, access token (RFC 6750 §3)"
        ),
        403: ResponseSpec(
            data_container=docs.OAuthError,
            description="insufficient_scope: the token lacks openid (RFC 6750 §3.1)",
        ),
        413: ResponseSpec(data_container=docs.OAuthError, description="The body is too large"),
    },
    request_max_body_size=16 * 1024,
)
async def userinfo(request: AnyRequest, ctx: AppContext) -> Response[dict[str, Any]]:
    """The resident's claims for the scopes the token carries: ``sub`` with
    ``openid``; name, picture and updated_at with ``profile``; email and
    email_verified with ``email``."""
    principal = await _principal(request, ctx)
    body = await to_thread.run_sync(_claims, ctx, principal)
    return Response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def userinfo_router() -> Router:
    return Router(
        "/", route_handlers=[userinfo], exception_handlers={errors.AuthFailure: auth_failure}
    )
