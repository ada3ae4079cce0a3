"""``/login/second-factor``: the sign-in step after a right password, for an
account with a second factor.

Until this step passes the resident is not signed in: the session holds only
a short-lived half-signed-in state (user id, security stamp, when, and where
to go next). A code or passkey is a guess like a password: it goes through
the same gate and counts toward the same limits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from anyio import to_thread
from litestar import Request, get, post
from litestar.response import Redirect, Template

from civicauth.accounts import amr
from civicauth.accounts.audit import record_event
from civicauth.accounts.factors.services import Proof, factors_of, prove
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
from civicauth.web.render import page, retry_later, try_again_in
from civicauth.web.session import factor_entered, sign_in

AnyRequest = Request[Any, Any, Any]
HERE = "/login/second-factor"
_PENDING = "second_factor"
_PURPOSE = "sign_in"


def begin_second_factor(request: AnyRequest, user: User, target: str) -> Redirect:
    """After a right password: a fresh session holding only the half-signed-in
    state (nothing from before survives, as at sign-in), then to this page."""
    request.clear_session()
    pending = {"uid": user.id, "stamp": user.security_stamp, "at": time.time(), "next": target}
    request.set_session({_PENDING: pending})
    return Redirect(HERE, status_code=303)


@dataclass(frozen=True)
class _Pending:
    user: User
    target: str


def _pending(request: AnyRequest, ctx: AppContext) -> _Pending | None:
    """The half-signed-in user, if the state is there, fresh, and the password
    did not change since; else None (and the state is dropped). Call from a thread."""
    session = request.scope.get("session")
    state = session.get(_PENDING) if isinstance(session, dict) else None
    if not isinstance(state, dict) or not isinstance(state.get("uid"), int):
        return None
    age = time.time() - float(state.get("at", 0))
    with ctx.db.read() as db:
        user = db.get(User, state["uid"])
    if (
        user is None
        or user.security_stamp != state.get("stamp")
        or not (0 <= age < ctx.settings.second_factor_timeout_seconds)
    ):
        request.set_session({})
        return None
    return _Pending(user, str(state.get("next") or "/"))


def _expired() -> Redirect:
    return Redirect("/login", status_code=303)


def _render(
    request: AnyRequest, ctx: AppContext, user: User, status: int = 200, error: str | None = None
) -> Template:
    """The page: a code field, and the passkey button when the user has one.
    Call from a thread."""
    with ctx.db.read() as db:
        factors = factors_of(db, user.id)
    options = passkey_challenge(request, ctx, factors, _PURPOSE)
    return page(
        "second_factor.html",
        status,
        factors=factors,
        passkey_options=options,
        script=SCRIPT,
        error=error,
    )


@get(HERE, sync_to_thread=True, include_in_schema=False)
def second_factor_page(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    pending = _pending(request, ctx)
    if pending is None:
        return _expired()
    return _render(request, ctx, pending.user)


def _check(ctx: AppContext, user: User, proof: Proof, address: str) -> tuple[User, str] | None:
    """The user and the factor when ``proof`` passes (spent, and the sign-in
    recorded); None once the failure is recorded."""
    with ctx.db.transaction() as session:
        factor = prove(session, totp_key(ctx), relying_party(ctx), user, proof)
        if factor is None:
            record_event(session, "second_factor_failed", user_id=user.id, address=address)
            return None
        record_event(session, "sign_in", user_id=user.id, address=address, detail=factor)
        return user, factor


@post(HERE, include_in_schema=False)
async def second_factor(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    fields = await form_fields(request, "code", "credential")
    pending = await to_thread.run_sync(_pending, request, ctx)
    if pending is None:
        return _expired()
    user, address = pending.user, client_address(request)
    proof = proof_from(request, fields, _PURPOSE)

    async def again(error: str, status: int) -> Template:
        return await to_thread.run_sync(lambda: _render(request, ctx, user, status, error))

    try:
        passed = await ctx.gate.check(
            normalize_email(user.email), address, partial(_check, ctx, user, proof, address)
        )
    except Throttled as exc:
        message = "Too many failed attempts. " + try_again_in(exc.retry_after)
        return retry_later(await again(message, 429), exc.retry_after)
    if passed is None:
        return await again("That code or key did not work. Try again.", 400)
    signed_in, factor = passed
    sign_in(request, signed_in, amr=amr.with_second_factor(factor))
    factor_entered(request)  # counts as proving it for an operator action
    return Redirect(pending.target, status_code=303)


ROUTES = [second_factor_page, second_factor]
