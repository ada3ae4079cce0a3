"""``/login``, ``/logout`` and ``/signup``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts import recovery
from civicauth.accounts import services as accounts
from civicauth.accounts.audit import record_event
from civicauth.accounts.factors.services import has_second_factor
from civicauth.accounts.models import User
from civicauth.accounts.operators import LOCKED_MESSAGE
from civicauth.accounts.validation import normalize_email
from civicauth.auth.gate import Throttled
from civicauth.context import AppContext
from civicauth.errors import ValidationFailed
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import page, retry_later, try_again_in
from civicauth.web.second_factor import begin_second_factor
from civicauth.web.session import safe_next, sign_in, sign_out, signed_in_user

AnyRequest = Request[Any, Any, Any]


@get("/login", sync_to_thread=True, include_in_schema=False)
def login_page(
    request: AnyRequest,
    ctx: AppContext,
    next: str | None = None,
    login_hint: str | None = None,
    again: str | None = None,
) -> Template | Redirect:
    """The sign-in form. ``again``: an app asked the signed-in resident to
    sign in anew (OIDC Core §3.1.2.1 ``prompt=login``, ``max_age``), so the
    form is shown anyway, with their email; ``login_hint`` (an app's guess
    at the email) fills the field otherwise."""
    target = safe_next(next)
    user = signed_in_user(request, ctx)
    if user is not None and again != "1":
        return Redirect(target)
    email = user.email if user is not None else (login_hint or "")[:254]
    return page("login.html", next=target, email=email, error=None, again=user is not None)


@dataclass(frozen=True)
class _PasswordPassed:
    user: User
    needs_second_factor: bool
    locked: bool = False


def _authenticate(
    ctx: AppContext, email: str, password: str, address: str
) -> _PasswordPassed | None:
    with ctx.db.transaction() as session:
        user = accounts.check_sign_in(
            session, ctx.passwords, email, password, address=address, failed_event="sign_in_failed"
        )
        if user is None:
            return None
        if user.locked_at is not None:
            # Said only after the right password: a guesser learns nothing.
            record_event(session, "sign_in_locked", user_id=user.id, address=address)
            return _PasswordPassed(user, False, locked=True)
        # With a second factor, the sign-in is recorded once that step passes.
        needs_second_factor = has_second_factor(session, user.id)
        if not needs_second_factor:
            record_event(session, "sign_in", user_id=user.id, address=address)
        return _PasswordPassed(user, needs_second_factor)


@post("/login", include_in_schema=False)
async def login(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    fields = await form_fields(request, "email", "password", "next")
    target = safe_next(fields["next"])
    address = client_address(request)

    def again(error: str, status: int) -> Template:
        return page("login.html", status, next=target, email=fields["email"], error=error)

    try:
        passed = await ctx.gate.check(
            normalize_email(fields["email"]),
            address,
            partial(_authenticate, ctx, fields["email"], fields["password"], address),
        )
    except Throttled as exc:
        message = "Too many failed attempts. " + try_again_in(exc.retry_after)
        return retry_later(again(message, 429), exc.retry_after)
    if passed is None:
        return again("That email and password do not match an account.", 400)
    if passed.locked:
        return again(LOCKED_MESSAGE, 403)
    if passed.needs_second_factor:
        return begin_second_factor(request, passed.user, target)
    sign_in(request, passed.user)
    return Redirect(target, status_code=303)


@post("/logout", include_in_schema=False)
async def logout(request: AnyRequest) -> Redirect:
    sign_out(request)
    flash(request, "You are signed out.", category="info")
    return Redirect("/login", status_code=303)


@get("/signup", sync_to_thread=True, include_in_schema=False)
def signup_page(request: AnyRequest, ctx: AppContext, next: str | None = None) -> Template:
    return page("signup.html", next=safe_next(next), values={}, errors={}, error=None)


@post("/signup", include_in_schema=False)
async def signup(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    fields = await form_fields(
        request, "name", "email", "password", "password_confirmation", "next"
    )
    target = safe_next(fields["next"])
    values = {"name": fields["name"], "email": fields["email"]}

    def again(status: int, errors: dict[str, list[str]], error: str | None = None) -> Template:
        return page("signup.html", status, next=target, values=values, errors=errors, error=error)

    if (wait := await ctx.signups.admit(client_address(request))) is not None:
        message = "Too many accounts were created from your network lately. " + try_again_in(wait)
        return retry_later(again(429, {}, message), wait)

    def register() -> User:
        with ctx.db.transaction() as session:
            user = accounts.register_user(
                session,
                ctx.passwords,
                name=fields["name"],
                email=fields["email"],
                password=fields["password"],
                password_confirmation=fields["password_confirmation"],
            )
            recovery.send_verification(session, ctx.settings.issuer, user)
            return user

    try:
        user = await ctx.gate.hashing(register)
    except ValidationFailed as exc:
        return again(422, exc.errors)
    sign_in(request, user)
    welcome = f"Welcome, {user.name}! Your account is ready. We mailed a link to {user.email}"
    flash(request, welcome + " to confirm your address.", category="success")
    return Redirect(target, status_code=303)


@get("/", sync_to_thread=True, include_in_schema=False)
def home(request: AnyRequest, ctx: AppContext) -> Template:
    return page("home.html", user=signed_in_user(request, ctx))


ROUTES = [login_page, login, logout, signup_page, signup, home]
