"""Session, CSRF and template configuration for the pages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.exceptions import SerializationException
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.template.config import TemplateConfig

from civicauth.settings import Settings

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "civicauth_session"
CSRF_COOKIE = "civicauth_csrf"
# Endpoints that clients call with their own credentials, not from our pages.
CSRF_EXEMPT = ["^/api/", "^/oauth/token", "^/oauth/revoke", "^/oauth/introspect"]


def _derived_key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


class _UntrustingCookieBackend(ClientSideSessionBackend):
    """Litestar's cookie sessions, with any cookie that does not decode as one
    of ours being no session. Litestar reads the expiry in the cookie's
    cleartext part before it checks the seal, and lets a crafted one (bad JSON,
    no or a non-numeric ``expires_at``) escape as a 500."""

    def load_data(self, data: list[bytes]) -> dict[str, Any]:
        try:
            return super().load_data(data)
        except (InvalidTag, SerializationException, ValueError, TypeError, KeyError):
            return {}


@dataclass
class _SessionCookieConfig(CookieBackendConfig):
    _backend_class = _UntrustingCookieBackend


def session_config(settings: Settings) -> CookieBackendConfig:
    """Sessions live in an encrypted cookie (AES-GCM): every worker can read
    them without shared state. A password change ends the others through the
    security stamp they carry (web/session.py)."""
    return _SessionCookieConfig(
        secret=_derived_key(settings.resolved_secret_key(), "session"),
        key=SESSION_COOKIE,
        max_age=14 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        exclude=["^/api/", "^/static/", "^/healthz", "^/metrics"],
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=_derived_key(settings.resolved_secret_key(), "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT,
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
