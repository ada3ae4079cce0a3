"""``/api/v2/issues``: list, read, report, close and reopen issues;
``/api/v2/profile/issues``: the ones the current user reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.params import Parameter
from sqlalchemy.orm import Session

from civicauth.api.v2 import issue_actions
from civicauth.api.v2 import issue_docs as docs
from civicauth.api.v2.guards import (
    authenticated_user,
    current_principal,
    current_user_id,
    write_scope,
)
from civicauth.api.v2.inputs import read_input
from civicauth.api.v2.issue_params import LISTING
from civicauth.api.v2.issue_shapes import (
    comment_object,
    issue_object,
    narrowed,
    parse_fields,
    posted_comment,
)
from civicauth.api.v2.pagination import PAGE, Page, collection
from civicauth.context import AppContext
from civicauth.errors import ValidationFailed
from civicauth.issues import queries, services
from civicauth.issues.listing import IssueQuery
from civicauth.issues.queries import CommentRow, IssueFields, IssueRow
from civicauth.issues.validation import clean_comment, clean_report

AnyRequest = Request[Any, Any, Any]
Fields = Annotated[
    str | None,
    Parameter(
        query="fields[issue]",
        description="Comma list of the issue keys to return; id is always returned.",
    ),
]
IssueId = Annotated[int, Parameter(description="The issue's id.")]
LIST_DEPENDENCIES = {"listing": LISTING, "paging": PAGE}
# ``details=true`` shows at most this many comments, the most recent; when
# ``comment_count`` is larger, ``comment_url`` (the collection) has them all.
DETAIL_COMMENTS = 100


def _viewer(request: AnyRequest) -> int | None:
    principal = current_principal(request)
    return principal.user_id if principal is not None else None


def shaped_issues(
    session: Session, rows: Sequence[IssueRow], viewer: int | None, issuer: str
) -> list[dict[str, Any]]:
    """Issue objects, with current_user_relationship when someone is signed in."""
    found = services.relationships(session, viewer, [r.issue for r in rows]) if viewer else {}
    return [issue_object(row, issuer, found.get(row.issue.id)) for row in rows]


async def _list(
    ctx: AppContext, request: AnyRequest, q: IssueQuery, paging: Page, fields: str | None
) -> dict[str, Any]:
    work = partial(_page_of_issues, ctx, request, q, paging, fields)
    # A text search counts every matching issue (tens of milliseconds): in a
    # thread, so it does not hold the event loop from the requests beside it.
    return await (to_thread.run_sync(work) if q.terms else ctx.db.run(work))


def _page_of_issues(
    ctx: AppContext, request: AnyRequest, q: IssueQuery, paging: Page, fields: str | None
) -> dict[str, Any]:
    issuer = ctx.settings.issuer
    wanted = parse_fields(fields)
    with ctx.db.read() as session:
        total, rows = queries.list_issues(session, q, paging.offset, paging.per_page)
        items = [
            narrowed(b, wanted) for b in shaped_issues(session, rows, _viewer(request), issuer)
        ]
    return collection("issues", items, total, paging, request, issuer)


@get(
    "/issues",
    summary="List issues",
    dependencies=LIST_DEPENDENCIES,
    security=docs.READ_SECURITY,
    responses=docs.read_responses(docs.IssueCollection, "A page of issues"),
)
async def list_issues(
    request: AnyRequest, ctx: AppContext, listing: IssueQuery, paging: Page, fields: Fields = None
) -> dict[str, Any]:
    """Issues, newest first unless ``sort`` says otherwise, filtered by status,
    time, text and area (a bounding box, or a point and a radius)."""
    return await _list(ctx, request, listing, paging, fields)


@get(
    "/profile/issues",
    summary="Issues the current user reported",
    guards=[authenticated_user],
    dependencies=LIST_DEPENDENCIES,
    security=docs.USER_SECURITY,
    responses={
        **docs.read_responses(docs.IssueCollection, "A page of the user's issues"),
        **docs.NEEDS_USER,
    },
)
async def list_my_issues(
    request: AnyRequest, ctx: AppContext, listing: IssueQuery, paging: Page, fields: Fields = None
) -> dict[str, Any]:
    """The signed-in user's reports, with the same parameters as ``GET /issues``."""
    mine = replace(listing, reporter_id=current_user_id(request))
    return await _list(ctx, request, mine, paging, fields)


@get(
    "/issues/{issue_id:str}",
    summary="One issue",
    security=docs.READ_SECURITY,
    responses={
        **docs.read_responses(docs.CivicIssue, "The issue itself, not wrapped"),
        **docs.NOT_FOUND,
    },
)
async def get_issue(
    request: AnyRequest,
    ctx: AppContext,
    issue_id: IssueId,
    details: Annotated[
        bool,
        Parameter(
            description=f"Add the issue's {DETAIL_COMMENTS} most recent comments "
            "(comment_url lists them all)."
        ),
    ] = False,
    fields: Fields = None,
) -> dict[str, Any]:
    issuer = ctx.settings.issuer

    def read() -> dict[str, Any]:
        with ctx.db.read() as session:
            row = queries.find_issue(session, issue_id)
            body = shaped_issues(session, [row], _viewer(request), issuer)[0]
            if details:
                comments = queries.latest_comments(session, issue_id, DETAIL_COMMENTS)
                body["comments"] = [comment_object(c, issuer) for c in comments]
        return body

    body = await ctx.db.run(read)
    wanted = parse_fields(fields)
    if details and wanted is not None:
        # The rest of a long discussion is a page of the comments collection away.
        wanted |= {"comments", "comment_count", "comment_url"}
    return narrowed(body, wanted)


def report_input(data: dict[str, Any]) -> dict[str, Any]:
    """The report's fields, from the top level or, as SeeClickFix's report form
    sends them, inside ``answers`` (JSON) or as ``answers[name]`` (forms)."""
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        raise ValidationFailed({"answers": ["must be an object"]})
    flattened = {k[8:-1]: v for k, v in data.items() if k.startswith("answers[") and k[-1] == "]"}
    return {**flattened, **answers, **{k: v for k, v in data.items() if v is not None}}


@post(
    "/issues",
    summary="Report an issue",
    status_code=201,
    guards=[write_scope],
    security=docs.WRITE_SECURITY,
    response_headers=docs.LOCATION,
    responses=docs.create_responses(docs.CivicIssue, "The new issue"),
    operation_class=docs.REPORT_OPERATION,
)
async def create_issue(request: AnyRequest, ctx: AppContext) -> Response[dict[str, Any]]:
    """``lat``, ``lng``, ``address`` and ``summary`` are required, ``description``
    optional; JSON, form or multipart. SeeClickFix's form, with ``summary`` and
    ``description`` inside ``answers``, is accepted too."""
    new = clean_report(report_input(await read_input(request)))
    user_id = current_user_id(request)
    await ctx.creation_limits.spend("issue", user_id)

    def store() -> IssueRow:
        with ctx.db.transaction() as session:
            issue = services.report_issue(session, user_id, new)
            return queries.find_issue(session, issue.id)

    row = await to_thread.run_sync(store)
    body = issue_object(row, ctx.settings.issuer, services.Relationship(reporter=True))
    return Response(body, status_code=201, headers={"Location": body["url"]})


async def _change_status(
    request: AnyRequest, ctx: AppContext, issue_id: int, status: str
) -> dict[str, Any]:
    text = clean_comment(await read_input(request))
    user_id = current_user_id(request)
    # A status change is posted as a comment, and counts as one.
    await ctx.creation_limits.spend("comment", user_id)

    def change() -> tuple[CommentRow, IssueFields]:
        with ctx.db.transaction() as session:
            comment = services.change_status(session, issue_id, user_id, status, text)
            issue = queries.find_issue(session, issue_id).issue
            return queries.comment_row(session, comment), issue

    comment, issue = await to_thread.run_sync(change)
    return posted_comment(comment, issue, ctx.settings.issuer)


STATUS_CHANGE: dict[str, Any] = {
    "status_code": 201,
    "guards": [write_scope],
    "security": docs.WRITE_SECURITY,
    "responses": docs.create_responses(docs.IssueComment, "The comment, and the issue's state"),
    "operation_class": docs.COMMENT_OPERATION,
}


@post("/issues/{issue_id:str}/close", summary="Close an issue (its reporter)", **STATUS_CHANGE)
async def close_issue(request: AnyRequest, ctx: AppContext, issue_id: IssueId) -> dict[str, Any]:
    """Only the reporter may; a ``comment`` saying why is required, as on SeeClickFix."""
    return await _change_status(request, ctx, issue_id, "closed")


@post(
    "/issues/{issue_id:str}/open", summary="Reopen a closed issue (its reporter)", **STATUS_CHANGE
)
async def reopen_issue(request: AnyRequest, ctx: AppContext, issue_id: IssueId) -> dict[str, Any]:
    """Only the reporter may; a ``comment`` saying why is required, as on SeeClickFix."""
    return await _change_status(request, ctx, issue_id, "open")


ROUTES = [
    list_issues,
    list_my_issues,
    get_issue,
    create_issue,
    close_issue,
    reopen_issue,
    *issue_actions.ROUTES,
]
