"""``/account/second-factors/...``: add, remove and back up second factors.

Adding a factor needs the current password; removing one needs the
password and a working factor (a code, a recovery code, or the passkey
itself). Both are guesses like a sign-in, so they go through the password
gate. New recovery codes are shown on the answer to the post that made them,
once, and are never put in the session.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import segno
from anyio import to_thread
from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from civicauth.accounts import services as accounts
from civicauth.accounts.factors import passkeys, totp
from civicauth.accounts.factors import services as factors
from civicauth.accounts.models import User
from civicauth.accounts.validation import normalize_email
from civicauth.auth.gate import Throttled
from civicauth.context import AppContext
from civicauth.errors import NotFound, ValidationFailed
from civicauth.web.factor_parts import (
    SCRIPT,
    keep_challenge,
    passkey_challenge,
    proof_from,
    relying_party,
    take_challenge,
    totp_key,
)
from civicauth.web.forms import client_address, form_fields
from civicauth.web.guard import not_found
from civicauth.web.render import not_checked_now, page, retry_later
from civicauth.web.security import render_security

AnyRequest = Request[Any, Any, Any]
T = TypeVar("T")
BASE = "/account/second-factors"
SECURITY = "/account/security"


class _Refused(Exception):
    """The form's password (or factor) was wrong, or a limit refused the check."""

    def __init__(self, errors: dict[str, list[str]], status: int, retry_after: int = 0) -> None:
        self.errors, self.status, self.retry_after = errors, status, retry_after


async def _with_password(
    ctx: AppContext,
    user: User,
    address: str,
    password: str,
    work: Callable[[Session, User], T],
    proof: factors.Proof | None = None,
) -> T:
    """Run ``work`` in a transaction once the password (and ``proof``, when
    given) passed the gate. Raises _Refused, or what ``work`` raises."""

    def checked() -> tuple[T] | None:
        with ctx.db.transaction() as session:
            current = accounts.get_user(session, user.id)
            if not ctx.passwords.verify(current.password_hash, password):
                return None
            if proof is not None and (
                factors.prove(session, totp_key(ctx), relying_party(ctx), current, proof) is None
            ):
                return None
            return (work(session, current),)

    try:
        done = await ctx.gate.check(normalize_email(user.email), address, checked)
    except Throttled as exc:
        message = not_checked_now(exc.retry_after)
        raise _Refused({"current_password": [message]}, 429, exc.retry_after) from None
    if done is None:
        wrong = "or the code or key is wrong" if proof is not None else ""
        errors = {"current_password": [f"{accounts.INCORRECT} {wrong}".strip()]}
        raise _Refused(errors, 422)
    return done[0]


def _refused_page(answer: Template, refused: _Refused) -> Template:
    return retry_later(answer, refused.retry_after) if refused.status == 429 else answer


def _codes_page(
    request: AnyRequest, user: User, codes: list[str] | None, message: str
) -> Template | Redirect:
    """After a factor is added: the new recovery codes, shown this once; or,
    when the account had a factor already, back to Password & Security."""
    if codes is None:
        flash(request, message, category="success")
        return Redirect(SECURITY, status_code=303)
    return page("recovery_codes.html", user=user, codes=codes, message=message)


# -- Authenticator app (TOTP) -----------------------------------------------


def _totp_page(
    ctx: AppContext, user: User, status: int = 200, errors: dict[str, list[str]] | None = None
) -> Template | Redirect:
    with ctx.db.transaction() as session:
        try:
            secret = factors.pending_totp_secret(session, totp_key(ctx), user)
        except ValidationFailed:
            return Redirect(SECURITY, status_code=303)
    uri = totp.provisioning_uri(secret, user.email, ctx.settings.service_name)
    qr = segno.make(uri, error="m").svg_inline(scale=5, title="QR code of the authenticator secret")
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return page("totp_setup.html", status, user=user, qr=qr, secret=spaced, errors=errors or {})


@get(f"{BASE}/totp", sync_to_thread=True, include_in_schema=False)
def totp_setup_page(ctx: AppContext, user: User) -> Template | Redirect:
    return _totp_page(ctx, user)


@post(f"{BASE}/totp", include_in_schema=False)
async def totp_setup(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    fields = await form_fields(request, "code", "current_password")
    address = client_address(request)

    def confirm(session: Session, current: User) -> list[str] | None:
        return factors.confirm_totp(
            session, totp_key(ctx), current, fields["code"], address=address
        )

    try:
        codes = await _with_password(ctx, user, address, fields["current_password"], confirm)
    except _Refused as refused:
        answer = await to_thread.run_sync(_totp_page, ctx, user, refused.status, refused.errors)
        return _refused_page(answer, refused) if isinstance(answer, Template) else answer
    except ValidationFailed as exc:
        return await to_thread.run_sync(_totp_page, ctx, user, 422, exc.errors)
    ctx.forget_user(user.id)  # Basic with the password ends now in this process
    return _codes_page(request, user, codes, "Your authenticator app is set up.")


# -- Passkeys and security keys ---------------------------------------------


def _passkey_page(
    request: AnyRequest,
    ctx: AppContext,
    user: User,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    name: str = "",
) -> Template:
    rp = relying_party(ctx)
    with ctx.db.read() as session:
        ceremony = passkeys.registration_ceremony(session, rp, user)
    options = keep_challenge(request, "register", ceremony)
    return page(
        "passkey_setup.html",
        status,
        user=user,
        ip_site=rp.is_ip_address,
        options=options,
        script=SCRIPT,
        errors=errors or {},
        key_name=name,
    )


@get(f"{BASE}/passkey", sync_to_thread=True, include_in_schema=False)
def passkey_setup_page(request: AnyRequest, ctx: AppContext, user: User) -> Template:
    return _passkey_page(request, ctx, user)


@post(f"{BASE}/passkey", include_in_schema=False)
async def passkey_setup(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    fields = await form_fields(request, "name", "credential", "current_password")
    address = client_address(request)
    challenge = take_challenge(request, "register")

    def add(session: Session, current: User) -> list[str] | None:
        return factors.add_passkey(
            session,
            relying_party(ctx),
            current,
            name=fields["name"],
            answer=fields["credential"],
            challenge=challenge,
            address=address,
        )

    def again(status: int, errors: dict[str, list[str]]) -> Template:
        return _passkey_page(request, ctx, user, status, errors, fields["name"])

    try:
        codes = await _with_password(ctx, user, address, fields["current_password"], add)
    except _Refused as refused:
        answer = await to_thread.run_sync(again, refused.status, refused.errors)
        return _refused_page(answer, refused)
    except ValidationFailed as exc:
        return await to_thread.run_sync(again, 422, exc.errors)
    ctx.forget_user(user.id)
    message = f"Your passkey “{fields['name'].strip()}” is added."
    return _codes_page(request, user, codes, message)


# -- Removing a factor ---------------------------------------------------------


def _remove_page(
    request: AnyRequest,
    ctx: AppContext,
    user: User,
    factor: str,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
) -> Template:
    with ctx.db.read() as session:
        mine = factors.factors_of(session, user.id)
    names = {str(p.id): f"the passkey “{p.name}”" for p in mine.passkeys}
    if mine.totp:
        names["totp"] = "your authenticator app"
    if factor not in names:
        return not_found(user, "second factor")
    options = passkey_challenge(request, ctx, mine, "remove")
    return page(
        "factor_remove.html",
        status,
        user=user,
        factor=factor,
        label=names[factor],
        factors=mine,
        passkey_options=options,
        script=SCRIPT,
        errors=errors or {},
    )


@get(f"{BASE}/remove", sync_to_thread=True, include_in_schema=False)
def remove_factor_page(
    request: AnyRequest, ctx: AppContext, user: User, factor: str = ""
) -> Template:
    return _remove_page(request, ctx, user, factor)


@post(f"{BASE}/remove", include_in_schema=False)
async def remove_factor(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    fields = await form_fields(request, "factor", "current_password", "code", "credential")
    address = client_address(request)
    proof = proof_from(request, fields, "remove")

    def remove(session: Session, current: User) -> str:
        return factors.remove_factor(session, current, fields["factor"], address=address)

    try:
        label = await _with_password(
            ctx, user, address, fields["current_password"], remove, proof=proof
        )
    except _Refused as refused:
        answer = await to_thread.run_sync(
            _remove_page, request, ctx, user, fields["factor"], refused.status, refused.errors
        )
        return _refused_page(answer, refused)
    except NotFound:
        return not_found(user, "second factor")
    ctx.forget_user(user.id)  # a remembered refusal of Basic ends now in this process
    flash(request, f"Removed {label}.", category="success")
    return Redirect(SECURITY, status_code=303)


# -- Recovery codes --------------------------------------------------------------


@post(f"{BASE}/recovery-codes", include_in_schema=False)
async def new_recovery_codes(
    request: AnyRequest, ctx: AppContext, user: User
) -> Template | Redirect:
    fields = await form_fields(request, "recovery_password")
    address = client_address(request)
    work = partial(_regenerate, address=address)
    try:
        codes = await _with_password(ctx, user, address, fields["recovery_password"], work)
    except _Refused as refused:
        again = partial(render_security, request, ctx, user, refused.status)
        answer = await to_thread.run_sync(partial(again, factor_errors=refused.errors))
        return _refused_page(answer, refused)
    except ValidationFailed as exc:
        again = partial(render_security, request, ctx, user, 422, factor_errors=exc.errors)
        return await to_thread.run_sync(again)
    message = "New recovery codes are made; the old ones no longer work."
    return page("recovery_codes.html", user=user, codes=codes, message=message)


def _regenerate(session: Session, user: User, *, address: str) -> list[str]:
    return factors.regenerate_recovery_codes(session, user, address=address)


ROUTES = [
    totp_setup_page,
    totp_setup,
    passkey_setup_page,
    passkey_setup,
    remove_factor_page,
    remove_factor,
    new_recovery_codes,
]
