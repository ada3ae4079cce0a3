"""CSRF on the API: browsers send cached Basic credentials with cross-site
posts, so writes a browser marks as cross-site (Fetch Metadata) are refused,
and JSON is read only from a body that says it is JSON."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.functional.issues_support import add_issue

REPORT = {"lat": 41.3083, "lng": -72.9279, "address": "1 Church St", "summary": "Pothole"}
# What Chromium sends with a form that another site's page submits to us.
CROSS_SITE_FORM = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}


@pytest.fixture
def resident(make_user):
    user_id, email, password = make_user(name="Pat Browser")
    return user_id, (email, password)


@pytest.fixture
def issue_url(server, ctx, make_user):
    reporter_id, _, _ = make_user()
    return f"{server.url}/api/v2/issues/{add_issue(ctx, reporter_id)}"


def issue_count(server) -> int:
    listing = httpx.get(server.url + "/api/v2/issues", params={"status": "open,closed"})
    return listing.json()["metadata"]["pagination"]["entries"]


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "cross_site_request"


@pytest.mark.parametrize(
    "fetch",
    [
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"},
    ],
    ids=[
        "cross-navigate",
        "cross-no-cors",
        "cross-cors",
        "same-site-navigate",
        "same-site-no-cors",
    ],
)
def test_a_cross_site_report_is_refused_and_stores_nothing(server, resident, fetch):
    _, auth = resident
    before = issue_count(server)
    response = httpx.post(server.url + "/api/v2/issues", data=REPORT, auth=auth, headers=fetch)
    assert_refused(response)
    assert issue_count(server) == before


def test_every_kind_of_write_is_refused_cross_site(server, issue_url, resident):
    _, auth = resident
    writes = [
        httpx.post(
            issue_url + "/comments", data={"comment": "x"}, auth=auth, headers=CROSS_SITE_FORM
        ),
        httpx.post(issue_url + "/vote", auth=auth, headers=CROSS_SITE_FORM),
        httpx.delete(issue_url + "/vote", auth=auth, headers=CROSS_SITE_FORM),
        httpx.post(issue_url + "/follow", auth=auth, headers=CROSS_SITE_FORM),
        httpx.post(issue_url + "/close", data={"comment": "x"}, auth=auth, headers=CROSS_SITE_FORM),
        httpx.put(
            issue_url.split("/issues/")[0] + "/profile",
            data={"name": "Pwned"},
            auth=auth,
            headers=CROSS_SITE_FORM,
        ),
    ]
    for response in writes:
        assert_refused(response)
    issue = httpx.get(issue_url, auth=auth).json()
    assert (issue["status"], issue["comment_count"], issue["vote_count"]) == ("Open", 0, 0)
    assert issue["current_user_relationship"]["following"] is False
    assert httpx.get(server.url + "/api/v2/profile", auth=auth).json()["name"] == "Pat Browser"


@pytest.mark.parametrize(
    "fetch",
    [
        {},  # not a browser
        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"},
    ],
    ids=["no-fetch-metadata", "same-origin", "same-site-cors", "user-initiated"],
)
def test_other_writes_go_through(server, resident, fetch):
    _, auth = resident
    response = httpx.post(server.url + "/api/v2/issues", json=REPORT, auth=auth, headers=fetch)
    assert response.status_code == 201, response.text


def test_cross_site_reads_still_work(server, issue_url):
    assert httpx.get(issue_url, headers=CROSS_SITE_FORM).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", None])
def test_json_in_a_body_not_marked_json_is_refused_with_415(server, resident, content_type):
    """An HTML form can post ``enctype=text/plain`` that happens to be JSON."""
    _, auth = resident
    before = issue_count(server)
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(
        server.url + "/api/v2/issues", content=json.dumps(REPORT), auth=auth, headers=headers
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert issue_count(server) == before


def test_a_comment_in_text_plain_is_refused_too(server, issue_url, resident):
    _, auth = resident
    response = httpx.post(
        issue_url + "/comments",
        content=b'{"comment": "sneaky"}',
        auth=auth,
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert httpx.get(issue_url).json()["comment_count"] == 0


def test_json_marked_json_is_read(server, resident):
    _, auth = resident
    response = httpx.post(
        server.url + "/api/v2/issues",
        content=json.dumps(REPORT),
        auth=auth,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201
