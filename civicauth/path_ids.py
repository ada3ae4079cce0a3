"""Integer path parameters pass through the one checked parser (db/ids.py).

Routes declare their ids ``{issue_id:str}`` rather than ``:int``: Litestar's
``:int`` is Python's ``int()``, which takes Unicode digits and numbers no
column holds. This guard, on every route, reads each path parameter that the
handler wants as an ``int`` with ``parse_row_id``; one that names no possible
row is a 404, as an unknown path is, before any database read."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler

from civicauth.db.ids import parse_row_id


async def ids_in_range(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    # async although it awaits nothing: Litestar runs a synchronous guard in
    # a worker thread, a thread hop on every request for a few dict reads.
    path_params = connection.path_params
    if not path_params:
        return
    wanted = handler.parsed_fn_signature.parameters
    for name, raw in path_params.items():
        field = wanted.get(name)
        if field is not None and field.annotation is int and parse_row_id(str(raw)) is None:
            raise NotFoundException(detail="Not found")  # the API's own 404 wording
