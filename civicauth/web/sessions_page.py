"""The sessions section of Password & Security: every browser signed in to
the account, and signing out one or all of the others (``/account/sessions/...``).
Signing out another session deletes its record: its next page load is
signed out, whichever worker or host serves it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from anyio import to_thread
from litestar import Request, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts import web_sessions
from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.context import AppContext
from civicauth.db.ids import parse_row_id
from civicauth.web.browsers import browser_name
from civicauth.web.forms import client_address, form_fields
from civicauth.web.guard import not_found
from civicauth.web.password_confirm import recent_password
from civicauth.web.session import current_session_id

AnyRequest = Request[Any, Any, Any]
HERE = "/account/sessions"
BACK = "/account/security"


def _idle(ctx: AppContext) -> timedelta:
    return timedelta(days=ctx.settings.session_idle_days)


def sessions_section(request: AnyRequest, ctx: AppContext, user: User) -> dict[str, Any]:
    """The section's data for the page: ``sessions`` (this one first) and
    ``browser_name``. Call from a thread."""
    with ctx.db.read() as session:
        rows = web_sessions.sessions_of(session, user.id, current_session_id(request), _idle(ctx))
    return {"sessions": rows, "browser_name": browser_name}


@post(
    HERE + "/sign-out",
    guards=[recent_password],
    opt={"confirm_back": BACK},
    include_in_schema=False,
)
async def sign_out_session(request: AnyRequest, ctx: AppContext, user: User) -> Template | Redirect:
    session_id = parse_row_id((await form_fields(request, "session_id"))["session_id"])
    current = current_session_id(request)
    if session_id is None or session_id == current:
        return not_found(user, "other session")
    address = client_address(request)

    def end(session_id: int) -> bool:
        with ctx.db.transaction() as session:
            if not web_sessions.end_session(session, user.id, session_id):
                return False
            record_event(session, "session_ended", user_id=user.id, address=address)
            return True

    if not await to_thread.run_sync(end, session_id):
        return not_found(user, "other session")
    flash(request, "That session is signed out.", category="success")
    return Redirect(BACK, status_code=303)


@post(
    HERE + "/sign-out-others",
    guards=[recent_password],
    opt={"confirm_back": BACK},
    include_in_schema=False,
)
async def sign_out_other_sessions(request: AnyRequest, ctx: AppContext, user: User) -> Redirect:
    current = current_session_id(request)
    address = client_address(request)

    def end() -> int:
        with ctx.db.transaction() as session:
            ended = web_sessions.end_sessions(session, user.id, keep=current)
            detail = f"{ended} session(s)"
            record_event(
                session, "other_sessions_ended", user_id=user.id, address=address, detail=detail
            )
            return ended

    ended = await to_thread.run_sync(end)
    flash(request, f"Signed out {ended} other session(s).", category="success")
    return Redirect(BACK, status_code=303)


ROUTES = [sign_out_session, sign_out_other_sessions]
