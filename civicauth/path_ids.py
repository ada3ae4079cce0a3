"""Integer path parameters pass through the one checked parser (db/ids.py).

Routes declare their ids ``{issue_id:str}`` rather than ``:int``: Litestar's
``:int`` is Python's ``int()``, which takes Unicode digits and numbers no
column holds. Each path parameter that the handler wants as an ``int`` is
read with ``parse_row_id``; one that names no possible row is a 404, as an
unknown path is, before the handler runs.

Two forms of the one check: the pages' router runs it as a guard; the API
runs it as its innermost middleware (api/v2/routes.py), where it sees the
request at the same point a guard would. The API does not use a guard
because Litestar copies the route handler for each guard of each request
(about 20 µs, a third of a cached authenticated read), also on routes that
have no ids at all. The guard is ``async`` although it awaits nothing:
Litestar runs a plain function guard in a worker thread, and that hop cost
more than a whole cached API read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from civicauth.db.ids import parse_row_id


def check_ids(handler: BaseRouteHandler, path_params: Mapping[str, Any]) -> None:
    """Raises NotFoundException for an id path parameter that names no possible row."""
    wanted = handler.parsed_fn_signature.parameters
    for name, raw in path_params.items():
        field = wanted.get(name)
        if field is not None and field.annotation is int and parse_row_id(str(raw)) is None:
            raise NotFoundException(detail="Not found")  # the API's own 404 wording


async def ids_in_range(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if connection.path_params:
        check_ids(handler, connection.path_params)


def ids_in_range_middleware(app: ASGIApp) -> ASGIApp:
    """The same check as ``ids_in_range``, as an ASGI middleware."""

    async def check(scope: Scope, receive: Receive, send: Send) -> None:
        if path_params := scope.get("path_params"):
            check_ids(scope["route_handler"], path_params)
        await app(scope, receive, send)

    return check
