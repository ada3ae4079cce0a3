"""The API v2 router: every resource behind the authentication middleware."""

from __future__ import annotations

from litestar import Router, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ControllerRouterHandler
from msgspec import Struct

from civicauth.api.v2 import issues, users
from civicauth.api.v2.cross_site import refuse_cross_site_writes
from civicauth.api.v2.errors import EXCEPTION_HANDLERS
from civicauth.auth.middleware import authentication_middleware
from civicauth.context import AppContext
from civicauth.path_ids import ids_in_range_middleware


class ApiInfo(Struct):
    version: float
    base: str


@get(
    "/api/v2",
    sync_to_thread=False,
    summary="API information",
    include_in_schema=True,
    security=[{}],
    responses={200: ResponseSpec(data_container=ApiInfo, description="The version")},
)
def api_info() -> dict[str, object]:
    """The API's version (no authentication: the ceiling of the benchmark)."""
    return {"version": 2.0, "base": "/api/v2"}


def api_router(ctx: AppContext, extra: list[ControllerRouterHandler] | None = None) -> Router:
    middleware = authentication_middleware(ctx.resolver, ctx.usage)
    return Router(
        "/api/v2",
        route_handlers=[*users.ROUTES, *issues.ROUTES, *(extra or [])],
        # Cross-site writes are refused before any credential is looked at;
        # ids are checked last, where the pages' guard checks them.
        middleware=[refuse_cross_site_writes, middleware, ids_in_range_middleware],
        exception_handlers=EXCEPTION_HANDLERS,
        tags=["API v2"],
    )
