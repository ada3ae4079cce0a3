"""Who may call what: an authenticated user, and for OAuth tokens a scope."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from civicauth.auth import errors
from civicauth.auth.principal import Principal


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    return connection.scope.get("user")


def current_user_id(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    """The signed-in user's id; only for handlers guarded by ``authenticated_user``."""
    principal = current_principal(connection)
    if principal is None:
        raise errors.unauthorized("This request needs a signed-in user.")
    if principal.user_id is None:
        # RFC 6750 §3.1: a token "invalid for other reasons": it acts for its
        # client alone (client_credentials), not for a user.
        raise errors.invalid_token("This token acts for its application, not for a user.")
    return principal.user_id


def authenticated_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    current_user_id(connection)


def write_scope(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every write needs a user and, for OAuth tokens, the ``write`` scope."""
    authenticated_user(connection, handler)
    principal = current_principal(connection)
    assert principal is not None
    if not principal.has_scope("write"):
        raise errors.insufficient_scope("write", principal.scheme)
