"""Issues, comments, votes and follows. Services never commit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicauth.issues.models import Comment, Follow, Issue, Vote


def user_counts(session: Session, user_id: int) -> dict[str, int]:
    """The activity counts of SeeClickFix's user shape, in one query."""

    def count(model: type, *where: object) -> object:
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    row = session.execute(
        select(
            count(Issue, Issue.reporter_id == user_id),
            count(Issue, Issue.reporter_id == user_id, Issue.status == "closed"),
            count(Comment, Comment.user_id == user_id),
            count(Follow, Follow.user_id == user_id),
            count(Vote, Vote.user_id == user_id),
        )
    ).one()
    keys = (
        "reported_issue_count",
        "closed_issue_count",
        "comments_count",
        "following_issue_count",
        "voted_issue_count",
    )
    return dict(zip(keys, (int(v) for v in row), strict=True))
