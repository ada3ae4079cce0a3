"""What residents do to an issue: comment on it, vote for it, follow it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, delete, get, post
from litestar.params import Parameter
from sqlalchemy.orm import Session

from civicauth.api.v2 import issue_docs as docs
from civicauth.api.v2.guards import current_user_id, write_scope
from civicauth.api.v2.inputs import read_input
from civicauth.api.v2.issue_shapes import comment_object, posted_comment
from civicauth.api.v2.pagination import PAGE, Page, collection
from civicauth.context import AppContext
from civicauth.issues import queries, services
from civicauth.issues.queries import CommentRow, IssueFields
from civicauth.issues.validation import clean_comment

AnyRequest = Request[Any, Any, Any]
IssueId = Annotated[int, Parameter(description="The issue's id.")]
WRITE: dict[str, Any] = {"guards": [write_scope], "security": docs.WRITE_SECURITY}


@get(
    "/issues/{issue_id:str}/comments",
    sync_to_thread=True,
    summary="An issue's comments, oldest first",
    dependencies={"paging": PAGE},
    security=docs.READ_SECURITY,
    responses={
        **docs.read_responses(docs.CommentCollection, "A page of comments"),
        **docs.NOT_FOUND,
    },
)
def list_comments(
    request: AnyRequest, ctx: AppContext, issue_id: IssueId, paging: Page
) -> dict[str, Any]:
    issuer = ctx.settings.issuer
    with ctx.db.read() as session:
        queries.find_issue(session, issue_id)
        total, rows = queries.list_comments(session, issue_id, paging.offset, paging.per_page)
    items = [comment_object(row, issuer) for row in rows]
    return collection("comments", items, total, paging, request, issuer)


@post(
    "/issues/{issue_id:str}/comments",
    summary="Comment on an issue",
    status_code=201,
    responses=docs.create_responses(docs.IssueComment, "The comment, and the issue's state"),
    operation_class=docs.COMMENT_OPERATION,
    **WRITE,
)
async def create_comment(request: AnyRequest, ctx: AppContext, issue_id: IssueId) -> dict[str, Any]:
    """``comment`` is required; JSON, form or multipart."""
    text = clean_comment(await read_input(request))
    user_id = current_user_id(request)
    await ctx.creation_limits.spend("comment", user_id)

    def store() -> tuple[CommentRow, IssueFields]:
        with ctx.db.transaction() as session:
            comment = services.add_comment(session, issue_id, user_id, text)
            issue = queries.find_issue(session, issue_id).issue
            return queries.comment_row(session, comment), issue

    row, issue = await to_thread.run_sync(store)
    return posted_comment(row, issue, ctx.settings.issuer)


async def _act(
    ctx: AppContext, action: Callable[[Session, int, int], None], issue_id: int, user_id: int
) -> None:
    def run() -> None:
        with ctx.db.transaction() as session:
            action(session, issue_id, user_id)

    await to_thread.run_sync(run)


@post(
    "/issues/{issue_id:str}/vote",
    summary="Vote for an issue",
    status_code=201,
    responses=docs.write_responses(docs.VoteCreated, "The caller's vote: 1"),
    **WRITE,
)
async def vote(request: AnyRequest, ctx: AppContext, issue_id: IssueId) -> dict[str, int]:
    """A second vote by the same user is ignored, as on SeeClickFix."""
    await _act(ctx, services.add_vote, issue_id, current_user_id(request))
    return {"vote": 1}


@delete(
    "/issues/{issue_id:str}/vote",
    summary="Take back a vote",
    responses=docs.write_responses(None, ""),
    **WRITE,
)
async def unvote(request: AnyRequest, ctx: AppContext, issue_id: IssueId) -> None:
    """``422`` when the caller had not voted."""
    await _act(ctx, services.remove_vote, issue_id, current_user_id(request))


@post(
    "/issues/{issue_id:str}/follow",
    summary="Follow an issue",
    status_code=201,
    responses=docs.write_responses(docs.FollowCreated, "1: the caller follows the issue"),
    **WRITE,
)
async def follow(request: AnyRequest, ctx: AppContext, issue_id: IssueId) -> dict[str, int]:
    """Following twice is a ``422``, as on SeeClickFix."""
    await _act(ctx, services.follow, issue_id, current_user_id(request))
    return {"follow": 1}


@delete(
    "/issues/{issue_id:str}/follow",
    summary="Stop following an issue",
    responses=docs.write_responses(None, ""),
    **WRITE,
)
async def unfollow(request: AnyRequest, ctx: AppContext, issue_id: IssueId) -> None:
    """``422`` when the caller was not following."""
    await _act(ctx, services.unfollow, issue_id, current_user_id(request))


ROUTES = [list_comments, create_comment, vote, unvote, follow, unfollow]
