"""``/admin/apps``: the application queue, each app's page, and the
operator's decisions on it (clients/decisions.py, shared with the
``civicauth apps`` commands)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import Parameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from civicauth.accounts.models import User
from civicauth.clients import decisions, queue, review
from civicauth.clients.models import STATUSES, Client
from civicauth.clients.services import find_client
from civicauth.context import AppContext
from civicauth.errors import NotFound, ValidationFailed
from civicauth.tokens.authorized import live_grant_count
from civicauth.tokens.oauth_tokens import RefreshLifetimes
from civicauth.web.admin import usage
from civicauth.web.admin.actions import operator_action
from civicauth.web.applications import FIELD_LABELS
from civicauth.web.forms import client_address, form_fields
from civicauth.web.render import page

AnyRequest = Request[Any, Any, Any]
QUEUE = "/apps"
APP = "/apps/{client_id:str}"
BACK = "/admin/apps/{client_id}"
STATUS_LABELS = {
    "pending": "Waiting for review",
    "approved": "Approved",
    "rejected": "Rejected",
    "suspended": "Suspended",
}
# More of an app's page, from other parts of the console (its usage): each
# gives template values for the app; the page includes admin/app_usage.html
# when that template exists.
APP_PAGE_PARTS: list[Callable[[AppContext, Session, Client], dict[str, Any]]] = [usage.app_usage]
Decide = Callable[[Session, Client, User, dict[str, str]], decisions.Decision]


@get(QUEUE, sync_to_thread=True, include_in_schema=False)
def queue_page(
    ctx: AppContext,
    user: User,
    status: str = "",
    organization: str = "",
    q: str = "",
    page_number: Annotated[int, Parameter(query="page", ge=1, le=10_000)] = 1,
) -> Template:
    filters = queue.Filters(status, organization[:100], q, page_number)
    with ctx.db.read() as session:
        apps, more = queue.all_apps(session, filters)
        context: dict[str, Any] = {
            "pending": queue.pending_apps(session),
            "changes": [(c, review.pending_changes(c)) for c in queue.waiting_changes(session)],
            "organizations": queue.organizations(session),
            "apps": apps,
            "more": more,
        }
    return page(
        "admin/apps.html",
        user=user,
        section="apps",
        filters=filters,
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
        field_labels=FIELD_LABELS,
        **context,
    )


def _app_context(ctx: AppContext, session: Session, client: Client) -> dict[str, Any]:
    lifetimes = RefreshLifetimes.from_settings(ctx.settings)
    owner = session.get(User, client.owner_id) if client.owner_id is not None else None
    reviewer = session.get(User, client.reviewed_by_id) if client.reviewed_by_id else None
    context: dict[str, Any] = {
        "client": client,
        "owner": owner,
        "reviewer": reviewer,
        "changes": review.pending_changes(client),
        "live_grants": live_grant_count(session, client.id, lifetimes),
    }
    for part in APP_PAGE_PARTS:
        context.update(part(ctx, session, client))
    return context


def render_app(
    ctx: AppContext,
    user: User,
    client_id: str,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    """The app's page (with a form's errors); 404 for an unknown id. Call
    from a thread."""
    with ctx.db.read() as session:
        client = find_client(session, client_id)
        if client is None:
            return _no_such_app(user)
        context = _app_context(ctx, session, client)
    return page(
        "admin/app.html",
        status,
        user=user,
        section="apps",
        status_labels=STATUS_LABELS,
        field_labels=FIELD_LABELS,
        errors=errors or {},
        values=values or {},
        **context,
    )


def _no_such_app(user: User) -> Template:
    message = "There is no application with this id."
    return page("error.html", 404, status=404, message=message, user=user)


@get(APP, sync_to_thread=True, include_in_schema=False)
def app_page(ctx: AppContext, user: User, client_id: str) -> Template:
    return render_app(ctx, user, client_id)


async def _decide(
    request: AnyRequest, ctx: AppContext, user: User, client_id: str, decide: Decide
) -> Template | Redirect:
    """Run one decision in a transaction and go back to the app's page with
    its summary; the page again with the error when it does not apply."""
    fields = await form_fields(request, "reason", "action")
    fields["address"] = client_address(request)

    def run() -> decisions.Decision:
        with ctx.db.transaction() as session:
            client = find_client(session, client_id)
            if client is None:
                raise NotFound(client_id)
            return decide(session, client, user, fields)

    try:
        decision = await to_thread.run_sync(run)
    except NotFound:
        return _no_such_app(user)
    except ValidationFailed as exc:
        invalid = exc.errors
        return await to_thread.run_sync(
            lambda: render_app(ctx, user, client_id, 422, invalid, fields)
        )
    except decisions.NotNow as exc:
        errors = {"decision": [str(exc)]}
        return await to_thread.run_sync(lambda: render_app(ctx, user, client_id, 409, errors))
    if decision.changes_tokens:
        # Committed: every worker of every process drops the app's cached tokens.
        ctx.forget_client(client_id)
    flash(request, decision.summary[0].upper() + decision.summary[1:] + ".", category="success")
    return Redirect(f"/admin/apps/{client_id}", status_code=303)


def _decision_route(action: str, decide: Decide) -> HTTPRouteHandler:
    """The POST ``/admin/apps/{client_id}/ACTION`` that runs one decision."""

    async def handler(
        request: AnyRequest, ctx: AppContext, user: User, client_id: str
    ) -> Template | Redirect:
        return await _decide(request, ctx, user, client_id, decide)

    handler.__name__ = handler.__qualname__ = action.replace("-", "_") + "_app"
    return operator_action(f"{APP}/{action}", back=BACK)(handler)


# Each decision of the clients' decisions service, with what its form gives.
DECISION_ROUTES = [
    _decision_route("approve", lambda s, c, u, f: decisions.approve(s, c, u, address=f["address"])),
    _decision_route(
        "reject",
        lambda s, c, u, f: decisions.reject(s, c, u, f["reason"], address=f["address"]),
    ),
    _decision_route(
        "reject-change",
        lambda s, c, u, f: decisions.reject_change(s, c, u, f["reason"], address=f["address"]),
    ),
    _decision_route(
        "suspend",
        lambda s, c, u, f: decisions.suspend(s, c, u, f["reason"], address=f["address"]),
    ),
    _decision_route(
        "reinstate", lambda s, c, u, f: decisions.reinstate(s, c, u, address=f["address"])
    ),
]


ROUTES = [
    queue_page,
    app_page,
    *DECISION_ROUTES,
]
