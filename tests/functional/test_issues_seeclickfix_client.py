"""A client written for SeeClickFix's API v2 works against civicauth when
given civicauth's base URL, and nothing else changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from tests.functional.issues_support import add_issue, add_reporter


class SeeClickFixClient:
    """Lists issues as SeeClickFix documents it: an area given as a bounding
    box, a status list, sparse fields, and pages followed through
    ``metadata.pagination.next_page_url``. Knows nothing of civicauth."""

    def __init__(self, base_url: str = "https://seeclickfix.com/api/v2", per_page: int = 20):
        self.base_url = base_url.rstrip("/")
        self.per_page = per_page
        self.http = httpx.Client(headers={"User-Agent": "pothole-map/1.0"}, timeout=10)

    def issues_in_area(
        self,
        box: tuple[float, float, float, float],
        statuses: tuple[str, ...] = ("open", "acknowledged"),
        fields: tuple[str, ...] = ("id", "summary", "status", "lat", "lng"),
    ) -> Iterator[dict[str, Any]]:
        min_lat, min_lng, max_lat, max_lng = box
        url: str | None = f"{self.base_url}/issues"
        params: dict[str, Any] | None = {
            "min_lat": min_lat,
            "min_lng": min_lng,
            "max_lat": max_lat,
            "max_lng": max_lng,
            "status": ",".join(statuses),
            "fields[issue]": ",".join(fields),
            "per_page": self.per_page,
        }
        while url:
            response = self.http.get(url, params=params)
            response.raise_for_status()
            body = response.json()
            yield from body["issues"]
            url = body["metadata"]["pagination"]["next_page_url"]
            params = None  # the next page's URL carries every parameter

    def close(self) -> None:
        self.http.close()


WESTVILLE = (41.3290, -72.9750, 41.3420, -72.9550)


@pytest.fixture(scope="module")
def neighborhood(ctx):
    reporter = add_reporter(ctx, "Reporter", "r@example.com")
    inside = {}
    for n in range(7):
        status = ("open", "acknowledged", "closed")[n % 3]
        issue_id = add_issue(
            ctx,
            reporter,
            summary=f"Westville {n}",
            status=status,
            lat=41.3300 + n * 0.001,
            lng=-72.9700 + n * 0.001,
        )
        inside[issue_id] = status
    add_issue(ctx, reporter, summary="Downtown", lat=41.3083, lng=-72.9279)
    return inside


def test_seeclickfix_client_pages_through_an_area_by_status(server, neighborhood):
    client = SeeClickFixClient(base_url=server.url + "/api/v2", per_page=2)
    try:
        found = list(client.issues_in_area(WESTVILLE))
    finally:
        client.close()
    wanted = {i for i, status in neighborhood.items() if status in ("open", "acknowledged")}
    assert {issue["id"] for issue in found} == wanted
    assert len(found) == len(wanted)  # no page repeated an issue
    for issue in found:
        assert set(issue) == {"id", "summary", "status", "lat", "lng"}
        assert issue["status"] in ("Open", "Acknowledged")
        assert WESTVILLE[0] <= issue["lat"] <= WESTVILLE[2]
        assert WESTVILLE[1] <= issue["lng"] <= WESTVILLE[3]


class Media(msgspec.Struct, forbid_unknown_fields=True):
    """SeeClickFix's media object: the picture fields may be null, the
    representative image is always a URL (a default one without a picture)."""

    video_url: str | None
    image_full: str | None
    image_square_100x100: str | None
    representative_image_url: str


class Point(msgspec.Struct):
    type: str
    coordinates: list[float]


class Reporter(msgspec.Struct):
    id: int
    name: str
    avatar: dict[str, str]


class StrictIssue(msgspec.Struct):
    """An issue as a strict SeeClickFix client models it: every field that
    SeeClickFix always fills is typed without None."""

    id: int
    status: str
    summary: str
    description: str | None
    rating: int
    lat: float
    lng: float
    address: str
    created_at: str
    acknowledged_at: str | None
    closed_at: str | None
    reopened_at: str | None
    updated_at: str
    url: str
    html_url: str
    comment_url: str
    media: Media
    point: Point
    reporter: Reporter


class Page(msgspec.Struct):
    issues: list[StrictIssue]


def test_a_strict_seeclickfix_model_decodes_every_issue(server, neighborhood):
    response = httpx.get(
        server.url + "/api/v2/issues", params={"status": "open,acknowledged,closed"}
    )
    page = msgspec.json.decode(response.content, type=Page)
    assert {issue.id for issue in page.issues} >= set(neighborhood)
    image = httpx.get(page.issues[0].media.representative_image_url)
    assert image.status_code == 200
    assert image.headers["content-type"].startswith("image/")
