"""Session, CSRF and template configuration for the pages."""

from __future__ import annotations

from pathlib import Path

from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from civicauth.keys import derived_key
from civicauth.settings import Settings
from civicauth.web.session_store import DatabaseSessionConfig

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "civicauth_session"
CSRF_COOKIE = "civicauth_csrf"
# The operator console checks CSRF itself, after checking that the caller
# is an operator (web/admin/guard.py): anyone else gets its 404, not a 403.
CONSOLE_PATHS = "^/admin(/|$)"
# Endpoints that clients call with their own credentials, not from our pages.
CLIENT_PATHS = [
    "^/api/",
    "^/oauth/token",
    "^/oauth/revoke",
    "^/oauth/introspect",
    "^/oauth/userinfo",
]
# What machines poll or cache: metadata, keys, health, metrics, static files.
# Read-only, and answered without a cookie so a shared cache may keep them.
MACHINE_PATHS = [
    r"^/\.well-known/",
    "^/oauth/discovery/",
    "^/static/",
    "^/healthz",
    "^/metrics",
]
# No CSRF token for either (nor for the console, which checks its own).
CSRF_EXEMPT = [*CLIENT_PATHS, *MACHINE_PATHS, CONSOLE_PATHS]
# Where no page session is read or written (not the console). On the token
# endpoint the session middleware took 2% of the CPU per request, for a
# session no client has.
SESSIONLESS = [*CLIENT_PATHS, *MACHINE_PATHS]


def session_config(settings: Settings) -> DatabaseSessionConfig:
    """Sessions are rows on the server (web/session_store.py); the cookie
    holds a random id. Every worker and host on one database shares them;
    signing out, or being signed out from another browser, ends them at once.
    A session idle longer than ``CIVICAUTH_SESSION_IDLE_DAYS`` is gone."""
    return DatabaseSessionConfig(
        secret=derived_key(settings.resolved_secret_key(), "session"),
        key=SESSION_COOKIE,
        max_age=settings.session_idle_days * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        exclude=SESSIONLESS,
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=derived_key(settings.resolved_secret_key(), "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT,
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
