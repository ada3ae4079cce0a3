"""``/oauth/authorize``: the consent page (RFC 6749 §3.1, §4.1.1, §4.2.1).

GET validates the request, sends a signed-out user to sign in and back, and
either answers at once (consent given before) or asks; POST is the user's
Approve or Deny. One form, two buttons; the page cannot be framed (render.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from anyio import to_thread
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from civicauth.accounts.models import User
from civicauth.context import AppContext
from civicauth.oauth2.inputs import MalformedRequest, OAuthInput, read_input
from civicauth.oauth2.metadata import AUTHORIZE_PATH, DEMO_CALLBACK_PATH
from civicauth.oauth2.outcomes import (
    SIGN_IN_NEEDED,
    AuthorizeOutcome,
    Authorizer,
    Consent,
    ErrorPage,
    SignedIn,
    SignInNeeded,
)
from civicauth.oauth2.responses import NO_STORE, OAuthResponse
from civicauth.web.render import page
from civicauth.web.session import sign_in_facts, signed_in_user

AnyRequest = Request[Any, Any, Any]
DECISIONS = {"approve": True, "deny": False}


def _error_page(problem: ErrorPage, user: User | None) -> Template:
    return page(
        "oauth_error.html",
        problem.status,
        error=problem.error,
        description=problem.description,
        app_status=problem.app_status,
        user=user,
    )


# Asked of the sign-in that the redirect to /login satisfies: the request it
# comes back to must not ask again, or a fresh sign-in would loop (a
# ``max_age=0`` is never met by the time the browser is back).
_SATISFIED_BY_SIGN_IN = frozenset({"max_age", "id_token_hint"})


def _back_after_sign_in(request: AnyRequest) -> str:
    """This authorization request, minus what a sign-in satisfies: ``login``
    from ``prompt``, ``max_age`` and ``id_token_hint`` (OIDC Core §3.1.2.1)."""
    kept: list[tuple[str, str]] = []
    for name, value in parse_qsl(request.url.query or "", keep_blank_values=True):
        if name == "prompt":
            value = " ".join(p for p in value.split() if p != "login")
        if name not in _SATISFIED_BY_SIGN_IN and value:
            kept.append((name, value))
    return AUTHORIZE_PATH + (f"?{urlencode(kept)}" if kept else "")


def _sign_in(request: AnyRequest, needed: SignInNeeded = SIGN_IN_NEEDED) -> Redirect:
    query = [("next", _back_after_sign_in(request))]
    if needed.login_hint:
        query.append(("login_hint", needed.login_hint))
    if needed.again:
        query.append(("again", "1"))
    return Redirect(f"/login?{urlencode(query)}", status_code=303)


def _answer(
    request: AnyRequest, outcome: AuthorizeOutcome, user: User | None
) -> Response[Any] | Template:
    if isinstance(outcome, SignInNeeded):
        return _sign_in(request, outcome)
    if isinstance(outcome, ErrorPage):
        return _error_page(outcome, user)
    if isinstance(outcome, OAuthResponse):
        # The redirect back to the client, exactly as the provider built it.
        return Response(b"", status_code=outcome.status, headers={**outcome.headers, **NO_STORE})
    assert isinstance(outcome, Consent)
    action = AUTHORIZE_PATH + f"?{request.url.query}"
    return page("authorize.html", consent=outcome, action=action, user=user)


async def _read(request: AnyRequest, ctx: AppContext) -> tuple[OAuthInput | ErrorPage, User | None]:
    """The request's parameters (or the page that refuses them) and who is
    signed in (shown on either page)."""
    try:
        inp: OAuthInput | ErrorPage = await read_input(request)
    except MalformedRequest as exc:
        inp = ErrorPage(400, "invalid_request", str(exc))
    return inp, await to_thread.run_sync(signed_in_user, request, ctx)


def _signed_in(request: AnyRequest, user: User) -> SignedIn:
    auth_time, amr = sign_in_facts(request)
    return SignedIn(user.id, auth_time, amr)


def _must_verify(ctx: AppContext, user: User) -> bool:
    return ctx.settings.require_verified_email and user.email_verified_at is None


def _verify_first(request: AnyRequest, user: User) -> Template:
    """CIVICAUTH_REQUIRE_VERIFIED_EMAIL: no grant until the email is
    confirmed. A page, not an error redirect to the app: the resident can
    fix this (resend the link) and come back to the same request."""
    back = AUTHORIZE_PATH + (f"?{request.url.query}" if request.url.query else "")
    return page("verify_required.html", 403, user=user, back=back)


@get(AUTHORIZE_PATH, include_in_schema=False)
async def authorize_page(
    request: AnyRequest, ctx: AppContext, oauth2: Authorizer
) -> Response[Any] | Template:
    inp, user = await _read(request, ctx)
    if isinstance(inp, ErrorPage):
        return _error_page(inp, user)
    if user is not None and _must_verify(ctx, user):
        # Validate as for a visitor: a bad request is still answered as such.
        outcome = await to_thread.run_sync(oauth2.authorization_request, inp, None)
        if isinstance(outcome, SignInNeeded):
            return _verify_first(request, user)
        return _answer(request, outcome, user)
    who = _signed_in(request, user) if user else None
    outcome = await to_thread.run_sync(oauth2.authorization_request, inp, who)
    return _answer(request, outcome, user)


@post(AUTHORIZE_PATH, include_in_schema=False, request_max_body_size=16 * 1024)
async def authorize_decision(
    request: AnyRequest, ctx: AppContext, oauth2: Authorizer
) -> Response[Any] | Template:
    inp, user = await _read(request, ctx)
    if isinstance(inp, ErrorPage):
        return _error_page(inp, user)
    if user is None:
        return _sign_in(request)
    if _must_verify(ctx, user):
        return _verify_first(request, user)
    approve = DECISIONS.get(inp.get("decision") or "")
    if approve is None:
        return _error_page(ErrorPage(400, "invalid_request", "Choose Approve or Deny."), user)
    outcome = await to_thread.run_sync(oauth2.decide, inp, _signed_in(request, user), approve)
    return _answer(request, outcome, user)


@get(DEMO_CALLBACK_PATH, sync_to_thread=True, include_in_schema=False)
def demo_callback(request: AnyRequest, ctx: AppContext) -> Template:
    """What the demo app received: the code (or error) and state to copy."""
    shown = ("code", "state", "error", "error_description", "iss")
    received = [(name, request.query_params.get(name)) for name in shown]
    return page(
        "oauth_callback.html",
        received=[(name, value) for name, value in received if value],
        user=signed_in_user(request, ctx),
    )


def authorize_router(provider: Authorizer) -> Router:
    return Router(
        "/",
        route_handlers=[authorize_page, authorize_decision, demo_callback],
        dependencies={"oauth2": Provide(lambda: provider, use_cache=True, sync_to_thread=False)},
        include_in_schema=False,
    )
