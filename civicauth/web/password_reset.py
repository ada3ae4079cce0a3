"""``/password/forgot`` and ``/password/reset``: a new password by mail.

The forgot page answers the same page, status and text whether or not an
account has the address, and does the lookup and the mail only after the
answer has gone (a background task), so its time tells nothing either.
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts import recovery
from civicauth.accounts.account_tokens import LinkInvalid, live_link
from civicauth.accounts.validation import email_errors, normalize_email
from civicauth.context import AppContext
from civicauth.errors import ValidationFailed
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import page, retry_later, try_again_in
from civicauth.web.session import sign_out

AnyRequest = Request[Any, Any, Any]
DEAD_LINK = (
    "This link does not work: it was used already, it is more than 30 minutes "
    "old, or the password was changed since. Ask for a new link."
)


def _forgot(
    status: int = 200,
    email: str = "",
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    sent: bool = False,
) -> Template:
    return page(
        "password_forgot.html", status, email=email, errors=errors or {}, error=error, sent=sent
    )


@get("/password/forgot", sync_to_thread=False, include_in_schema=False)
def forgot_page() -> Template:
    return _forgot()


@post("/password/forgot", include_in_schema=False)
async def forgot(request: AnyRequest, ctx: AppContext) -> Template:
    email = (await form_fields(request, "email"))["email"].strip()
    if messages := email_errors(email):
        return _forgot(422, email, {"email": messages})
    wait = await ctx.link_mails.admit_reset(normalize_email(email), client_address(request))
    if wait is not None:
        message = "Too many reset links were asked for lately. " + try_again_in(wait)
        return retry_later(_forgot(429, email, error=message), wait)
    answer = _forgot(email=email, sent=True)
    answer.background = BackgroundTask(to_thread.run_sync, _mail_reset_link, ctx, email)
    return answer


def _mail_reset_link(ctx: AppContext, email: str) -> None:
    with ctx.db.transaction() as session:
        recovery.request_password_reset(session, ctx.settings.issuer, email)


@get("/password/reset", sync_to_thread=True, include_in_schema=False)
def reset_page(ctx: AppContext, token: str = "") -> Template:
    with ctx.db.read() as session:
        try:
            live_link(session, token, ("password_reset",))
        except LinkInvalid:
            return _dead_link()
    return page("password_reset.html", token=token, errors={})


@post("/password/reset", include_in_schema=False)
async def reset(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    fields = await form_fields(request, "token", "password", "password_confirmation")
    address = client_address(request)

    def set_new_password() -> int:
        with ctx.db.transaction() as session:
            user = recovery.reset_password(
                session,
                ctx.passwords,
                fields["token"],
                fields["password"],
                fields["password_confirmation"],
                address=address,
            )
            return user.id

    try:
        user_id = await ctx.gate.hashing(set_new_password)
    except LinkInvalid:
        return _dead_link()
    except ValidationFailed as exc:
        return page("password_reset.html", 422, token=fields["token"], errors=exc.errors)
    # Committed: this process forgets the old password's cached Basic use at
    # once; the new stamp ends every session (this browser's too).
    ctx.forget_user(user_id)
    sign_out(request)
    flash(request, "Your password is reset. Sign in with the new one.", category="success")
    return Redirect("/login", status_code=303)


def _dead_link() -> Template:
    return page(
        "link_dead.html",
        400,
        message=DEAD_LINK,
        again_href="/password/forgot",
        again_text="Ask for a new link",
    )


ROUTES = [forgot_page, forgot, reset_page, reset]
