"""``/oauth/applications``: the developer portal.

A signed-in user registers applications, sees each one's id and (once) its
secret, rotates the secret, edits and deletes. Another user's application
id answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from anyio import to_thread
from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from civicauth.accounts.models import User
from civicauth.clients import portal
from civicauth.clients.models import Client
from civicauth.clients.review import pending_changes, waits_for_review
from civicauth.clients.services import is_pending, registration_errors, rotate_secret
from civicauth.context import AppContext
from civicauth.errors import NotFound, ValidationFailed
from civicauth.web.application_form import (
    GRANT_HINTS,
    blank_values,
    choices,
    read_application_form,
    values_of,
)
from civicauth.web.guard import not_found
from civicauth.web.password_confirm import recent_password
from civicauth.web.render import page
from civicauth.web.reveal import reveal_once, take_revealed

AnyRequest = Request[Any, Any, Any]
HERE = "/oauth/applications"
APP = HERE + "/{client_id:str}"
T = TypeVar("T")
# The reviewed fields (clients/review.py) as the form labels them.
FIELD_LABELS = {
    "name": "Application name",
    "organization": "Organization",
    "redirect_uris": "Callback URLs",
    "post_logout_redirect_uris": "Sign-out return URLs",
    "grant_types": "Grant types",
    "scopes": "Scopes",
}


def _secret_label(client_id: str) -> str:
    return "client_secret:" + client_id


def _with_own(ctx: AppContext, user: User, client_id: str, work: Callable[[Any, Client], T]) -> T:
    """Run ``work(session, client)`` on the user's own application, in one
    transaction; raises NotFound for anyone else's."""
    with ctx.db.transaction() as session:
        return work(session, portal.own_application(session, user.id, client_id))


def _own_page(
    ctx: AppContext, user: User, client_id: str, render: Callable[[Client], Template]
) -> Template:
    """``render(client)`` for the user's own application; 404 for anyone else's."""
    try:
        client = _with_own(ctx, user, client_id, lambda _, found: found)
    except NotFound:
        return not_found(user, "application")
    return render(client)


def _form_page(
    user: User,
    client: Client | None,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    *,
    reviewed: bool = False,
) -> Template:
    """The registration form, or with ``client`` its edit form; ``reviewed``:
    say that an edit of the reviewed fields waits for an operator."""
    context = {"values": values, "errors": errors or {}, "reviewed": reviewed, **choices()}
    return page("application_form.html", status, user=user, client=client, **context)


def _edits_wait(ctx: AppContext, client: Client) -> bool:
    return waits_for_review(client) and not ctx.settings.auto_approve_apps


@get(HERE, sync_to_thread=True, include_in_schema=False)
def applications_page(ctx: AppContext, user: User) -> Template:
    with ctx.db.read() as session:
        apps = portal.applications_of(session, user.id)
    return page("applications.html", user=user, apps=apps, is_pending=is_pending)


@get(HERE + "/new", sync_to_thread=False, guards=[recent_password], include_in_schema=False)
def new_application_page(user: User) -> Template:
    return _form_page(user, None, blank_values())


@post(
    HERE,
    guards=[recent_password],
    opt={"confirm_back": HERE + "/new"},
    include_in_schema=False,
)
async def create_application(
    request: AnyRequest, ctx: AppContext, user: User
) -> Template | Redirect:
    form = await read_application_form(request)

    def register() -> tuple[str, str | None]:
        if form.errors:  # the form's own (client type) with the domain's
            raise ValidationFailed(registration_errors(form.registration))
        with ctx.db.transaction() as session:
            client, secret = portal.register_own_application(
                session, user.id, form.registration, auto_approve=ctx.settings.auto_approve_apps
            )
            return client.client_id, secret

    try:
        client_id, secret = await to_thread.run_sync(register)
    except ValidationFailed as exc:
        return _form_page(user, None, form.values, {**exc.errors, **form.errors}, 422)
    if secret is not None:
        reveal_once(request, _secret_label(client_id), secret)
    flash(request, f"{form.registration.name.strip()} is registered.", category="success")
    return Redirect(f"{HERE}/{client_id}", status_code=303)


@get(APP, sync_to_thread=True, include_in_schema=False)
def application_page(request: AnyRequest, ctx: AppContext, user: User, client_id: str) -> Template:
    def render(client: Client) -> Template:
        return page(
            "application.html",
            user=user,
            client=client,
            pending=is_pending(client),
            changes=pending_changes(client),
            field_labels=FIELD_LABELS,
            secret=take_revealed(request, _secret_label(client.client_id)),
            implicit_warning=GRANT_HINTS["implicit"],
            authorize_url=ctx.settings.issuer + "/oauth/authorize",
            token_url=ctx.settings.issuer + "/oauth/token",
        )

    return _own_page(ctx, user, client_id, render)


@get(APP + "/edit", sync_to_thread=True, guards=[recent_password], include_in_schema=False)
def edit_application_page(ctx: AppContext, user: User, client_id: str) -> Template:
    def render(client: Client) -> Template:
        return _form_page(user, client, values_of(client), reviewed=_edits_wait(ctx, client))

    return _own_page(ctx, user, client_id, render)


@post(APP + "/edit", guards=[recent_password], include_in_schema=False)
async def update_application(
    request: AnyRequest, ctx: AppContext, user: User, client_id: str
) -> Template | Redirect:
    form = await read_application_form(request)

    def update(session: Any, client: Client) -> tuple[str, list[str]]:
        waiting = portal.update_application(
            session, client, form.registration, auto_approve=ctx.settings.auto_approve_apps
        )
        return client.name, waiting

    try:
        name, waiting = await to_thread.run_sync(_with_own, ctx, user, client_id, update)
    except NotFound:
        return not_found(user, "application")
    except ValidationFailed as exc:
        found = await to_thread.run_sync(_with_own, ctx, user, client_id, lambda _, c: c)
        reviewed = _edits_wait(ctx, found)
        return _form_page(user, found, form.values, exc.errors, 422, reviewed=reviewed)
    flash(request, _updated_message(name, waiting), category="success")
    return Redirect(f"{HERE}/{client_id}", status_code=303)


def _updated_message(name: str, waiting: list[str]) -> str:
    if not waiting:
        return f"{name} is updated."
    labels = (FIELD_LABELS[field] for field in waiting)
    fields = ", ".join(label[0].lower() + label[1:] for label in labels)
    return (
        f"{name} is updated. The change to {fields} waits for an operator's review; "
        "until then the approved version stays live."
    )


@post(
    APP + "/secret",
    guards=[recent_password],
    opt={"confirm_back": HERE + "/{client_id}"},
    include_in_schema=False,
)
async def rotate_application_secret(
    request: AnyRequest, ctx: AppContext, user: User, client_id: str
) -> Template | Redirect:
    try:
        secret = await to_thread.run_sync(_with_own, ctx, user, client_id, rotate_secret)
    except (NotFound, ValidationFailed):
        # A public application has no secret: as absent as another user's app.
        return not_found(user, "confidential application")
    reveal_once(request, _secret_label(client_id), secret)
    flash(request, "A new secret is made; the old one no longer works.", category="success")
    return Redirect(f"{HERE}/{client_id}", status_code=303)


@get(APP + "/delete", sync_to_thread=True, include_in_schema=False)
def confirm_delete_page(ctx: AppContext, user: User, client_id: str) -> Template:
    return _own_page(
        ctx, user, client_id, lambda c: page("application_delete.html", user=user, client=c)
    )


@post(APP + "/delete", guards=[recent_password], include_in_schema=False)
async def delete_application(
    request: AnyRequest, ctx: AppContext, user: User, client_id: str
) -> Template | Redirect:
    def delete(session: Any, client: Client) -> str:
        name = client.name
        portal.delete_application(session, client)
        return name

    try:
        name = await to_thread.run_sync(_with_own, ctx, user, client_id, delete)
    except NotFound:
        return not_found(user, "application")
    # Its tokens are gone from the database; every worker's cached lookups
    # of them expire within a second (auth/cache.py).
    flash(request, f"{name} is deleted, with every token it held.", category="success")
    return Redirect(HERE, status_code=303)


ROUTES = [
    applications_page,
    new_application_page,
    create_application,
    application_page,
    edit_application_page,
    update_application,
    rotate_application_secret,
    confirm_delete_page,
    delete_application,
]
