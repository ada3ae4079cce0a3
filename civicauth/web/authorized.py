"""``/oauth/authorized_applications``: the apps that act for the user, and
revoking one (after a confirmation page, so no click revokes by mistake)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar import Request, get, post
from litestar.response import Redirect, Template

from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.clients.scopes import SCOPES
from civicauth.context import AppContext
from civicauth.errors import NotFound
from civicauth.tokens import authorized
from civicauth.tokens.oauth_tokens import RefreshLifetimes
from civicauth.web.forms import client_address
from civicauth.web.guard import not_found
from civicauth.web.password_confirm import recent_password
from civicauth.web.render import page
from civicauth.web.revoked import back_after_revoking

AnyRequest = Request[Any, Any, Any]
HERE = "/oauth/authorized_applications"


def _lifetimes(ctx: AppContext) -> RefreshLifetimes:
    # An app whose only refresh token has expired can no longer act for the user.
    return RefreshLifetimes.from_settings(ctx.settings)


@get(HERE, sync_to_thread=True, include_in_schema=False)
def authorized_applications_page(ctx: AppContext, user: User) -> Template:
    with ctx.db.read() as session:
        apps = authorized.authorized_applications(session, user.id, _lifetimes(ctx))
    return page("authorized_applications.html", user=user, apps=apps, scopes=SCOPES)


@get(HERE + "/{client_id:str}/revoke", sync_to_thread=True, include_in_schema=False)
def confirm_revoke_page(ctx: AppContext, user: User, client_id: str) -> Template:
    try:
        with ctx.db.read() as session:
            app = authorized.find_authorized_application(
                session, user.id, client_id, _lifetimes(ctx)
            )
    except NotFound:
        return not_found(user, "authorized application")
    return page("authorized_application_revoke.html", user=user, app=app, scopes=SCOPES)


@post(HERE + "/{client_id:str}/revoke", guards=[recent_password], include_in_schema=False)
async def revoke_application(
    request: AnyRequest, ctx: AppContext, user: User, client_id: str
) -> Template | Redirect:
    address = client_address(request)

    def revoke() -> str:
        with ctx.db.transaction() as session:
            app = authorized.revoke_application(session, user.id, client_id, _lifetimes(ctx))
            record_event(
                session,
                "app_revoked",
                user_id=user.id,
                address=address,
                client_id=app.client_id,
                detail=app.name,
            )
            return app.name

    try:
        name = await to_thread.run_sync(revoke)
    except NotFound:
        return not_found(user, "authorized application")
    return back_after_revoking(request, ctx, user.id, f"{name} can no longer act for you.", HERE)


ROUTES = [authorized_applications_page, confirm_revoke_page, revoke_application]
