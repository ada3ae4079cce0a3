"""The email address: ``/email/verify`` (the link in a confirmation mail)
and the email section of "Password & Security" (send the link again, change
the address).

A mailed link works without a session; its GET only shows one button and
its POST does the work, so a mail scanner that opens links changes nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from anyio import to_thread
from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts import recovery
from civicauth.accounts import services as accounts
from civicauth.accounts.account_tokens import LinkInvalid, Purpose, live_link
from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.accounts.validation import email_errors, normalize_email
from civicauth.auth.gate import Throttled
from civicauth.context import AppContext
from civicauth.errors import ValidationFailed
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import not_checked_now, page, retry_later, try_again_in
from civicauth.web.security import HERE, render_security
from civicauth.web.session import safe_next, signed_in_user

AnyRequest = Request[Any, Any, Any]
LINK_PURPOSES: tuple[Purpose, ...] = ("verify_email", "change_email")
DEAD_LINK = (
    "This link does not work: it was used already, it is more than 24 hours old, "
    "or the account's email changed since. Ask for a new link on Password & Security."
)
TOO_MANY = "Too many confirmation mails were sent for your account lately. "


@get("/email/verify", sync_to_thread=True, include_in_schema=False)
def verify_page(request: AnyRequest, ctx: AppContext, token: str = "") -> Template:
    user = signed_in_user(request, ctx)
    with ctx.db.read() as session:
        try:
            email = live_link(session, token, LINK_PURPOSES).email
        except LinkInvalid:
            return _dead_link(user)
    return page("email_verify.html", token=token, email=email, user=user)


@post("/email/verify", include_in_schema=False)
async def verify(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    token = (await form_fields(request, "token"))["token"]
    address = client_address(request)

    def confirm() -> tuple[int, str]:
        with ctx.db.transaction() as session:
            user = recovery.confirm_email(session, token, address=address)
            return user.id, user.email

    try:
        user_id, email = await to_thread.run_sync(confirm)
    except LinkInvalid:
        return _dead_link(await to_thread.run_sync(signed_in_user, request, ctx))
    # Basic's cached profile (and its email as the user name) follows at once.
    ctx.forget_user(user_id)
    flash(request, f"Your email address {email} is confirmed.", category="success")
    signed_in = await to_thread.run_sync(signed_in_user, request, ctx)
    return Redirect(HERE if signed_in else "/login", status_code=303)


@post(HERE + "/email/verification", include_in_schema=False)
async def resend(request: AnyRequest, ctx: AppContext, user: User) -> Redirect:
    target = safe_next((await form_fields(request, "next"))["next"], HERE)
    if user.email_verified_at is not None:
        flash(request, "Your email address is confirmed already.", category="info")
        return Redirect(target, status_code=303)
    if (wait := await ctx.link_mails.admit_confirmation(user.id)) is not None:
        flash(request, TOO_MANY + try_again_in(wait), category="error")
        return Redirect(target, status_code=303)

    def send() -> None:
        with ctx.db.transaction() as session:
            recovery.send_verification(session, ctx.settings.issuer, session.get_one(User, user.id))

    await to_thread.run_sync(send)
    flash(request, f"A new link is on its way to {user.email}.", category="success")
    return Redirect(target, status_code=303)


@post(HERE + "/email", include_in_schema=False)
async def change_email(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    # Named apart from the password form's fields on the same page.
    fields = await form_fields(request, "new_email", "email_password")
    address = client_address(request)

    async def again(errors: dict[str, list[str]], status: int) -> Template:
        values = {"new_email": fields["new_email"]}
        return await to_thread.run_sync(
            lambda: render_security(
                request, ctx, user, status, email_errors=errors, email_values=values
            )
        )

    if messages := email_errors(fields["new_email"]):
        return await again({"new_email": messages}, 422)
    if (wait := await ctx.link_mails.confirmation_wait(user.id)) is not None:
        return retry_later(await again({"new_email": [TOO_MANY + try_again_in(wait)]}, 429), wait)
    try:
        # The current password is a guess like any sign-in: the same gate.
        asked = await ctx.gate.check(
            normalize_email(user.email),
            address,
            partial(_request_change, ctx, user.id, fields, address),
        )
    except Throttled as exc:
        errors = {"email_password": [not_checked_now(exc.retry_after)]}
        return retry_later(await again(errors, 429), exc.retry_after)
    except ValidationFailed as exc:
        return await again({"new_email": exc.errors["email"]}, 422)
    if asked is None:
        return await again({"email_password": [accounts.INCORRECT]}, 422)
    await ctx.link_mails.count_confirmation(user.id)
    new = fields["new_email"].strip()
    message = f"We mailed a link to {new}. Your email stays {user.email} until it is followed."
    flash(request, message, category="success")
    return Redirect(HERE, status_code=303)


def _request_change(
    ctx: AppContext, user_id: int, fields: dict[str, str], address: str
) -> bool | None:
    """True once the change is asked for; None (recorded) when the current
    password is wrong. Raises ValidationFailed for the current address."""
    with ctx.db.transaction() as session:
        user = session.get_one(User, user_id)
        if not ctx.passwords.verify(user.password_hash, fields["email_password"]):
            record_event(session, "email_change_failed", user_id=user_id, address=address)
            return None
        recovery.request_email_change(
            session, ctx.settings.issuer, user, fields["new_email"], address=address
        )
        return True


def _dead_link(user: User | None) -> Template:
    return page(
        "link_dead.html",
        400,
        message=DEAD_LINK,
        again_href=HERE + "#email-heading",
        again_text="Go to Password & Security",
        user=user,
    )


ROUTES = [verify_page, verify, resend, change_email]
