"""Every operator action is one ``operator_action`` route: a POST (so the
console's CSRF check applies: 403 without a valid token), allowed only with
a password entered in the last ``CIVICAUTH_PASSWORD_CONFIRM_SECONDS`` (10
minutes) and, when the operator has a second factor, that factor proven in
the same time. What the action does is recorded by the service it calls,
with the operator's id (``record_event(..., operator_id=)``).

The password is asked again on ``/account/confirm-password``
(web/password_confirm.py); the factor on ``/admin/confirm-factor``, the
sign-in's second step again (a code, a recovery code or a passkey, through
the password gate). Signing in with the factor counts as proving it. Both
return to the action's form page (``back``); the post is never replayed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from anyio import to_thread
from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts.audit import record_event
from civicauth.accounts.factors.services import Proof, factors_of, has_second_factor, prove
from civicauth.accounts.models import User
from civicauth.accounts.validation import normalize_email
from civicauth.auth.gate import Throttled
from civicauth.context import AppContext
from civicauth.web.factor_parts import (
    SCRIPT,
    passkey_challenge,
    proof_from,
    relying_party,
    totp_key,
)
from civicauth.web.forms import client_address, form_fields
from civicauth.web.password_confirm import back_to_form, recent_password
from civicauth.web.render import page, retry_later, try_again_in
from civicauth.web.session import factor_age, factor_entered, safe_next
from civicauth.web.session_store import handle_of

AnyConnection = ASGIConnection[Any, Any, Any, Any]
AnyRequest = Request[Any, Any, Any]
CONFIRM_FACTOR = "/admin/confirm-factor"
FACTOR_PATH = "/confirm-factor"  # the same, under the console's router
HOME = "/admin"
_PURPOSE = "operator"


class SecondFactorConfirmationRequired(Exception):
    """The operator's second factor was last proven too long ago."""

    def __init__(self, back: str) -> None:
        super().__init__("second factor confirmation required")
        self.back = back


async def recent_second_factor(
    connection: AnyConnection, route_handler: BaseRouteHandler | None = None
) -> None:
    """The guard after ``recent_password``: nothing when the operator has no
    second factor or proved it recently enough; raises
    SecondFactorConfirmationRequired otherwise."""
    user_id = handle_of(connection).user_id
    if user_id is None:
        return
    ctx: AppContext = connection.scope["app"].state.ctx
    age = factor_age(connection)
    if age is not None and 0 <= age <= ctx.settings.password_confirm_seconds:
        return
    if not await to_thread.run_sync(_has_factor, ctx, user_id):
        return
    raise SecondFactorConfirmationRequired(back_to_form(connection, route_handler))


def _has_factor(ctx: AppContext, user_id: int) -> bool:
    with ctx.db.read() as session:
        return has_second_factor(session, user_id)


ACTION_GUARDS = [recent_password, recent_second_factor]


def operator_action(path: str, *, back: str, **options: Any) -> Callable[..., HTTPRouteHandler]:
    """The route decorator of an operator action: a POST at ``path`` under
    ``/admin`` whose form is on the page ``back`` (a path template filled
    from the route's path parameters, e.g. ``/admin/apps/{client_id}``),
    where the operator is returned after confirming the password or factor.
    The handler takes ``user`` (the operator) like any page."""
    return post(
        path,
        guards=ACTION_GUARDS,
        opt={"confirm_back": back},
        include_in_schema=False,
        **options,
    )


def to_confirm_factor(connection: AnyConnection, exc: SecondFactorConfirmationRequired) -> Redirect:
    return Redirect(f"{CONFIRM_FACTOR}?next={quote(exc.back, safe='')}", status_code=303)


def _target(next_path: str | None) -> str:
    target = safe_next(next_path, HOME)
    return target if target.startswith(HOME) else HOME


def _form(
    request: AnyRequest,
    ctx: AppContext,
    user: User,
    target: str,
    status: int = 200,
    error: str | None = None,
) -> Template:
    """The page: a code field, and the passkey button when the operator has
    one. Call from a thread."""
    with ctx.db.read() as session:
        factors = factors_of(session, user.id)
    options = passkey_challenge(request, ctx, factors, _PURPOSE)
    return page(
        "admin/confirm_factor.html",
        status,
        user=user,
        factors=factors,
        passkey_options=options,
        script=SCRIPT,
        next=target,
        error=error,
    )


@get(FACTOR_PATH, sync_to_thread=True, include_in_schema=False)
def confirm_factor_page(
    request: AnyRequest, ctx: AppContext, user: User, next: str | None = None
) -> Template:
    return _form(request, ctx, user, _target(next))


def _check(ctx: AppContext, user: User, proof: Proof, address: str) -> str | None:
    with ctx.db.transaction() as session:
        factor = prove(session, totp_key(ctx), relying_party(ctx), user, proof)
        if factor is None:
            record_event(session, "second_factor_failed", user_id=user.id, address=address)
        return factor


@post(FACTOR_PATH, include_in_schema=False)
async def confirm_factor(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    fields = await form_fields(request, "code", "credential", "next")
    target, address = _target(fields["next"]), client_address(request)
    proof = proof_from(request, fields, _PURPOSE)

    async def again(error: str, status: int) -> Template:
        return await to_thread.run_sync(lambda: _form(request, ctx, user, target, status, error))

    try:
        passed = await ctx.gate.check(
            normalize_email(user.email), address, partial(_check, ctx, user, proof, address)
        )
    except Throttled as exc:
        message = "Too many failed attempts. " + try_again_in(exc.retry_after)
        return retry_later(await again(message, 429), exc.retry_after)
    if passed is None:
        return await again("That code or key did not work. Try again.", 400)
    factor_entered(request)
    flash(request, "Second factor confirmed. You can go on.", category="success")
    return Redirect(target, status_code=303)


ROUTES = [confirm_factor_page, confirm_factor]
