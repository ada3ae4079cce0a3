"""Bounding boxes are read band by band (``issues.lat_band``): a box finds
exactly the issues inside it, its edges included, wherever the edges fall
against the bands, on either side of the equator and for boxes taller than
the listed bands; ``entries`` and ``pages`` count them exactly."""

from __future__ import annotations

import math

import httpx
import pytest

from civicauth.issues.listing import MAX_LISTED_BANDS
from civicauth.issues.models import lat_band
from tests.functional.issues_support import add_issue, add_reporter

# Latitudes on, just inside and just outside band boundaries (0.001 degree),
# north and south of the equator; one longitude each, so a box picks them by
# latitude alone.
LATITUDES = (
    -0.0021, -0.002, -0.0019999, -0.0010001, -0.001, -0.0005, 0.0, 0.0004999,
    0.001, 0.0019999, 0.002, 0.0030001, 41.3079999, 41.308, 41.3080001, 41.309,
)  # fmt: skip
LNG = 12.5


@pytest.fixture(scope="module")
def placed(ctx) -> dict[float, int]:
    reporter = add_reporter(ctx, "Band Reporter", "bands@example.com")
    return {lat: add_issue(ctx, reporter, lat=lat, lng=LNG) for lat in LATITUDES}


def box(server, min_lat: float, max_lat: float, **params) -> dict:
    query = {"min_lat": min_lat, "max_lat": max_lat, "min_lng": LNG - 0.01, "max_lng": LNG + 0.01}
    response = httpx.get(f"{server.url}/api/v2/issues", params={**query, **params})
    assert response.status_code == 200, response.text
    return response.json()


def ids_in(server, min_lat: float, max_lat: float) -> set[int]:
    body = box(server, min_lat, max_lat, per_page=100)
    assert body["metadata"]["pagination"]["entries"] == len(body["issues"])
    return {issue["id"] for issue in body["issues"]}


EDGES = [
    (-0.002, 0.002),  # edges on band boundaries, across the equator
    (-0.0019999, -0.0010001),  # edges just inside bands, south
    (-0.0010001, 0.0004999),  # edges on issues, one band apart
    (0.0004999, 0.0004999),  # a box of one latitude
    (0.001, 0.0030001),
    (41.308, 41.308),
    (41.3079999, 41.3080001),
    (41.30800005, 41.309),
    (-0.0021, 41.309),  # taller than the listed bands: read as one range
]


@pytest.mark.parametrize(("low", "high"), EDGES)
def test_a_box_finds_exactly_the_issues_inside_it_edges_included(server, placed, low, high):
    expected = {issue for lat, issue in placed.items() if low <= lat <= high}
    assert ids_in(server, low, high) == expected


def test_the_tallest_edge_box_is_beyond_the_listed_bands():
    low, high = EDGES[-1]
    assert lat_band(high) - lat_band(low) >= MAX_LISTED_BANDS


def test_bands_are_the_floor_of_the_latitude_in_thousandths(ctx, placed):
    from sqlalchemy import select

    from civicauth.issues.models import Issue

    with ctx.db.read() as session:
        rows = session.execute(select(Issue.lat, Issue.lat_band)).all()
    assert all(band == math.floor(lat * 1000) for lat, band in rows)


def test_entries_and_pages_count_every_issue_in_the_box(server, placed):
    body = box(server, -0.0021, 0.0030001, per_page=5)
    pagination = body["metadata"]["pagination"]
    inside = sum(1 for lat in placed if -0.0021 <= lat <= 0.0030001)
    assert (pagination["entries"], pagination["pages"]) == (inside, math.ceil(inside / 5))
    seen = []
    for page in range(1, pagination["pages"] + 1):
        seen += [
            issue["id"]
            for issue in box(server, -0.0021, 0.0030001, per_page=5, page=page)["issues"]
        ]
    assert len(seen) == len(set(seen)) == inside
