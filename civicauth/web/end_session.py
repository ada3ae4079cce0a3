"""``/oauth/logout``: RP-Initiated Logout 1.0, the OpenID Provider's
end_session_endpoint (the rules: civicauth/oauth2/logout.py).

With a valid ``id_token_hint`` naming the signed-in resident, the session
ends on the server at once and the browser goes to the app's registered
``post_logout_redirect_uri`` (or to the sign-in page). Without one, the
resident is asked first (a CSRF-protected form posted to
``/oauth/logout/confirm``), since anyone can link a browser here. An app may
also POST the request (§2); that is answered with a redirect to the GET, so
the browser's session cookie (SameSite=Lax, not sent on a cross-site POST)
comes along.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from anyio import to_thread
from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.context import AppContext
from civicauth.oauth2.logout import PARAMETERS, LogoutRefused, LogoutRequest, read_logout_request
from civicauth.oauth2.metadata import END_SESSION_PATH
from civicauth.web.forms import client_address, form_fields
from civicauth.web.guard import bad_request
from civicauth.web.render import page
from civicauth.web.session import sign_out, signed_in_user

AnyRequest = Request[Any, Any, Any]
CONFIRM_PATH = END_SESSION_PATH + "/confirm"
# An ID token is a few kilobytes at most; anything longer is not one of ours.
MAX_PARAMETER = 16 * 1024


def _text(value: str | None) -> str:
    # As form_fields does: no parameter holds NUL, and PostgreSQL cannot store it.
    return value if value and "\x00" not in value and len(value) <= MAX_PARAMETER else ""


def _read(ctx: AppContext, params: dict[str, str]) -> LogoutRequest:
    # A write transaction: checking a hint may make the first signing keys.
    with ctx.db.write_transaction() as session:
        return read_logout_request(session, params)


def _signed_out_by_app(ctx: AppContext, user: User, logout: LogoutRequest, address: str) -> None:
    """The security log says which app signed the resident out (none: the
    resident asked us directly, like the sign-out button, which is not logged)."""
    if logout.client_id is None:
        return
    with ctx.db.write_transaction() as session:
        record_event(
            session,
            "signed_out_by_app",
            user_id=user.id,
            client_id=logout.client_id,
            address=address,
            detail=logout.app_name or "",
        )


async def _sign_out(
    request: AnyRequest, ctx: AppContext, user: User, logout: LogoutRequest
) -> None:
    await to_thread.run_sync(_signed_out_by_app, ctx, user, logout, client_address(request))
    sign_out(request)


def _done(request: AnyRequest, logout: LogoutRequest) -> Redirect:
    if logout.redirect_to:
        return Redirect(logout.redirect_to, status_code=303)
    flash(request, "You are signed out.", category="info")
    return Redirect("/login", status_code=303)


@get(END_SESSION_PATH, include_in_schema=False)
async def end_session(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    params = {name: _text(request.query_params.get(name)) for name in PARAMETERS}
    user: User | None = await to_thread.run_sync(signed_in_user, request, ctx)
    try:
        logout = await to_thread.run_sync(_read, ctx, params)
    except LogoutRefused as exc:
        return bad_request(user, str(exc))
    if user is None:  # nobody to sign out: only where to go is left
        return _done(request, logout)
    if logout.hinted_subject == str(user.id):
        await _sign_out(request, ctx, user, logout)
        return _done(request, logout)
    return page("logout_confirm.html", user=user, logout=logout, action=CONFIRM_PATH)


# Without our CSRF token, as an app POSTs it: it changes nothing by itself,
# the GET it redirects to signs out only with a valid hint or after our form.
@post(END_SESSION_PATH, include_in_schema=False, exclude_from_csrf=True)
async def end_session_posted(request: AnyRequest) -> Redirect:
    """RP-Initiated Logout §2 allows POST: the same request, as a GET."""
    params = {k: v for k, v in (await form_fields(request, *PARAMETERS)).items() if v}
    query = f"?{urlencode(params)}" if params else ""
    return Redirect(END_SESSION_PATH + query, status_code=303)


@post(CONFIRM_PATH, include_in_schema=False)
async def confirm_end_session(request: AnyRequest, ctx: AppContext) -> Template | Redirect:
    """The resident chose to sign out (the CSRF token proves it was our form)."""
    fields = await form_fields(request, "post_logout_redirect_uri", "client_id", "state")
    user: User | None = await to_thread.run_sync(signed_in_user, request, ctx)
    try:
        logout = await to_thread.run_sync(_read, ctx, fields)
    except LogoutRefused as exc:
        return bad_request(user, str(exc))
    if user is not None:
        await _sign_out(request, ctx, user, logout)
    return _done(request, logout)


ROUTES = [end_session, end_session_posted, confirm_end_session]
