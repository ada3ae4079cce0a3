"""Sensitive actions ask for the password again when it was last entered
more than ``CIVICAUTH_PASSWORD_CONFIRM_SECONDS`` (10 minutes) ago, as GitHub's
"sudo mode" does.

``recent_password`` is the one guard, applied by name to each such route
(``guards=[recent_password]``) and, on Password & Security, to each such
action (``needs_recent_password``). It sends the resident to
``/account/confirm-password``, which checks the password through the
password gate (the sign-in limits) and returns to the form page: a GET, the
form is submitted again; a POST body is never replayed. A route whose form
page is not its own path names it in ``opt={"confirm_back": "/path/{param}"}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial, wraps
from typing import Any, TypeVar
from urllib.parse import quote

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts import services as accounts
from civicauth.accounts.models import User
from civicauth.accounts.validation import normalize_email
from civicauth.auth.gate import Throttled
from civicauth.context import AppContext
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import page, retry_later, try_again_in
from civicauth.web.session import password_age, password_entered, safe_next
from civicauth.web.session_store import handle_of

AnyConnection = ASGIConnection[Any, Any, Any, Any]
AnyRequest = Request[Any, Any, Any]
HERE = "/account/confirm-password"
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class PasswordConfirmationRequired(Exception):
    """The password was entered too long ago for this action."""

    def __init__(self, back: str) -> None:
        super().__init__("password confirmation required")
        self.back = back


def back_to_form(connection: AnyConnection, route_handler: BaseRouteHandler | None) -> str:
    """The form page to return to: the path of a GET, or the route's
    ``confirm_back`` (filled from its path parameters), or the POST's own path."""
    if connection.scope.get("method") == "GET":
        query = connection.scope.get("query_string", b"").decode("latin-1")
        return connection.url.path + (f"?{query}" if query else "")
    template = (route_handler.opt.get("confirm_back") if route_handler else None) or None
    if isinstance(template, str):
        return template.format(
            **{k: quote(str(v), safe="") for k, v in connection.path_params.items()}
        )
    return connection.url.path


def recent_password(
    connection: AnyConnection, route_handler: BaseRouteHandler | None = None
) -> None:
    """The guard: nothing when the password was entered recently enough (or
    nobody is signed in: the page's ``user`` dependency sends them to sign in);
    raises PasswordConfirmationRequired otherwise."""
    if handle_of(connection).user_id is None:
        return
    ctx: AppContext = connection.scope["app"].state.ctx
    age = password_age(connection)
    if age is not None and age <= ctx.settings.password_confirm_seconds:
        return
    raise PasswordConfirmationRequired(back_to_form(connection, route_handler))


def needs_recent_password(action: F) -> F:
    """``recent_password`` for one action of a page that dispatches several
    from one route (Password & Security)."""

    @wraps(action)
    async def guarded(request: AnyRequest, *args: Any, **kwargs: Any) -> Any:
        recent_password(request)
        return await action(request, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def to_confirm(connection: AnyConnection, exc: PasswordConfirmationRequired) -> Redirect:
    """The answer to PasswordConfirmationRequired: the confirmation page,
    then back to the form."""
    return Redirect(f"{HERE}?next={quote(exc.back, safe='')}", status_code=303)


def _form(user: User, target: str, status: int = 200, error: str | None = None) -> Template:
    return page("confirm_password.html", status, user=user, next=target, error=error)


@get(HERE, sync_to_thread=False, include_in_schema=False)
def confirm_password_page(user: User, next: str | None = None) -> Template:
    return _form(user, safe_next(next, "/account/security"))


def _verify(ctx: AppContext, email: str, password: str, address: str) -> User | None:
    with ctx.db.transaction() as session:
        return accounts.check_sign_in(
            session,
            ctx.passwords,
            email,
            password,
            address=address,
            failed_event="password_confirm_failed",
        )


@post(HERE, include_in_schema=False)
async def confirm_password(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    fields = await form_fields(request, "password", "next")
    target = safe_next(fields["next"], "/account/security")
    address = client_address(request)
    try:
        confirmed = await ctx.gate.check(
            normalize_email(user.email),
            address,
            partial(_verify, ctx, user.email, fields["password"], address),
        )
    except Throttled as exc:
        message = "Too many failed attempts. " + try_again_in(exc.retry_after)
        return retry_later(_form(user, target, 429, message), exc.retry_after)
    if confirmed is None or confirmed.id != user.id:
        return _form(user, target, 422, "That password is incorrect.")
    password_entered(request)
    flash(request, "Password confirmed. You can go on.", category="success")
    return Redirect(target, status_code=303)


ROUTES = [confirm_password_page, confirm_password]
