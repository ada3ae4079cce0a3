"""``/admin/log``: the security log searched by user, app, event and days,
in keyset pages; ``/admin/log.csv``: the same search as a CSV download,
streamed from the database in batches as the client reads it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get
from litestar.params import Parameter
from litestar.response import Stream, Template

from civicauth.accounts.audit import EVENTS
from civicauth.accounts.models import User
from civicauth.accounts.security_log import (
    LogFilter,
    export_events,
    log_filter,
    search_events,
)
from civicauth.context import AppContext
from civicauth.errors import ValidationFailed
from civicauth.usage.reports import today
from civicauth.web.csv_export import security_log_csv
from civicauth.web.render import PAGE_HEADERS, page

Cursor = Annotated[int | None, Parameter(ge=1, le=2**62)]
Field = Annotated[str, Parameter(max_length=300)]


def _fields(email: str, client_id: str, event: str, since: str, until: str) -> dict[str, str]:
    return {"email": email, "client_id": client_id, "event": event, "since": since, "until": until}


def _link(fields: dict[str, str], **cursor: int) -> str:
    query = {k: v for k, v in fields.items() if v} | {k: str(v) for k, v in cursor.items()}
    return "?" + urlencode(query) if query else "?"


def _context(user: User, fields: dict[str, str]) -> dict[str, Any]:
    return {"user": user, "section": "log", "fields": fields, "events": EVENTS}


def _refused(user: User, fields: dict[str, str], exc: ValidationFailed) -> Template:
    """The search page again, each bad field's message next to it."""
    return page("admin/log.html", 400, errors=exc.errors, entries=None, **_context(user, fields))


@get("/log", sync_to_thread=True, include_in_schema=False)
def log_page(
    ctx: AppContext,
    user: User,
    email: Field = "",
    client_id: Field = "",
    event: Field = "",
    since: Field = "",
    until: Field = "",
    before: Cursor = None,
    after: Cursor = None,
) -> Template:
    fields = _fields(email, client_id, event, since, until)
    try:
        spec = log_filter(**fields)
    except ValidationFailed as exc:
        return _refused(user, fields, exc)
    with ctx.db.read() as session:
        found = search_events(session, spec, before=before, after=after)
    return page(
        "admin/log.html",
        errors={},
        entries=found.entries,
        older=_link(fields, before=found.older) if found.older else None,
        newer=_link(fields, after=found.newer) if found.newer else None,
        newest=_link(fields) if before or after else None,
        csv_link="/admin/log.csv" + _link(fields).rstrip("?"),
        **_context(user, fields),
    )


def _download(ctx: AppContext, spec: LogFilter) -> Stream:
    name = f"security-log-{today():%Y-%m-%d}.csv"
    # Litestar pulls the chunks in a worker thread as the client reads them:
    # each batch of the export is one short query (accounts/security_log.py).
    chunks = security_log_csv(export_events(ctx.db.read, spec))
    headers = {
        **{k: v for k, v in PAGE_HEADERS.items() if k != "Content-Security-Policy"},
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    return Stream(chunks, media_type="text/csv; charset=utf-8", headers=headers)


@get("/log.csv", sync_to_thread=False, include_in_schema=False)
def log_csv(
    ctx: AppContext,
    user: User,
    email: Field = "",
    client_id: Field = "",
    event: Field = "",
    since: Field = "",
    until: Field = "",
) -> Stream | Template:
    fields = _fields(email, client_id, event, since, until)
    try:
        spec = log_filter(**fields)
    except ValidationFailed as exc:
        return _refused(user, fields, exc)
    return _download(ctx, spec)


ROUTES = [log_page, log_csv]
