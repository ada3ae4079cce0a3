"""The one mapping from errors to API responses (SeeClickFix's error shapes)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from civicauth.api.v2.inputs import MalformedBody
from civicauth.auth.errors import AuthFailure
from civicauth.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed

AnyRequest = Request[Any, Any, Any]


def _json(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def validation_failed(_: AnyRequest, exc: ValidationFailed) -> Response[Any]:
    return _json(422, {"errors": exc.errors})


def not_found(_: AnyRequest, exc: NotFound) -> Response[Any]:
    return _json(404, {"error": "Not found"})


def permission_denied(_: AnyRequest, exc: PermissionDenied) -> Response[Any]:
    return _json(403, {"error": str(exc) or "Forbidden"})


def auth_failure(_: AnyRequest, exc: AuthFailure) -> Response[Any]:
    return _json(exc.status, exc.body(), {**exc.headers(), "Cache-Control": "no-store"})


def rate_limited(_: AnyRequest, exc: RateLimited) -> Response[Any]:
    """RFC 6585 §4: 429, with Retry-After saying when to try again."""
    body = {
        "error": "too_many_requests",
        "error_description": f"Too many new {exc.what}s from this account; "
        f"try again in {exc.retry_after} seconds.",
    }
    return _json(429, body, {"Retry-After": str(exc.retry_after)})


def malformed_body(_: AnyRequest, exc: MalformedBody) -> Response[Any]:
    return _json(exc.status, {"error": str(exc)})


def http_exception(_: AnyRequest, exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (bad path parameters, 405, 413...) in our shape."""
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        errors: dict[str, list[str]] = {}
        for item in exc.extra:
            if isinstance(item, dict):
                errors.setdefault(str(item.get("key", "request")), []).append(
                    str(item.get("message", "is invalid"))
                )
        return _json(422, {"errors": errors or {"request": [exc.detail]}})
    return _json(exc.status_code, {"error": exc.detail}, exc.headers)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ValidationFailed: validation_failed,
    NotFound: not_found,
    PermissionDenied: permission_denied,
    AuthFailure: auth_failure,
    MalformedBody: malformed_body,
    RateLimited: rate_limited,
    HTTPException: http_exception,
}
