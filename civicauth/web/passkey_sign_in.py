"""``/login/passkey``: signing in with a passkey alone.

The browser offers the passkeys it holds for this site; one that verifies
the resident (PIN, fingerprint, face) stands for both factors, as in the
WebAuthn passkey model. A failed answer counts toward the sign-in limits of
the account it names, like a wrong password.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from anyio import to_thread
from litestar import Request, get, post
from litestar.response import Redirect, Template

from civicauth.accounts import amr
from civicauth.accounts.audit import record_event
from civicauth.accounts.factors import passkeys
from civicauth.accounts.models import User
from civicauth.accounts.operators import LOCKED_MESSAGE
from civicauth.auth.gate import Throttled
from civicauth.context import AppContext
from civicauth.web.factor_parts import SCRIPT, keep_challenge, relying_party, take_challenge
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import page, retry_later, try_again_in
from civicauth.web.session import factor_entered, safe_next, sign_in, signed_in_user

AnyRequest = Request[Any, Any, Any]
HERE = "/login/passkey"
_PURPOSE = "passwordless"


def _render(
    request: AnyRequest, ctx: AppContext, target: str, status: int = 200, error: str | None = None
) -> Template:
    ceremony = passkeys.authentication_ceremony(relying_party(ctx), [], passwordless=True)
    options = keep_challenge(request, _PURPOSE, ceremony)
    return page(
        "passkey_sign_in.html", status, options=options, next=target, script=SCRIPT, error=error
    )


@get(HERE, sync_to_thread=True, include_in_schema=False)
def passkey_sign_in_page(
    request: AnyRequest, ctx: AppContext, next: str | None = None, again: str | None = None
) -> Template | Redirect:
    target = safe_next(next)
    # ``again``: an app asked for a fresh sign-in (as on /login).
    if signed_in_user(request, ctx) is not None and again != "1":
        return Redirect(target)
    return _render(request, ctx, target)


def _owner_account(ctx: AppContext, answer: str) -> str:
    """Whose sign-in limits a passkey answer counts toward: the email of the
    account owning the credential it names (unknown ones share one key)."""
    with ctx.db.read() as session:
        credential = passkeys.credential_answering(session, answer)
        user = session.get(User, credential.user_id) if credential is not None else None
        return user.email_canonical if user is not None else "passkey:unknown"


def _verify(ctx: AppContext, answer: str, challenge: str, address: str) -> User | None:
    with ctx.db.transaction() as session:
        credential = passkeys.credential_answering(session, answer)
        owner = credential.user_id if credential is not None else None
        if owner is not None and challenge:
            found = passkeys.verify_assertion(
                session,
                relying_party(ctx),
                owner,
                answer=answer,
                challenge=challenge,
                passwordless=True,
            )
            if found is not None:
                record_event(session, "sign_in", user_id=owner, address=address, detail="passkey")
                return session.get(User, owner)
        record_event(session, "sign_in_failed", user_id=owner, address=address, detail="passkey")
        return None


@post(HERE, include_in_schema=False)
async def passkey_sign_in(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    fields = await form_fields(request, "credential", "next")
    target, address = safe_next(fields["next"]), client_address(request)
    challenge = take_challenge(request, _PURPOSE)

    async def again(error: str, status: int) -> Template:
        return await to_thread.run_sync(lambda: _render(request, ctx, target, status, error))

    account = await to_thread.run_sync(_owner_account, ctx, fields["credential"])
    verify = partial(_verify, ctx, fields["credential"], challenge, address)
    try:
        user = await ctx.gate.check(account, address, verify)
    except Throttled as exc:
        message = "Too many failed attempts. " + try_again_in(exc.retry_after)
        return retry_later(await again(message, 429), exc.retry_after)
    if user is None:
        return await again(
            "That passkey did not sign you in. Try again, or use your password.", 400
        )
    if user.locked_at is not None:
        return await again(LOCKED_MESSAGE, 403)
    # A passkey alone: no password entered.
    sign_in(request, user, password_entered=False, amr=amr.PASSKEY_ALONE)
    factor_entered(request)
    return Redirect(target, status_code=303)


ROUTES = [passkey_sign_in_page, passkey_sign_in]
