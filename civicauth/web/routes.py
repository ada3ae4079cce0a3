"""Everything the pages need, gathered for ``create_app``."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from civicauth.path_ids import ids_in_range
from civicauth.settings import Settings
from civicauth.web import (
    applications,
    authorized,
    email_pages,
    end_session,
    factor_settings,
    issues,
    login,
    passkey_sign_in,
    password_confirm,
    password_reset,
    second_factor,
    security,
    sessions_page,
)
from civicauth.web.admin.routes import admin_router
from civicauth.web.config import HERE, csrf_config, session_config, template_config
from civicauth.web.guard import SignInRequired, signed_in_page_user, to_sign_in
from civicauth.web.password_confirm import PasswordConfirmationRequired
from civicauth.web.session_store import DatabaseSessionConfig


class WebConfig:
    """The session, CSRF, template and flash pieces of the pages, built once."""

    def __init__(self, settings: Settings) -> None:
        self.session: DatabaseSessionConfig = session_config(settings)
        self.csrf: CSRFConfig = csrf_config(settings)
        self.templates: TemplateConfig[Any] = template_config()
        self.flash = FlashPlugin(FlashConfig(template_config=self.templates))


def web_routes(
    csrf: CSRFConfig, extra: list[ControllerRouterHandler] | None = None
) -> list[ControllerRouterHandler]:
    static = create_static_files_router(path="/static", directories=[HERE / "static"])
    pages = Router(
        "/",
        route_handlers=[
            *login.ROUTES,
            *end_session.ROUTES,
            *security.ROUTES,
            *password_reset.ROUTES,
            *email_pages.ROUTES,
            *sessions_page.ROUTES,
            *password_confirm.ROUTES,
            *second_factor.ROUTES,
            *passkey_sign_in.ROUTES,
            *factor_settings.ROUTES,
            *authorized.ROUTES,
            *applications.ROUTES,
            *issues.ROUTES,
            admin_router(csrf),
            *(extra or []),
        ],
        guards=[ids_in_range],
        # A handler that declares ``user`` is for signed-in users only.
        dependencies={"user": Provide(signed_in_page_user, sync_to_thread=True)},
        exception_handlers={
            SignInRequired: to_sign_in,
            PasswordConfirmationRequired: password_confirm.to_confirm,
        },
        include_in_schema=False,
    )
    return [static, pages]
