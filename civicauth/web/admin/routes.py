"""The console's router: every page and action under ``/admin``.

A part of the console adds its module's ``ROUTES`` to ``PAGES``; the
router's middleware (web/admin/guard.py) makes all of them operator-only,
and ``operator_action`` (web/admin/actions.py) is how each action is posted.
"""

from __future__ import annotations

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.types import ControllerRouterHandler

from civicauth.web.admin import actions, apps, home, security_log, usage, users
from civicauth.web.admin.actions import SecondFactorConfirmationRequired, to_confirm_factor
from civicauth.web.admin.guard import PREFIX, console_middleware

PAGES: list[ControllerRouterHandler] = [
    *home.ROUTES,
    *actions.ROUTES,
    *apps.ROUTES,
    *users.ROUTES,
    *security_log.ROUTES,
    *usage.ROUTES,
]


def admin_router(csrf: CSRFConfig) -> Router:
    return Router(
        PREFIX,
        route_handlers=PAGES,
        middleware=console_middleware(csrf),
        exception_handlers={SecondFactorConfirmationRequired: to_confirm_factor},
        include_in_schema=False,
    )
