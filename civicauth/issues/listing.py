"""The statements of issue lists, built once per shape.

What a list's statements look like depends only on which filters it has and
how it sorts (its ``Shape``), never on their values: the box, its latitude
bands, the statuses and the search terms are bind parameters (the lists of
them expanded at execution). So each shape is built once, SQLAlchemy compiles
it once, and a request only fills in the values (``parameters``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, select

from civicauth.issues import search
from civicauth.issues.geo import BoundingBox, Circle, Point, lng_scale
from civicauth.issues.models import DEFAULT_STATUSES, Issue, lat_band
from civicauth.issues.search import TermShape

# A box taller than this many latitude bands (about 22 km) is read as one
# range of bands: its IN list would grow long, and a box that large holds
# most of what it reads anyway.
MAX_LISTED_BANDS = 200

_ISSUES = Issue.__table__.c


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

    def time_bounds(self) -> tuple[datetime | None, ...]:
        """In the order of ``_TIME_BOUNDS``."""
        return (self.created_after, self.created_before, self.updated_after, self.updated_before)


class Shape(NamedTuple):
    """Which filters a list has and how it sorts: one pair of statements each."""

    dialect: str
    sort: str
    descending: bool
    area: Literal["", "box", "near"]
    band_range: bool  # the box's bands read as one range rather than listed
    time_bounds: tuple[bool, ...]  # which of ``_TIME_BOUNDS`` are given
    terms: TermShape
    reporter: bool


class Statements(NamedTuple):
    total: Select[int]  # how many issues match
    page: Select[int]  # the page's ids, at ``:offset``, at most ``:limit``


# SeeClickFix: ``after`` is inclusive, ``before`` exclusive.
_TIME_BOUNDS = (
    (_ISSUES.created_at, "created_after", True),
    (_ISSUES.created_at, "created_before", False),
    (_ISSUES.updated_at, "updated_after", True),
    (_ISSUES.updated_at, "updated_before", False),
)
_SORT_KEYS: dict[str, Any] = {
    "created_at": _ISSUES.created_at,
    "updated_at": _ISSUES.updated_at,
    "rating": _ISSUES.vote_count,
}


def _box(q: IssueQuery) -> BoundingBox | None:
    return q.area if q.area is not None else q.near.bounds() if q.near is not None else None


def _band_range(box: BoundingBox) -> bool:
    return lat_band(box.max_lat) - lat_band(box.min_lat) >= MAX_LISTED_BANDS


def shape(dialect: str, q: IssueQuery) -> Shape:
    box = _box(q)
    return Shape(
        dialect=dialect,
        sort=q.sort,
        descending=q.descending,
        area="box" if q.area is not None else "near" if q.near is not None else "",
        band_range=box is not None and _band_range(box),
        time_bounds=tuple(bound is not None for bound in q.time_bounds()),
        terms=search.term_shape(dialect, q.terms),
        reporter=q.reporter_id is not None,
    )


def _point(name: str, point: Point) -> dict[str, float]:
    return {f"{name}_lat": point.lat, f"{name}_lng": point.lng, f"{name}_scale": lng_scale(point)}


def _box_parameters(box: BoundingBox) -> dict[str, Any]:
    low, high = lat_band(box.min_lat), lat_band(box.max_lat)
    # Listed, the index is read as one range of longitudes in each band.
    bands = (
        {"band_low": low, "band_high": high}
        if _band_range(box)
        else {"bands": [*range(low, high + 1)]}
    )
    return {
        **bands,
        "min_lat": box.min_lat,
        "max_lat": box.max_lat,
        "min_lng": box.min_lng,
        "max_lng": box.max_lng,
    }


def parameters(dialect: str, q: IssueQuery) -> dict[str, Any]:
    """The values of ``statements(shape(dialect, q))``, but for offset and limit."""
    values: dict[str, Any] = {"statuses": list(q.statuses)}
    bounds = zip(_TIME_BOUNDS, q.time_bounds(), strict=True)
    values |= {name: bound for (_, name, _), bound in bounds if bound is not None}
    if (box := _box(q)) is not None:
        values |= _box_parameters(box)
    if q.near is not None:
        values |= _point("near", q.near.center) | {"near_radius": q.near.squared_degrees()}
    if q.sort == "distance":
        assert q.origin is not None
        values |= _point("origin", q.origin)
    if q.terms:
        values |= search.term_params(dialect, q.terms)
    if q.reporter_id is not None:
        values["reporter_id"] = q.reporter_id
    return values


def squared_distance(name: str) -> ColumnElement[float]:
    """Equirectangular distance from the point ``name`` of the parameters,
    squared, in degrees of latitude."""
    dlat = _ISSUES.lat - bindparam(f"{name}_lat")
    dlng = (_ISSUES.lng - bindparam(f"{name}_lng")) * bindparam(f"{name}_scale")
    return dlat * dlat + dlng * dlng


def _in_box(band_range: bool) -> list[ColumnElement[bool]]:
    if band_range:
        bands = _ISSUES.lat_band.between(bindparam("band_low"), bindparam("band_high"))
    else:
        bands = _ISSUES.lat_band.in_(bindparam("bands", expanding=True))
    return [
        bands,
        _ISSUES.lat.between(bindparam("min_lat"), bindparam("max_lat")),
        _ISSUES.lng.between(bindparam("min_lng"), bindparam("max_lng")),
    ]


def _conditions(s: Shape) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_ISSUES.status.in_(bindparam("statuses", expanding=True))]
    for (column, name, inclusive), given in zip(_TIME_BOUNDS, s.time_bounds, strict=True):
        if given:
            where.append(column >= bindparam(name) if inclusive else column < bindparam(name))
    if s.area:
        where += _in_box(s.band_range)
    if s.area == "near":
        where.append(squared_distance("near") <= bindparam("near_radius"))
    if s.terms != TermShape():
        where.append(search.matching(s.terms))
    if s.reporter:
        where.append(_ISSUES.reporter_id == bindparam("reporter_id"))
    return where


def _ordered(statement: Select[Any], s: Shape) -> Select[Any]:
    key = squared_distance("origin") if s.sort == "distance" else _SORT_KEYS[s.sort]
    # The id breaks ties, so pages neither repeat nor skip an issue.
    if s.descending:
        return statement.order_by(key.desc(), _ISSUES.id.desc())
    return statement.order_by(key.asc(), _ISSUES.id.asc())


@lru_cache(maxsize=512)
def statements(s: Shape) -> Statements:
    where = _conditions(s)
    # The page is a statement of its own, not a subquery of the rows' read:
    # SQLite plans a subquery without its LIMIT, and would then read every
    # matching row of a text search to sort them instead of walking the sort
    # key's index.
    page = _ordered(select(_ISSUES.id).where(*where), s)
    return Statements(
        total=select(func.count()).select_from(Issue.__table__).where(*where),
        page=page.offset(bindparam("offset", type_=Integer)).limit(
            bindparam("limit", type_=Integer)
        ),
    )
