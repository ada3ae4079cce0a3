"""Reading issues and comments: lists (their statements are in ``listing``), single
issues and their reporters, comments and their authors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from civicauth.accounts.models import User
from civicauth.errors import NotFound
from civicauth.issues import listing
from civicauth.issues.listing import IssueQuery
from civicauth.issues.models import Comment, Issue

# Ids beyond this are in no table (PostgreSQL's INTEGER); a lookup would only
# overflow the driver.
MAX_ID = 2**31 - 1
SORTS = ("created_at", "updated_at", "rating", "distance")


class IssueFields(NamedTuple):
    """An issue's columns, named as on ``Issue`` (``issue.status``), read as a
    plain tuple: a response is built from it and thrown away, so an ORM
    object's identity map and change tracking would add nothing but their
    cost (and a stale copy after an UPDATE in the same session), and a
    SQLAlchemy ``Row`` looks each name up on every read."""

    id: int
    summary: str
    description: str
    status: str
    lat: float
    lng: float
    address: str
    reporter_id: int
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None
    reopened_at: datetime | None
    vote_count: int
    comment_count: int


class IssueRow(NamedTuple):
    issue: IssueFields
    reporter_name: str


class CommentRow(NamedTuple):
    comment: Comment
    commenter_name: str


# Reads are built on the Core table, not the mapped class: the statements are
# plain SELECTs, executed without the ORM's compile step, and their rows are
# tuples.
_ISSUES = Issue.__table__.c
_USERS = User.__table__.c
# Built once: only the ids change from one read to the next.
_BY_IDS = (
    select(*(_ISSUES[name] for name in IssueFields._fields), _USERS.name)
    .join(User.__table__, _USERS.id == _ISSUES.reporter_id)
    .where(_ISSUES.id.in_(bindparam("ids", expanding=True)))
)


def issues_by_id(session: Session, ids: Sequence[int]) -> list[IssueRow]:
    """The issues with these ids, with their reporters' names, in the order given."""
    if not ids:
        return []
    found: dict[int, IssueRow] = {}
    for *fields, reporter_name in session.execute(_BY_IDS, {"ids": list(ids)}).all():
        issue = IssueFields(*fields)
        found[issue.id] = IssueRow(issue, reporter_name)
    return [found[i] for i in ids if i in found]


def list_issues(
    session: Session, q: IssueQuery, offset: int, limit: int
) -> tuple[int, list[IssueRow]]:
    """The number of matching issues and the page of them at ``offset``."""
    dialect = session.get_bind().dialect.name
    statements = listing.statements(listing.shape(dialect, q))
    values = listing.parameters(dialect, q)
    total = int(session.scalar(statements.total, values) or 0)
    if offset >= total:  # past the end; also keeps a huge offset from the driver
        return total, []
    ids = list(session.scalars(statements.page, {**values, "offset": offset, "limit": limit}))
    return total, issues_by_id(session, ids)


def find_issue(session: Session, issue_id: int) -> IssueRow:
    """The issue and its reporter's name; raises NotFound."""
    rows = issues_by_id(session, [issue_id]) if 0 < issue_id <= MAX_ID else []
    if not rows:
        raise NotFound(f"issue {issue_id}")
    return rows[0]


def list_comments(
    session: Session, issue_id: int, offset: int, limit: int | None
) -> tuple[int, list[CommentRow]]:
    """An issue's comments, oldest first, with their authors' names."""
    total = int(
        session.scalar(
            select(func.count()).select_from(Comment).where(Comment.issue_id == issue_id)
        )
        or 0
    )
    if offset >= total:  # past the end; also keeps a huge offset from the driver
        return total, []
    statement = (
        select(Comment, User.name)
        .join(User, User.id == Comment.user_id)
        .where(Comment.issue_id == issue_id)
        .order_by(Comment.created_at, Comment.id)
        .offset(offset)
        .limit(limit)
    )
    return total, [CommentRow(c, name) for c, name in session.execute(statement).all()]


def latest_comments(session: Session, issue_id: int, limit: int) -> list[CommentRow]:
    """An issue's ``limit`` most recent comments, oldest of them first."""
    statement = (
        select(Comment, User.name)
        .join(User, User.id == Comment.user_id)
        .where(Comment.issue_id == issue_id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )
    rows = [CommentRow(c, name) for c, name in session.execute(statement).all()]
    return rows[::-1]


def comment_row(session: Session, comment: Comment) -> CommentRow:
    """A comment with its author's name."""
    name = session.scalar(select(User.name).where(User.id == comment.user_id))
    return CommentRow(comment, name or "")
