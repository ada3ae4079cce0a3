"""Finding issues: filters, sort orders and pages, for lists and single reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from civicauth.accounts.models import User
from civicauth.errors import NotFound
from civicauth.issues import search
from civicauth.issues.geo import BoundingBox, Circle, Point, lng_scale
from civicauth.issues.models import DEFAULT_STATUSES, Comment, Issue, lat_band

# Ids beyond this are in no table (PostgreSQL's INTEGER); a lookup would only
# overflow the driver.
MAX_ID = 2**31 - 1
SORTS = ("created_at", "updated_at", "rating", "distance")
# A box taller than this many latitude bands (about 22 km) is read as one
# range of bands: its IN list would grow long, and a box that large holds
# most of what it reads anyway.
MAX_LISTED_BANDS = 200

# An issue's columns read as a plain row, named as on ``Issue`` (``row.status``):
# a response is built from it and thrown away, so the ORM's identity map and
# change tracking would add nothing but their cost (and a stale copy after an
# UPDATE in the same session).
IssueFields = Row[*tuple[Any, ...]]


# Lists and reads are built on the Core table, not the mapped class: the
# statements are plain SELECTs, executed without the ORM's compile step, and
# their rows are tuples.
_ISSUES = Issue.__table__.c
_SHOWN = [column for column in _ISSUES if column.name != "lat_band"]  # a key of lists only
_WITH_REPORTER = select(*_SHOWN, User.__table__.c.name.label("reporter_name")).join(
    User.__table__, User.__table__.c.id == _ISSUES.reporter_id
)
# Built once: only the ids change from one read to the next.
_BY_IDS = _WITH_REPORTER.where(_ISSUES.id.in_(bindparam("ids", expanding=True)))


class IssueRow(NamedTuple):
    issue: IssueFields
    reporter_name: str


class CommentRow(NamedTuple):
    comment: Comment
    commenter_name: str


@dataclass(frozen=True, slots=True)
class IssueQuery:
    """What a list asks for; every field narrows or orders the result."""

    statuses: tuple[str, ...] = DEFAULT_STATUSES
    sort: str = "created_at"
    descending: bool = True
    area: BoundingBox | None = None
    near: Circle | None = None
    origin: Point | None = None  # where ``sort="distance"`` measures from
    terms: tuple[str, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    reporter_id: int | None = None


def squared_distance(origin: Point) -> ColumnElement[float]:
    """Equirectangular distance from ``origin``, squared, in degrees of latitude."""
    dlat = _ISSUES.lat - origin.lat
    dlng = (_ISSUES.lng - origin.lng) * lng_scale(origin)
    return dlat * dlat + dlng * dlng


def _lat_bands(box: BoundingBox) -> ColumnElement[bool]:
    """The latitude bands (``issues.lat_band``) the box has issues in."""
    low, high = lat_band(box.min_lat), lat_band(box.max_lat)
    if high - low >= MAX_LISTED_BANDS:
        return _ISSUES.lat_band.between(low, high)
    # Listed, the index is read as one range of longitudes in each band.
    return _ISSUES.lat_band.in_(range(low, high + 1))


def _in_box(box: BoundingBox) -> list[ColumnElement[bool]]:
    return [
        _lat_bands(box),
        _ISSUES.lat.between(box.min_lat, box.max_lat),
        _ISSUES.lng.between(box.min_lng, box.max_lng),
    ]


def _time_window(q: IssueQuery) -> list[ColumnElement[bool]]:
    # SeeClickFix: ``after`` is inclusive, ``before`` exclusive.
    bounds = [
        (_ISSUES.created_at, q.created_after, q.created_before),
        (_ISSUES.updated_at, q.updated_after, q.updated_before),
    ]
    where: list[ColumnElement[bool]] = []
    for col, after, before in bounds:
        where += [col >= after] if after is not None else []
        where += [col < before] if before is not None else []
    return where


def _conditions(dialect: str, q: IssueQuery) -> list[ColumnElement[bool]]:
    where = [_ISSUES.status.in_(q.statuses), *_time_window(q)]
    if q.area is not None:
        where += _in_box(q.area)
    elif q.near is not None:
        where += _in_box(q.near.bounds())
        where.append(squared_distance(q.near.center) <= q.near.squared_degrees())
    if q.terms:
        where.append(search.matching(dialect, q.terms))
    if q.reporter_id is not None:
        where.append(_ISSUES.reporter_id == q.reporter_id)
    return where


def _ordered(statement: Select[Any], q: IssueQuery) -> Select[Any]:
    keys = {
        "created_at": _ISSUES.created_at,
        "updated_at": _ISSUES.updated_at,
        "rating": _ISSUES.vote_count,
    }
    if q.sort == "distance":
        assert q.origin is not None
        key: Any = squared_distance(q.origin)
    else:
        key = keys[q.sort]
    # The id breaks ties, so pages neither repeat nor skip an issue.
    if q.descending:
        return statement.order_by(key.desc(), _ISSUES.id.desc())
    return statement.order_by(key.asc(), _ISSUES.id.asc())


def _count(where: list[ColumnElement[bool]]) -> Select[Any]:
    return select(func.count()).select_from(Issue.__table__).where(*where)


def _page_of_ids(
    q: IssueQuery, where: list[ColumnElement[bool]], offset: int, limit: int
) -> Select[Any]:
    # A statement of its own, not a subquery of the rows' read: SQLite plans
    # a subquery without its LIMIT, and would then read every matching row of
    # a text search to sort them instead of walking the sort key's index.
    return _ordered(select(_ISSUES.id).where(*where), q).offset(offset).limit(limit)


def issues_by_id(session: Session, ids: Sequence[int]) -> list[IssueRow]:
    """The issues with these ids, with their reporters' names, in the order given."""
    if not ids:
        return []
    rows = session.execute(_BY_IDS, {"ids": list(ids)}).all()
    found = {row.id: IssueRow(row, row.reporter_name) for row in rows}
    return [found[i] for i in ids if i in found]


def list_issues(
    session: Session, q: IssueQuery, offset: int, limit: int
) -> tuple[int, list[IssueRow]]:
    """The number of matching issues and the page of them at ``offset``."""
    where = _conditions(session.get_bind().dialect.name, q)
    total = int(session.scalar(_count(where)) or 0)
    if offset >= total:  # past the end; also keeps a huge offset from the driver
        return total, []
    ids = list(session.scalars(_page_of_ids(q, where, offset, limit)))
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
