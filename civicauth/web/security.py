"""``/account/security``: "Password & Security".

One page: change the password, create / list / revoke personal access
tokens, and see recent security events. Every form posts to the same path
with an ``action`` field, so errors are shown on the page they belong to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from anyio import to_thread
from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts import services as accounts
from civicauth.accounts.account_tokens import pending_email_change
from civicauth.accounts.audit import EVENTS, recent_events, record_event
from civicauth.accounts.factors.services import factors_of
from civicauth.accounts.models import User
from civicauth.accounts.validation import normalize_email
from civicauth.auth.gate import Throttled
from civicauth.clients.scopes import API_SCOPES
from civicauth.context import AppContext
from civicauth.db.ids import parse_row_id
from civicauth.errors import NotFound, ValidationFailed
from civicauth.tokens import personal
from civicauth.web.forms import client_address, form_choices, form_fields
from civicauth.web.guard import bad_request, not_found
from civicauth.web.password_confirm import needs_recent_password
from civicauth.web.render import not_checked_now, page, retry_later
from civicauth.web.reveal import reveal_once, take_revealed
from civicauth.web.revoked import back_after_revoking
from civicauth.web.session import refresh_stamp
from civicauth.web.sessions_page import sessions_section

AnyRequest = Request[Any, Any, Any]
Action = Callable[[AnyRequest, AppContext, User], Awaitable[Template | Redirect]]
HERE = "/account/security"
REVEAL = "personal_token"


def _page_data(ctx: AppContext, user_id: int) -> dict[str, Any]:
    with ctx.db.read() as session:
        return {
            "tokens": personal.personal_tokens_of(session, user_id),
            "events": recent_events(session, user_id),
            "email_change_to": pending_email_change(session, user_id),
            "factors": factors_of(session, user_id),
        }


def render_security(
    request: AnyRequest, ctx: AppContext, user: User, status: int = 200, **forms: Any
) -> Template:
    """The page, with any form's values and errors. Call from a thread."""
    context = {
        "user": user,
        "new_token": take_revealed(request, REVEAL),
        "scopes": API_SCOPES,
        "expiry_choices": personal.EXPIRY_CHOICES,
        "is_expired": personal.is_expired,
        "event_names": EVENTS,
        "api_base": ctx.settings.issuer + "/api/v2",
        "password_errors": {},
        "token_errors": {},
        "email_errors": {},
        "email_values": {},
        "token_values": {"expires_in": personal.DEFAULT_EXPIRY, "scopes": ["public"]},
        "factor_errors": {},
        **_page_data(ctx, user.id),
        **sessions_section(request, ctx, user),
        **forms,
    }
    return page("security.html", status, **context)


@get(HERE, sync_to_thread=True, include_in_schema=False)
def security_page(request: AnyRequest, ctx: AppContext, user: User) -> Template:
    return render_security(request, ctx, user)


@post(HERE, include_in_schema=False)
async def security_action(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    action = ACTIONS.get((await form_fields(request, "action"))["action"])
    if action is None:
        return bad_request(user, "That form asked for something this page does not do.")
    return await action(request, ctx, user)


def _change_password(
    ctx: AppContext, user_id: int, fields: dict[str, str], address: str
) -> User | None:
    """The changed user, or None (recorded) when the current password is wrong.
    Raises ValidationFailed when the new password breaks a rule."""
    with ctx.db.transaction() as session:
        user = accounts.get_user(session, user_id)
        try:
            accounts.change_password(
                session,
                ctx.passwords,
                user,
                current_password=fields["current_password"],
                new_password=fields["password"],
                confirmation=fields["password_confirmation"],
            )
        except ValidationFailed as exc:
            if "current_password" not in exc.errors:
                raise
            record_event(session, "password_change_failed", user_id=user_id, address=address)
            return None
        record_event(session, "password_changed", user_id=user_id, address=address)
        return user


async def change_password(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    fields = await form_fields(request, "current_password", "password", "password_confirmation")
    address = client_address(request)

    async def again(errors: dict[str, list[str]], status: int) -> Template:
        return await to_thread.run_sync(
            lambda: render_security(request, ctx, user, status, password_errors=errors)
        )

    # The current password is a guess like any sign-in: the same gate.
    try:
        changed = await ctx.gate.check(
            normalize_email(user.email),
            address,
            partial(_change_password, ctx, user.id, fields, address),
        )
    except Throttled as exc:
        message = not_checked_now(exc.retry_after)
        return retry_later(await again({"current_password": [message]}, 429), exc.retry_after)
    except ValidationFailed as exc:
        return await again(exc.errors, 422)
    if changed is None:
        return await again({"current_password": [accounts.INCORRECT]}, 422)
    # The new stamp ends every other session; this one is given it and stays
    # signed in. Cached Basic credentials end too (back_after_revoking).
    refresh_stamp(request, changed)
    changed_message = "Your password is changed. Other sessions are signed out."
    return back_after_revoking(request, ctx, changed.id, changed_message, HERE)


async def create_token(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    fields = await form_fields(request, "name", "expires_in")
    scopes = await form_choices(request, "scopes")
    address = client_address(request)

    def create() -> str:
        with ctx.db.transaction() as session:
            token, secret = personal.create_personal_token(
                session,
                user.id,
                name=fields["name"],
                expires_in=fields["expires_in"],
                scopes=scopes,
            )
            detail = f"{token.name} ({token.display_prefix}…)"
            record_event(session, "pat_created", user_id=user.id, address=address, detail=detail)
            return secret

    try:
        secret = await to_thread.run_sync(create)
    except ValidationFailed as exc:
        errors, values = exc.errors, {**fields, "scopes": scopes}
        return await to_thread.run_sync(
            lambda: render_security(
                request, ctx, user, 422, token_errors=errors, token_values=values
            )
        )
    reveal_once(request, REVEAL, secret)
    flash(request, "Token created. Copy it now: it will not be shown again.", category="success")
    return Redirect(HERE, status_code=303)


async def revoke_token(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    token_id = parse_row_id((await form_fields(request, "token_id"))["token_id"])
    if token_id is None:
        return not_found(user, "token")
    address = client_address(request)

    def revoke(token_id: int) -> str:
        with ctx.db.transaction() as session:
            token = personal.revoke_personal_token(session, user.id, token_id)
            detail = f"{token.name} ({token.display_prefix}…)"
            record_event(session, "pat_revoked", user_id=user.id, address=address, detail=detail)
            return token.name

    try:
        name = await to_thread.run_sync(revoke, token_id)
    except NotFound:
        return not_found(user, "token")
    return back_after_revoking(request, ctx, user.id, f"Token “{name}” is revoked.", HERE)


ACTIONS: dict[str, Action] = {
    "change_password": change_password,
    "create_token": needs_recent_password(create_token),
    "revoke_token": needs_recent_password(revoke_token),
}

ROUTES = [security_page, security_action]
