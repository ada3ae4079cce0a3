"""The query parameters of issue lists, read into an ``IssueQuery``.

Litestar checks each parameter's type and range (a bad one is a 422 naming
it); the rules that tie parameters together are checked here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from litestar.di import Provide
from litestar.params import Parameter

from civicauth.api.v2.inputs import NUL_ERROR, holds_nul
from civicauth.errors import ValidationFailed
from civicauth.issues.geo import BoundingBox, Circle, Point
from civicauth.issues.listing import IssueQuery
from civicauth.issues.models import DEFAULT_STATUSES, STATUSES
from civicauth.issues.search import MAX_TERM_LENGTH, MAX_TERMS, search_terms

DEFAULT_RADIUS_M = 1000.0
MAX_RADIUS_M = 100_000.0

Sort = Literal["created_at", "updated_at", "rating", "distance"]
Direction = Literal["ASC", "DESC", "asc", "desc"]
Latitude = Annotated[float | None, Parameter(ge=-90, le=90)]
Longitude = Annotated[float | None, Parameter(ge=-180, le=180)]
Errors = dict[str, list[str]]


_DATE_TIME = {"format": "date-time"}
CreatedAfter = Annotated[
    str | None, Parameter(schema_extra=_DATE_TIME, description="Created at or after (ISO 8601).")
]
CreatedBefore = Annotated[
    str | None, Parameter(schema_extra=_DATE_TIME, description="Created before (ISO 8601).")
]
UpdatedAfter = Annotated[
    str | None, Parameter(schema_extra=_DATE_TIME, description="Updated at or after (ISO 8601).")
]
UpdatedBefore = Annotated[
    str | None, Parameter(schema_extra=_DATE_TIME, description="Updated before (ISO 8601).")
]


def _utc(name: str, raw: str | None, errors: Errors) -> datetime | None:
    """An RFC 3339 time in UTC; one without an offset is taken as UTC.

    Parsed here rather than by Litestar, whose lenient conversion would take
    a bare number for a Unix time."""
    if raw is None:
        return None
    try:
        moment = msgspec.convert(raw, datetime)
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except msgspec.ValidationError:
        errors[name] = ["must be an ISO 8601 time such as 2024-05-01T12:00:00Z"]
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00
        errors[name] = ["is out of range"]
    return None


def _statuses(raw: str | None, errors: Errors) -> tuple[str, ...]:
    names = [name.strip().lower() for name in (raw or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in STATUSES]
    if unknown:
        errors["status"] = [f"is not one of {', '.join(STATUSES)}: {', '.join(unknown)}"]
    return tuple(dict.fromkeys(names)) or DEFAULT_STATUSES


def _box(values: dict[str, float | None], errors: Errors) -> BoundingBox | None:
    given = {name: value for name, value in values.items() if value is not None}
    if not given:
        return None
    if len(given) < len(values):
        for name in values.keys() - given.keys():
            errors[name] = ["is required with the other bounding box parameters"]
        return None
    box = BoundingBox(**given)
    if box.min_lat > box.max_lat:
        errors["min_lat"] = ["must not be greater than max_lat"]
    if box.min_lng > box.max_lng:
        errors["min_lng"] = ["must not be greater than max_lng"]
    return box


def _point(lat: float | None, lng: float | None, errors: Errors) -> Point | None:
    if lat is None and lng is None:
        return None
    if lat is None or lng is None:
        errors["lng" if lng is None else "lat"] = ["is required with lat and lng"]
        return None
    return Point(lat, lng)


def _terms(search: str | None, errors: Errors) -> tuple[str, ...]:
    terms = search_terms(search or "")
    if holds_nul(search):
        errors["search"] = [NUL_ERROR]
    elif len(terms) > MAX_TERMS:
        errors["search"] = [f"has too many terms (maximum is {MAX_TERMS})"]
    elif any(len(term) > MAX_TERM_LENGTH for term in terms):
        errors["search"] = [f"has a term longer than {MAX_TERM_LENGTH} characters"]
    return terms


def _origin(
    sort: str, point: Point | None, box: BoundingBox | None, errors: Errors
) -> Point | None:
    origin = point or (box.center() if box else None)
    if sort == "distance" and origin is None:
        errors["sort"] = ["distance needs lat and lng (or a bounding box)"]
    return origin


def listing_params(
    status: Annotated[
        str | None,
        Parameter(description="Comma list of open, acknowledged, closed, archived."),
    ] = None,
    sort: Annotated[Sort, Parameter(description="The order of the list.")] = "created_at",
    sort_direction: Annotated[
        Direction | None,
        Parameter(description="DESC by default; ASC by default when sorting by distance."),
    ] = None,
    after: CreatedAfter = None,
    before: CreatedBefore = None,
    updated_at_after: UpdatedAfter = None,
    updated_at_before: UpdatedBefore = None,
    search: Annotated[
        str | None,
        Parameter(max_length=1000, description="Words that summary or description contain."),
    ] = None,
    min_lat: Latitude = None,
    min_lng: Longitude = None,
    max_lat: Latitude = None,
    max_lng: Longitude = None,
    lat: Latitude = None,
    lng: Longitude = None,
    radius: Annotated[
        float | None,
        Parameter(
            gt=0,
            le=MAX_RADIUS_M,
            description=f"Metres around lat,lng (default {DEFAULT_RADIUS_M:g}) "
            "when no bounding box is given.",
        ),
    ] = None,
) -> IssueQuery:
    errors: Errors = {}
    box = _box(
        {"min_lat": min_lat, "min_lng": min_lng, "max_lat": max_lat, "max_lng": max_lng}, errors
    )
    point = _point(lat, lng, errors)
    query = IssueQuery(
        statuses=_statuses(status, errors),
        sort=sort,
        descending=(sort_direction or ("ASC" if sort == "distance" else "DESC")).upper() == "DESC",
        area=box,
        # A bounding box is the area; a point alone is the centre of one.
        near=Circle(point, radius or DEFAULT_RADIUS_M) if point and not box else None,
        origin=_origin(sort, point, box, errors),
        terms=_terms(search, errors),
        created_after=_utc("after", after, errors),
        created_before=_utc("before", before, errors),
        updated_after=_utc("updated_at_after", updated_at_after, errors),
        updated_before=_utc("updated_at_before", updated_at_before, errors),
    )
    if errors:
        raise ValidationFailed(errors)
    return query


LISTING = Provide(listing_params, sync_to_thread=False)
