"""``/login``, ``/logout`` and ``/signup``."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts import services as accounts
from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.accounts.validation import normalize_email
from civicauth.context import AppContext
from civicauth.errors import InvalidCredentials, ValidationFailed
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import page
from civicauth.web.session import safe_next, sign_in, sign_out, signed_in_user

AnyRequest = Request[Any, Any, Any]


@get("/login", sync_to_thread=True, include_in_schema=False)
def login_page(
    request: AnyRequest, ctx: AppContext, next: str | None = None
) -> Template | Redirect:
    target = safe_next(next)
    if signed_in_user(request, ctx) is not None:
        return Redirect(target)
    return page("login.html", next=target, email="", error=None)


def _authenticate(ctx: AppContext, email: str, password: str, address: str) -> User | None:
    with ctx.db.transaction() as session:
        try:
            user = accounts.authenticate(session, ctx.passwords, email, password)
        except InvalidCredentials:
            known = accounts.find_by_email(session, email)
            if known is not None:
                record_event(session, "sign_in_failed", user_id=known.id, address=address)
            return None
        record_event(session, "sign_in", user_id=user.id, address=address)
        return user


@post("/login", include_in_schema=False)
async def login(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    fields = await form_fields(request, "email", "password", "next")
    target = safe_next(fields["next"])
    address = client_address(request)
    account = normalize_email(fields["email"])

    def again(error: str, status: int) -> Template:
        return page("login.html", status, next=target, email=fields["email"], error=error)

    if (wait := await ctx.throttle.retry_after(account, address)) is not None:
        minutes = max(1, round(wait / 60))
        return again(f"Too many failed attempts. Try again in about {minutes} minute(s).", 429)
    user = await to_thread.run_sync(
        _authenticate,
        ctx,
        fields["email"],
        fields["password"],
        address,
        limiter=ctx.resolver.hash_slots,
    )
    if user is None:
        await ctx.throttle.record_failure(account, address)
        return again("That email and password do not match an account.", 400)
    sign_in(request, user)
    return Redirect(target, status_code=303)


@post("/logout", include_in_schema=False)
async def logout(request: AnyRequest) -> Redirect:
    sign_out(request)
    flash(request, "You are signed out.", category="info")
    return Redirect("/login", status_code=303)


@get("/signup", sync_to_thread=True, include_in_schema=False)
def signup_page(request: AnyRequest, ctx: AppContext, next: str | None = None) -> Template:
    return page("signup.html", next=safe_next(next), values={}, errors={})


@post("/signup", include_in_schema=False)
async def signup(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    fields = await form_fields(
        request, "name", "email", "password", "password_confirmation", "next"
    )
    target = safe_next(fields["next"])

    def register() -> User:
        with ctx.db.transaction() as session:
            return accounts.register_user(
                session,
                ctx.passwords,
                name=fields["name"],
                email=fields["email"],
                password=fields["password"],
                password_confirmation=fields["password_confirmation"],
            )

    try:
        user = await to_thread.run_sync(register)
    except ValidationFailed as exc:
        values = {"name": fields["name"], "email": fields["email"]}
        return page("signup.html", 422, next=target, values=values, errors=exc.errors)
    sign_in(request, user)
    flash(request, f"Welcome, {user.name}! Your account is ready.", category="success")
    return Redirect(target, status_code=303)


@get("/", sync_to_thread=True, include_in_schema=False)
def home(request: AnyRequest, ctx: AppContext) -> Template:
    return page("home.html", user=signed_in_user(request, ctx))


ROUTES = [login_page, login, logout, signup_page, signup, home]
