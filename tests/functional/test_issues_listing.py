"""GET /api/v2/issues over HTTP: pages, filters, sort orders, sparse fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.functional.issues_support import add_issue, add_reporter

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
# Five issues in downtown New Haven, one across town, one archived.
DOWNTOWN = [
    {"summary": "Pothole on Chapel", "lat": 41.3060, "lng": -72.9300, "vote_count": 3},
    {
        "summary": "Graffiti",
        "description": "Paint on the library wall",
        "lat": 41.3070,
        "lng": -72.9290,
    },
    {"summary": "Streetlight out", "lat": 41.3080, "lng": -72.9280, "vote_count": 7},
    {
        "summary": "Broken bench",
        "description": "100% broken_slats",
        "lat": 41.3090,
        "lng": -72.9270,
    },
    {"summary": "Pothole on Elm", "lat": 41.3100, "lng": -72.9260, "status": "closed"},
]
ACROSS_TOWN = {"summary": "Fallen tree", "lat": 41.3400, "lng": -72.8900}
ARCHIVED = {"summary": "Old pothole", "lat": 41.3085, "lng": -72.9285, "status": "archived"}


@pytest.fixture(scope="module")
def seeded(ctx):
    reporter = add_reporter(ctx, "Lister", "lister@example.com")
    ids = {}
    for n, values in enumerate([*DOWNTOWN, ACROSS_TOWN, ARCHIVED]):
        created = T0 + timedelta(days=n)
        ids[values["summary"]] = add_issue(
            ctx, reporter, created_at=created, updated_at=T0 + timedelta(days=20 - n), **values
        )
    return ids


def get(server, **params):
    return httpx.get(server.url + "/api/v2/issues", params=params)


def summaries(response):
    assert response.status_code == 200, response.text
    return [issue["summary"] for issue in response.json()["issues"]]


def test_default_list_is_newest_first_without_archived(server, seeded):
    assert summaries(get(server)) == [
        "Fallen tree",
        "Pothole on Elm",
        "Broken bench",
        "Streetlight out",
        "Graffiti",
        "Pothole on Chapel",
    ]


def test_collection_shape(server, seeded):
    body = get(server, per_page=2).json()
    assert body["errors"] == {}
    pagination = body["metadata"]["pagination"]
    assert pagination["entries"] == 6
    assert (pagination["page"], pagination["per_page"], pagination["pages"]) == (1, 2, 3)
    assert pagination["next_page"] == 2
    assert pagination["previous_page"] is None
    assert pagination["previous_page_url"] is None


def test_next_page_url_is_absolute_and_keeps_the_other_parameters(server, seeded):
    body = get(server, per_page=2, status="open,closed", sort="rating").json()
    url = body["metadata"]["pagination"]["next_page_url"]
    assert url.startswith(server.url + "/api/v2/issues?per_page=2&status=open%2Cclosed&sort=")
    assert parse_qs(urlsplit(url).query) == {
        "per_page": ["2"],
        "status": ["open,closed"],
        "sort": ["rating"],
        "page": ["2"],
    }
    second = httpx.get(url).json()
    assert second["metadata"]["pagination"]["page"] == 2
    assert second["metadata"]["pagination"]["previous_page"] == 1


def test_following_next_page_urls_visits_every_issue_once(server, seeded):
    seen, url = [], server.url + "/api/v2/issues?per_page=4"
    while url:
        body = httpx.get(url).json()
        seen += [issue["id"] for issue in body["issues"]]
        url = body["metadata"]["pagination"]["next_page_url"]
    assert len(seen) == len(set(seen)) == 6


def test_last_page(server, seeded):
    body = get(server, per_page=4, page=2).json()
    assert len(body["issues"]) == 2
    assert body["metadata"]["pagination"]["next_page"] is None
    assert body["metadata"]["pagination"]["next_page_url"] is None
    assert body["metadata"]["pagination"]["previous_page"] == 1


def test_page_past_the_end_is_empty_and_points_back_to_the_last(server, seeded):
    body = get(server, per_page=4, page=50).json()
    assert body["issues"] == []
    assert body["metadata"]["pagination"]["entries"] == 6
    assert body["metadata"]["pagination"]["next_page"] is None
    assert body["metadata"]["pagination"]["previous_page"] == 2


def test_per_page_above_100_is_capped(server, seeded):
    body = get(server, per_page=1000).json()
    assert body["metadata"]["pagination"]["per_page"] == 100


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("per_page", "0"),
        ("per_page", "-5"),
        ("per_page", "many"),
        ("page", "0"),
        ("page", "-1"),
        ("page", "two"),
        ("page", "1.5"),
    ],
)
def test_bad_page_parameters_are_422(server, name, value):
    response = get(server, **{name: value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [name]


def test_bounding_box(server, seeded):
    box = {"min_lat": 41.3065, "max_lat": 41.3095, "min_lng": -72.9295, "max_lng": -72.9265}
    assert summaries(get(server, **box)) == ["Broken bench", "Streetlight out", "Graffiti"]
    assert get(server, **box).json()["metadata"]["pagination"]["entries"] == 3


@pytest.mark.parametrize(
    ("box", "named"),
    [
        ({"min_lat": 41.31, "max_lat": 41.30, "min_lng": -72.93, "max_lng": -72.92}, "min_lat"),
        ({"min_lat": 41.30, "max_lat": 41.31, "min_lng": -72.92, "max_lng": -72.93}, "min_lng"),
    ],
)
def test_inverted_bounding_box_is_422(server, box, named):
    response = get(server, **box)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [named]


def test_incomplete_bounding_box_names_the_missing_corners(server):
    response = get(server, min_lat=41.30, max_lat=41.31)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"min_lng", "max_lng"}


@pytest.mark.parametrize(("name", "value"), [("min_lat", "-91"), ("max_lng", "181"), ("lat", "x")])
def test_coordinates_out_of_range_are_422(server, name, value):
    response = get(server, **{name: value})
    assert response.status_code == 422
    assert name in response.json()["errors"]


def test_point_and_radius(server, seeded):
    near = summaries(get(server, lat=41.3080, lng=-72.9280, radius=200))
    assert set(near) == {"Graffiti", "Streetlight out", "Broken bench"}
    assert summaries(get(server, lat=41.3400, lng=-72.8900)) == ["Fallen tree"]


def test_lat_without_lng_is_422(server):
    response = get(server, lat=41.3)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["lng"]


def test_status_filter(server, seeded):
    assert summaries(get(server, status="archived")) == ["Old pothole"]
    assert summaries(get(server, status="Closed")) == ["Pothole on Elm"]
    assert len(summaries(get(server, status="open,acknowledged,closed,archived"))) == 7


def test_unknown_status_is_422(server):
    response = get(server, status="open,fixed")
    assert response.status_code == 422
    assert "fixed" in response.json()["errors"]["status"][0]


def test_sort_by_rating_and_direction(server, seeded):
    assert summaries(get(server, sort="rating"))[:2] == ["Streetlight out", "Pothole on Chapel"]
    assert summaries(get(server, sort="created_at", sort_direction="ASC"))[0] == "Pothole on Chapel"


def test_sort_by_updated_at(server, seeded):
    # updated_at runs the other way from created_at in the seed.
    assert summaries(get(server, sort="updated_at"))[0] == "Pothole on Chapel"


def test_sort_by_distance_is_nearest_first(server, seeded):
    found = summaries(get(server, sort="distance", lat=41.3400, lng=-72.8900, radius=100_000))
    assert found[0] == "Fallen tree"
    assert found[-1] == "Pothole on Chapel"


def test_sort_by_distance_needs_a_point(server):
    response = get(server, sort="distance")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["sort"]


@pytest.mark.parametrize(("name", "value"), [("sort", "votes"), ("sort_direction", "UP")])
def test_unknown_sort_is_422(server, name, value):
    response = get(server, **{name: value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [name]


def test_created_window_after_inclusive_before_exclusive(server, seeded):
    window = {"after": "2024-05-02T12:00:00Z", "before": "2024-05-04T12:00:00Z"}
    assert summaries(get(server, **window)) == ["Streetlight out", "Graffiti"]


def test_updated_window(server, seeded):
    found = summaries(get(server, updated_at_after="2024-05-20T00:00:00+00:00"))
    assert found == ["Graffiti", "Pothole on Chapel"]
    found = summaries(get(server, updated_at_before="2024-05-17T12:00:00Z"))
    assert found == ["Fallen tree"]


def test_a_time_without_offset_is_utc(server, seeded):
    assert summaries(get(server, after="2024-05-06T12:00:00")) == ["Fallen tree"]


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z"])
def test_bad_times_are_422(server, value):
    response = get(server, after=value)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["after"]


def test_search_summary_and_description_case_insensitively(server, seeded):
    assert set(summaries(get(server, search="POTHOLE"))) == {"Pothole on Chapel", "Pothole on Elm"}
    assert summaries(get(server, search="library")) == ["Graffiti"]
    assert summaries(get(server, search="pothole elm")) == ["Pothole on Elm"]
    # Terms shorter than a trigram take the slower path, with the same result.
    assert summaries(get(server, search="li")) == ["Streetlight out", "Graffiti"]


def test_search_treats_wildcards_literally(server, seeded):
    assert summaries(get(server, search="100%")) == ["Broken bench"]
    assert summaries(get(server, search="n_s")) == ["Broken bench"]
    assert summaries(get(server, search="%")) == ["Broken bench"]
    assert summaries(get(server, search='"quoted"')) == []


def test_search_with_too_many_terms_is_422(server):
    response = get(server, search=" ".join(f"w{i}" for i in range(20)))
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["search"]


def test_sparse_fields_keep_the_id(server, seeded):
    body = get(server, **{"fields[issue]": "summary,status,nonexistent"}).json()
    for issue in body["issues"]:
        assert set(issue) == {"id", "summary", "status"}
    assert set(get(server, **{"fields[issue]": ""}).json()["issues"][0]) == {"id"}
