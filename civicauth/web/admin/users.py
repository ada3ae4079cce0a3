"""``/admin/users``: find an account, see what it holds, and help its owner:
lock and unlock it, mail a password reset link, sign out every browser.
Each action goes through ``operator_action`` (recent password and second
factor, CSRF) and is recorded with the operator's id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, get
from litestar.params import Parameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicauth.accounts import operators, recovery, web_sessions
from civicauth.accounts.audit import EVENTS, recent_events, record_event
from civicauth.accounts.directory import search_users
from civicauth.accounts.factors.services import factors_of
from civicauth.accounts.models import User
from civicauth.clients.models import Client
from civicauth.context import AppContext
from civicauth.errors import NotFound, ValidationFailed
from civicauth.tokens.authorized import authorized_applications
from civicauth.tokens.oauth_tokens import RefreshLifetimes
from civicauth.tokens.personal import personal_tokens_of
from civicauth.web.admin.actions import operator_action
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import page

AnyRequest = Request[Any, Any, Any]
USER = "/users/{user_id:int}"
BACK = "/admin/users/{user_id}"
RECENT_EVENTS = 20
# What one action does to the account, in the caller's transaction; returns
# the sentence the operator sees afterwards.
Act = Callable[[Session, User, User, dict[str, str]], str]


@get("/users", sync_to_thread=True, include_in_schema=False)
def users_page(
    ctx: AppContext, user: User, q: Annotated[str, Parameter(max_length=254)] = ""
) -> Template:
    with ctx.db.read() as session:
        found = search_users(session, q)
    return page("admin/users.html", user=user, section="users", q=q, found=found)


def _factor_kinds(session: Session, user_id: int) -> list[str]:
    """The kinds of second factor the account has (never their secrets)."""
    factors = factors_of(session, user_id)
    kinds = ["Authenticator app (TOTP)"] if factors.totp else []
    if factors.passkeys:
        kinds.append(f"Passkey or security key ({len(factors.passkeys)})")
    if factors.recovery_codes_left:
        kinds.append(f"Recovery codes ({factors.recovery_codes_left} left)")
    return kinds


def _account(ctx: AppContext, session: Session, account: User) -> dict[str, Any]:
    lifetimes = RefreshLifetimes.from_settings(ctx.settings)
    owned = select(Client).where(Client.owner_id == account.id).order_by(Client.name)
    return {
        "account": account,
        "owned_apps": list(session.scalars(owned)),
        "authorized": authorized_applications(session, account.id, lifetimes),
        "tokens": personal_tokens_of(session, account.id),
        "factors": _factor_kinds(session, account.id),
        "events": recent_events(session, account.id, RECENT_EVENTS),
    }


def render_user(
    ctx: AppContext,
    operator: User,
    user_id: int,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
) -> Template:
    """The account's page (with an action's errors); 404 for an unknown id.
    Call from a thread."""
    with ctx.db.read() as session:
        account = session.get(User, user_id)
        if account is None:
            return _no_such_user(operator)
        context = _account(ctx, session, account)
    return page(
        "admin/user.html",
        status,
        user=operator,
        section="users",
        errors=errors or {},
        event_names=EVENTS,
        **context,
    )


def _no_such_user(operator: User) -> Template:
    return page(
        "error.html", 404, status=404, message="There is no account with this id.", user=operator
    )


@get(USER, sync_to_thread=True, include_in_schema=False)
def user_page(ctx: AppContext, user: User, user_id: int) -> Template:
    return render_user(ctx, user, user_id)


async def _act(
    request: AnyRequest, ctx: AppContext, operator: User, user_id: int, act: Act
) -> Template | Redirect:
    """Run one action in a transaction, then back to the account's page with
    what it did (or the page again with the error)."""
    fields = await form_fields(request, "reason")
    fields["address"] = client_address(request)

    def run() -> str:
        with ctx.db.transaction() as session:
            account = session.get(User, user_id)
            if account is None:
                raise NotFound(str(user_id))
            return act(session, account, operator, fields)

    try:
        done = await to_thread.run_sync(run)
    except NotFound:
        return _no_such_user(operator)
    except ValidationFailed as exc:
        errors = exc.errors
        return await to_thread.run_sync(lambda: render_user(ctx, operator, user_id, 422, errors))
    # This worker forgets the account's cached credentials at once; the
    # others within the cache's freshness (a second).
    ctx.forget_user(user_id)
    flash(request, done, category="success")
    return Redirect(f"/admin/users/{user_id}", status_code=303)


def _lock(session: Session, account: User, operator: User, fields: dict[str, str]) -> str:
    if account.id == operator.id:
        raise ValidationFailed({"account": ["You cannot lock your own account."]})
    if not operators.lock_user(
        session, account, operator, fields["reason"], address=fields["address"]
    ):
        return f"{account.email} was locked already."
    return f"{account.email} is locked: no sign-in, no Basic, no token works."


def _unlock(session: Session, account: User, operator: User, fields: dict[str, str]) -> str:
    if not operators.unlock_user(session, account, operator, address=fields["address"]):
        return f"{account.email} was not locked."
    return f"{account.email} is unlocked."


def _send_reset(ctx: AppContext) -> Act:
    def send(session: Session, account: User, operator: User, fields: dict[str, str]) -> str:
        recovery.request_password_reset(session, ctx.settings.issuer, account.email)
        record_event(
            session,
            "reset_link_sent",
            user_id=account.id,
            operator_id=operator.id,
            address=fields["address"],
        )
        return f"A password reset link is on its way to {account.email}."

    return send


def _end_sessions(session: Session, account: User, operator: User, fields: dict[str, str]) -> str:
    ended = web_sessions.end_sessions(session, account.id)
    record_event(
        session,
        "sessions_ended",
        user_id=account.id,
        operator_id=operator.id,
        address=fields["address"],
        detail=f"{ended} session(s)",
    )
    return f"Signed out {ended} session(s) of {account.email}."


@operator_action(USER + "/lock", back=BACK)
async def lock_user(
    request: AnyRequest, ctx: AppContext, user: User, user_id: int
) -> Template | Redirect:
    return await _act(request, ctx, user, user_id, _lock)


@operator_action(USER + "/unlock", back=BACK)
async def unlock_user(
    request: AnyRequest, ctx: AppContext, user: User, user_id: int
) -> Template | Redirect:
    return await _act(request, ctx, user, user_id, _unlock)


@operator_action(USER + "/send-reset", back=BACK)
async def send_reset(
    request: AnyRequest, ctx: AppContext, user: User, user_id: int
) -> Template | Redirect:
    return await _act(request, ctx, user, user_id, _send_reset(ctx))


@operator_action(USER + "/end-sessions", back=BACK)
async def end_sessions(
    request: AnyRequest, ctx: AppContext, user: User, user_id: int
) -> Template | Redirect:
    return await _act(request, ctx, user, user_id, _end_sessions)


ROUTES = [users_page, user_page, lock_user, unlock_user, send_reset, end_sessions]
