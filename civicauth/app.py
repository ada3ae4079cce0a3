"""``create_app(settings)``: the one place that wires everything."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
from litestar.types import ASGIApp
from msgspec import Struct
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from civicauth.accounts.passwords import Passwords
from civicauth.api.v2.errors import http_exception
from civicauth.api.v2.routes import api_info, api_router
from civicauth.auth.gate import PasswordGate
from civicauth.auth.link_limits import LinkMailLimits
from civicauth.auth.resolver import Resolver
from civicauth.auth.revocations import RevocationBus
from civicauth.auth.throttle import (
    CreationLimits,
    FailedAuthThrottle,
    SignupThrottle,
    make_storage,
)
from civicauth.clients.scopes import SCOPES
from civicauth.context import AppContext
from civicauth.db import Database, database_unavailable
from civicauth.forwarded import forwarded_headers_middleware
from civicauth.logs import keep_secrets_out_of_access_logs, show_app_logs
from civicauth.mail import seal
from civicauth.mail.sender import MailSender
from civicauth.metrics import observe_pool
from civicauth.metrics_http import metrics_route
from civicauth.oauth2.discovery import discovery_router
from civicauth.oauth2.provider import Provider
from civicauth.oauth2.routes import OAUTH_JSON_PATHS, oauth2_router
from civicauth.oauth2.routes import http_error as oauth2_http_error
from civicauth.settings import Settings
from civicauth.signing_keys import keyring
from civicauth.telemetry import Telemetry
from civicauth.tokens import secrets
from civicauth.upkeep.background import Upkeep
from civicauth.usage.flush import UsageFlusher
from civicauth.web.admin.guard import hides_admin_methods
from civicauth.web.authorize import authorize_router
from civicauth.web.errors import error_page
from civicauth.web.routes import WebConfig, web_routes
from civicauth.web.token_info import token_info_router
from civicauth.web.userinfo import userinfo_router

log = logging.getLogger("civicauth")


def build_context(settings: Settings) -> AppContext:
    # Its sessions carry the mail seal (whatever they queue is sealed at rest)
    # and the token keys (what they mint carries a mac; what they look up is
    # refused unread when its mac is wrong), and the signing keyring (the ID
    # token keys' seal and this process's cache of their rows).
    tokens = secrets.TokenKeys.from_settings(settings)
    db = Database(
        settings.database_url,
        info={
            **seal.session_info(settings),
            **secrets.session_info(tokens),
            **keyring.session_info(settings),
        },
    )
    passwords = Passwords(
        settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism
    )
    storage = make_storage(settings.redis_url, settings.redis_prefix + ":limits")
    gate = PasswordGate(
        FailedAuthThrottle(
            storage,
            per_account_address=settings.failed_auth_limit_account_address,
            per_account=settings.failed_auth_limit_account,
            per_address=settings.failed_auth_limit_address,
        )
    )
    signups = SignupThrottle(storage, per_address=settings.signup_limit_address)
    resolver = Resolver(
        db,
        passwords,
        gate,
        settings.resolved_secret_key(),
        tokens,
        fresh_for=settings.auth_cache_seconds,
        credential_ttl=settings.credential_cache_ttl,
    )
    creation_limits = CreationLimits(
        storage, issues=settings.issue_create_limit, comments=settings.comment_create_limit
    )
    link_mails = LinkMailLimits(
        storage,
        reset_per_email=settings.password_reset_limit_email,
        reset_per_address=settings.password_reset_limit_address,
        per_account=settings.email_link_limit_account,
    )
    revocations = RevocationBus.of(settings, resolver.cache)
    return AppContext(
        settings,
        db,
        passwords,
        gate,
        signups,
        resolver,
        creation_limits,
        link_mails,
        tokens,
        revocations,
    )


class Health(Struct):
    status: str
    database: str


@get(
    "/healthz",
    sync_to_thread=True,
    tags=["operations"],
    security=[{}],
    responses={
        200: ResponseSpec(data_container=Health, description="Up, and the database answers"),
        503: ResponseSpec(data_container=Health, description="The database does not answer"),
    },
)
def healthz(ctx: AppContext) -> Response[dict[str, str]]:
    """Liveness, with a database round trip."""
    try:
        ctx.db.ping()
    except Exception as exc:
        if not database_unavailable(exc):
            log.exception("health check: the database check failed")
        else:
            log.warning("health check: database unreachable: %s", _first_line(exc))
        return Response(
            {"status": "error", "database": "unreachable"},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER},
        )
    return Response({"status": "ok", "database": "ok"})


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Never a stack trace to the user: log it, answer a plain 500."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response({"error": "Internal server error"}, status_code=500)


# Clients, not browsers, call these: they get JSON errors.
JSON_PREFIXES = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/userinfo",
    "/oauth/discovery/",
    "/.well-known/",
)

# Seconds a client is asked to wait after a 503 (RFC 9110 §10.2.3).
RETRY_AFTER = "5"
UNAVAILABLE = "The service cannot reach its database just now. Try again in a few seconds."


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database is away (stopped, restarting, every connection busy):
    503 with Retry-After, in the shape of the surface asked, never a trace.
    Any other database error is a bug: the plain 500."""
    if not database_unavailable(exc):
        return _internal_error(request, exc)
    log.warning(
        "database unreachable on %s %s: %s", request.method, request.url.path, _first_line(exc)
    )
    unavailable = HTTPException(
        status_code=503, detail=UNAVAILABLE, headers={"Retry-After": RETRY_AFTER}
    )
    path = request.url.path
    if path.startswith(OAUTH_JSON_PATHS):
        # RFC 6749's word for it (§4.1.2.1), with the §5.2 error shape.
        body = {"error": "temporarily_unavailable", "error_description": UNAVAILABLE}
        headers = {"Retry-After": RETRY_AFTER, "Cache-Control": "no-store", "Pragma": "no-cache"}
        return Response(body, status_code=503, headers=headers)
    if path.startswith(JSON_PREFIXES) or path == "/api/v2":
        body = {"error": "service_unavailable", "error_description": UNAVAILABLE}
        return Response(body, status_code=503, headers={"Retry-After": RETRY_AFTER})
    page = error_page(request, unavailable)
    page.headers.update({"Retry-After": RETRY_AFTER})
    return page


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Errors raised outside a route's own handlers (unknown paths, CSRF, 405)."""
    exc = hides_admin_methods(request.url.path, exc)
    if request.url.path.startswith(OAUTH_JSON_PATHS):
        return oauth2_http_error(request, exc)
    if request.url.path.startswith(JSON_PREFIXES) or request.url.path == "/api/v2":
        return http_exception(request, exc)
    return error_page(request, exc)


@get("/openapi.json", sync_to_thread=False, include_in_schema=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The OpenAPI document where DESIGN.md puts it (the same as /docs/openapi.json)."""
    schema = request.app.openapi_schema.to_schema()
    return Response(schema, media_type="application/vnd.oai.openapi+json")


def oauth2_scheme() -> SecurityScheme:
    """OAuth 2.0 as third-party apps use it (RFC 6749 §4.1 and §4.2)."""
    scopes = dict(SCOPES)
    return SecurityScheme(
        type="oauth2",
        description="Tokens carry the scopes the user granted; writes need `write`.",
        flows=OAuthFlows(
            authorization_code=OAuthFlow(
                authorization_url="/oauth/authorize", token_url="/oauth/token", scopes=scopes
            ),
            implicit=OAuthFlow(authorization_url="/oauth/authorize", scopes=scopes),
        ),
    )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="civicauth API v2",
        version="2.0",
        path="/docs",
        render_plugins=[ScalarRenderPlugin(path="/")],
        components=Components(
            security_schemes={
                "basic": SecurityScheme(type="http", scheme="basic"),
                "bearer": SecurityScheme(type="http", scheme="bearer"),
                "oauth2": oauth2_scheme(),
            }
        ),
    )


def forwarded_headers(settings: Settings) -> list[Callable[[ASGIApp], ASGIApp]]:
    """Behind a TLS-terminating proxy: the scheme and client address it
    forwards (X-Forwarded-Proto / -For), trusted only from its addresses.
    Authlib then sees the https URL the client used."""
    if not settings.trust_forwarded:
        return []
    return [forwarded_headers_middleware(settings.forwarded_allow_ips.split(","))]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    keep_secrets_out_of_access_logs()
    show_app_logs(settings.log_level, settings.log_format, settings.access_log)
    ctx = build_context(settings)
    observe_pool(ctx.db.engine)
    mail = MailSender(ctx.db, settings)
    usage = UsageFlusher(ctx.db, ctx.usage, settings.usage_flush_seconds)
    upkeep = Upkeep(ctx.db, settings)

    async def close() -> None:
        ctx.db.dispose()

    web = WebConfig(settings)
    oauth2 = Provider(
        settings, ctx.db, on_revoked=ctx.forget_user, on_client_revoked=ctx.forget_client
    )
    app = Litestar(
        route_handlers=[
            api_info,
            api_router(ctx),
            oauth2_router(oauth2),
            discovery_router(oauth2),
            authorize_router(oauth2),
            token_info_router(),
            userinfo_router(),
            healthz,
            metrics_route(settings),
            openapi_json,
            *web_routes(web.csrf),
        ],
        middleware=[*forwarded_headers(settings), web.session.middleware],
        csrf_config=web.csrf,
        template_config=web.templates,
        plugins=[web.flash],
        dependencies={"ctx": Provide(lambda: ctx, sync_to_thread=False, use_cache=True)},
        # Path ids are checked by the API router's innermost middleware and
        # the pages' router guard, not an app-wide guard (civicauth/path_ids.py).
        # The one map from errors raised anywhere to answers (the API and
        # OAuth routers add their own, for their domain errors).
        exception_handlers={
            HTTPException: _http_error,
            DBAPIError: _database_error,
            PoolTimeout: _database_error,
            500: _internal_error,
        },
        openapi_config=openapi_config(),
        on_startup=[mail.start, usage.start, ctx.revocations.start, upkeep.start],
        # The usage counts go out before the database closes.
        on_shutdown=[upkeep.stop, usage.stop, mail.stop, ctx.revocations.stop, close],
        state=State({"ctx": ctx, "usage": usage}),
        # civicauth.logs sets logging up (one format for every line).
        logging_config=None,
        debug=False,
    )
    # Outside the router, so that requests no route matches are counted too.
    app.asgi_handler = Telemetry(settings).wrap(app.asgi_handler)
    return app
