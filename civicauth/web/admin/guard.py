"""Who may see ``/admin``: operators, and nobody else learns that it exists.

The check is middleware on the console's router, ahead of the console's
own CSRF check: anyone else gets the 404 an unknown path gets, for every
method, with or without a CSRF token (the app-wide CSRF check skips
``/admin``, or a form post without a token would answer 403 and tell that
the route is there). A wrong method under ``/admin`` answers 404 too
(``hides_admin_methods``), since a 405 would give the route away as well.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from anyio import to_thread
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import AbstractMiddleware, DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from civicauth.context import AppContext
from civicauth.web.config import CONSOLE_PATHS
from civicauth.web.session import signed_in_user

AnyConnection = ASGIConnection[Any, Any, Any, Any]
PREFIX = "/admin"
_UNDER_ADMIN = re.compile(CONSOLE_PATHS)


def is_admin_path(path: str) -> bool:
    return bool(_UNDER_ADMIN.match(path))


def is_operator(connection: AnyConnection, ctx: AppContext) -> bool:
    """Whether the signed-in user (if any) is an operator whose account is
    not locked. Call from a thread."""
    user = signed_in_user(connection, ctx)
    return user is not None and user.is_operator and user.locked_at is None


class OperatorsOnly(AbstractMiddleware):
    """404 for anyone but an operator, before anything else of the route runs."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection: AnyConnection = ASGIConnection(scope, receive)
        ctx: AppContext = scope["app"].state.ctx
        if not await to_thread.run_sync(is_operator, connection, ctx):
            raise NotFoundException()
        await self.app(scope, receive, send)


def console_middleware(csrf: CSRFConfig) -> list[DefineMiddleware]:
    """The operator check, then CSRF (the app's configuration, without the
    exemption of ``/admin`` that leaves the console to this)."""
    own = replace(csrf, exclude=[p for p in _patterns(csrf.exclude) if p != CONSOLE_PATHS])
    return [DefineMiddleware(OperatorsOnly), DefineMiddleware(CSRFMiddleware, config=own)]


def _patterns(exclude: str | list[str] | None) -> list[str]:
    if exclude is None:
        return []
    return [exclude] if isinstance(exclude, str) else list(exclude)


def hides_admin_methods(path: str, exc: HTTPException) -> HTTPException:
    """A 405 under ``/admin`` as the 404 of an unknown path (see above)."""
    if exc.status_code == 405 and is_admin_path(path):
        return NotFoundException()
    return exc
