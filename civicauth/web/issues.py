"""``/issues/{id}``: the public page an issue's ``html_url`` points to."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from civicauth.context import AppContext
from civicauth.errors import NotFound
from civicauth.issues.queries import find_issue, list_comments
from civicauth.web.render import page
from civicauth.web.session import signed_in_user

# A page shows the first comments; the API pages through all of them.
COMMENTS_SHOWN = 100


@get("/issues/{issue_id:str}", sync_to_thread=True, include_in_schema=False)
def issue_page(request: Request[Any, Any, Any], ctx: AppContext, issue_id: int) -> Template:
    try:
        with ctx.db.read() as session:
            row = find_issue(session, issue_id)
            total, comments = list_comments(session, issue_id, 0, COMMENTS_SHOWN)
    except NotFound:
        return page("error.html", 404, status=404, message="There is no such issue.", user=None)
    return page(
        "issue.html",
        issue=row.issue,
        reporter=row.reporter_name,
        comments=comments,
        comment_total=total,
        user=signed_in_user(request, ctx),
    )


ROUTES = [issue_page]
