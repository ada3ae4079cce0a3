"""Issues, comments, votes and follows. Services never commit.

Counters and status changes are single conditional UPDATEs, and votes and
follows are inserted with ON CONFLICT DO NOTHING, so two requests racing on
the same issue can neither double-count nor fail with a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Label,
    ScalarSelect,
    Select,
    bindparam,
    delete,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session

from civicauth.db import utcnow
from civicauth.errors import PermissionDenied, ValidationFailed
from civicauth.issues.models import Comment, Follow, Issue, Vote
from civicauth.issues.queries import IssueFields, find_issue
from civicauth.issues.validation import NewIssue


@dataclass(frozen=True, slots=True)
class Relationship:
    """How the current user stands to one issue (SeeClickFix's current_user_relationship)."""

    voted: bool = False
    following: bool = False
    reporter: bool = False


# The activity counts of SeeClickFix's user shape, in this order.
ACTIVITY_COUNTS = (
    "reported_issue_count",
    "closed_issue_count",
    "comments_count",
    "following_issue_count",
    "voted_issue_count",
)


def activity_counts(
    user_id: ColumnElement[int] | QueryableAttribute[int] | int,
) -> list[Label[int]]:
    """The activity counts of one user as scalar subqueries labelled as in
    ``ACTIVITY_COUNTS``. ``user_id`` may be a column (``User.id``), so that
    another query reads the counts in its own statement (auth/resolver.py)."""

    def count(model: type, *where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    return [
        count(Issue, Issue.reporter_id == user_id).label(ACTIVITY_COUNTS[0]),
        count(Issue, Issue.reporter_id == user_id, Issue.status == "closed").label(
            ACTIVITY_COUNTS[1]
        ),
        count(Comment, Comment.user_id == user_id).label(ACTIVITY_COUNTS[2]),
        count(Follow, Follow.user_id == user_id).label(ACTIVITY_COUNTS[3]),
        count(Vote, Vote.user_id == user_id).label(ACTIVITY_COUNTS[4]),
    ]


def report_issue(session: Session, reporter_id: int, new: NewIssue) -> Issue:
    """Store a new open issue reported by ``reporter_id``."""
    now = utcnow()
    issue = Issue(
        summary=new.summary,
        description=new.description,
        lat=new.lat,
        lng=new.lng,
        address=new.address,
        reporter_id=reporter_id,
        status="open",
        created_at=now,
        updated_at=now,
        vote_count=0,
        comment_count=0,
    )
    session.add(issue)
    session.flush()
    return issue


def _insert_once(session: Session, model: type[Vote] | type[Follow], **values: Any) -> bool:
    """Insert a (issue, user) row unless one exists; True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model)
        .values(created_at=utcnow(), **values)
        .on_conflict_do_nothing(index_elements=["issue_id", "user_id"])
        .returning(model.id)
    )
    # RETURNING, not rowcount: through the ORM, psycopg reports -1 here.
    return bool(session.execute(statement).all())


def _count_votes(session: Session, issue_id: int, change: int) -> None:
    session.execute(
        update(Issue).where(Issue.id == issue_id).values(vote_count=Issue.vote_count + change),
        execution_options={"synchronize_session": False},
    )


def add_vote(session: Session, issue_id: int, user_id: int) -> None:
    """Vote for an issue; a second vote by the same user is ignored. Raises NotFound."""
    find_issue(session, issue_id)
    if _insert_once(session, Vote, issue_id=issue_id, user_id=user_id):
        _count_votes(session, issue_id, +1)


def remove_vote(session: Session, issue_id: int, user_id: int) -> None:
    """Take back a vote; raises NotFound, or ValidationFailed if there was none."""
    find_issue(session, issue_id)
    result = session.execute(delete(Vote).where(Vote.issue_id == issue_id, Vote.user_id == user_id))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ValidationFailed({"base": ["You have not voted on this issue."]})
    _count_votes(session, issue_id, -1)


def follow(session: Session, issue_id: int, user_id: int) -> None:
    """Follow an issue; raises NotFound, or ValidationFailed when already following."""
    find_issue(session, issue_id)
    if not _insert_once(session, Follow, issue_id=issue_id, user_id=user_id):
        raise ValidationFailed({"base": ["You are already following this issue."]})


def unfollow(session: Session, issue_id: int, user_id: int) -> None:
    """Stop following; raises NotFound, or ValidationFailed when not following."""
    find_issue(session, issue_id)
    statement = delete(Follow).where(Follow.issue_id == issue_id, Follow.user_id == user_id)
    if not session.execute(statement).rowcount:  # type: ignore[attr-defined]
        raise ValidationFailed({"base": ["You are not following this issue."]})


def add_comment(session: Session, issue_id: int, user_id: int, text: str) -> Comment:
    """Comment on an issue (it counts as an update of the issue); raises NotFound."""
    find_issue(session, issue_id)
    now = utcnow()
    comment = Comment(
        issue_id=issue_id, user_id=user_id, comment=text, created_at=now, updated_at=now
    )
    session.add(comment)
    session.execute(
        update(Issue)
        .where(Issue.id == issue_id)
        .values(comment_count=Issue.comment_count + 1, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    return comment


# Which statuses each change may start from, and the timestamp it sets.
_CHANGES = {
    "closed": (("open", "acknowledged"), "closed_at"),
    "open": (("closed",), "reopened_at"),
}


def change_status(session: Session, issue_id: int, user_id: int, status: str, text: str) -> Comment:
    """Close or reopen an issue, with the comment that says why.

    Only the reporter may; raises NotFound, PermissionDenied, or
    ValidationFailed when the issue is not in a status this change starts from.
    """
    issue = find_issue(session, issue_id).issue
    if issue.reporter_id != user_id:
        raise PermissionDenied("Only the reporter can change the status of this issue.")
    allowed, stamp = _CHANGES[status]
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now, stamp: now}
    if status == "open":
        values["closed_at"] = None
    result = session.execute(
        update(Issue).where(Issue.id == issue_id, Issue.status.in_(allowed)).values(**values),
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ValidationFailed({"status": [f"can't change from {issue.status} to {status}"]})
    return add_comment(session, issue_id, user_id, text)


def _marked(table: type[Vote] | type[Follow], kind: str) -> Select[int, str]:
    return select(table.issue_id, literal(kind)).where(
        table.user_id == bindparam("user_id"), table.issue_id.in_(bindparam("ids", expanding=True))
    )


# Built once; the user's votes and follows among the issues, in one round trip.
_RELATIONSHIPS = union_all(_marked(Vote, "vote"), _marked(Follow, "follow"))


def relationships(
    session: Session, user_id: int, issues: Sequence[IssueFields]
) -> dict[int, Relationship]:
    """How ``user_id`` stands to each of these issues, in one query."""
    ids = [issue.id for issue in issues]
    if not ids:
        return {}
    found = session.execute(_RELATIONSHIPS, {"user_id": user_id, "ids": ids}).all()
    voted = {issue_id for issue_id, kind in found if kind == "vote"}
    following = {issue_id for issue_id, kind in found if kind == "follow"}
    return {
        issue.id: Relationship(
            issue.id in voted, issue.id in following, issue.reporter_id == user_id
        )
        for issue in issues
    }
