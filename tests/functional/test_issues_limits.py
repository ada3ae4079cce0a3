"""Bounds on what one request returns and one user creates: ``details=true``
shows the most recent comments only, and reports and comments per user are
rate-limited (429 with Retry-After)."""

from __future__ import annotations

import httpx
import pytest

from civicauth.issues.services import add_comment
from tests.functional.issues_support import add_issue

SETTINGS = {"CIVICAUTH_ISSUE_CREATE_LIMIT": "3/hour", "CIVICAUTH_COMMENT_CREATE_LIMIT": "4/hour"}
REPORT = {"lat": 41.3083, "lng": -72.9279, "address": "1 Church St", "summary": "Pothole"}


@pytest.fixture
def resident(make_user):
    user_id, email, password = make_user()
    return user_id, (email, password)


@pytest.fixture
def issue_url(server, ctx, make_user):
    reporter_id, _, _ = make_user()
    return f"{server.url}/api/v2/issues/{add_issue(ctx, reporter_id)}"


def report(server, auth, **body):
    return httpx.post(server.url + "/api/v2/issues", json={**REPORT, **body}, auth=auth)


def reported_by(server, auth) -> int:
    mine = httpx.get(server.url + "/api/v2/profile/issues", auth=auth).json()
    return mine["metadata"]["pagination"]["entries"]


def assert_limited(response: httpx.Response, what: str) -> None:
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["error"] == "too_many_requests"
    assert what in body["error_description"]


# -- details=true ----------------------------------------------------------------


def test_details_show_the_most_recent_100_comments_and_where_the_rest_are(
    server, ctx, issue_url, make_user
):
    commenter, _, _ = make_user()
    issue_id = int(issue_url.rsplit("/", 1)[1])
    with ctx.db.transaction() as session:
        for n in range(105):
            add_comment(session, issue_id, commenter, f"comment {n}")
    issue = httpx.get(issue_url, params={"details": "true"}).json()
    assert [c["comment"] for c in issue["comments"]] == [f"comment {n}" for n in range(5, 105)]
    assert issue["comment_count"] == 105
    everything = httpx.get(issue["comment_url"], params={"per_page": 100}).json()
    assert everything["metadata"]["pagination"]["entries"] == 105
    assert everything["comments"][0]["comment"] == "comment 0"


def test_narrowed_details_still_say_how_many_and_where(server, issue_url, resident):
    _, auth = resident
    httpx.post(issue_url + "/comments", json={"comment": "Me too"}, auth=auth)
    issue = httpx.get(issue_url, params={"details": "true", "fields[issue]": "summary"}).json()
    assert set(issue) == {"id", "summary", "comments", "comment_count", "comment_url"}
    assert [c["comment"] for c in issue["comments"]] == ["Me too"]


# -- creation limits -------------------------------------------------------------


def test_reports_per_user_are_limited(server, resident, make_user):
    _, auth = resident
    assert report(server, auth, lat=91).status_code == 422  # refused input costs nothing
    for _ in range(3):
        assert report(server, auth).status_code == 201
    assert_limited(report(server, auth), "issues")
    assert reported_by(server, auth) == 3
    _, other_email, other_password = make_user()
    assert report(server, (other_email, other_password)).status_code == 201


def test_comments_and_status_changes_per_user_are_limited(server, issue_url, resident):
    _, auth = resident
    mine = report(server, auth).json()["url"]
    assert httpx.post(mine + "/close", json={"comment": "Fixed"}, auth=auth).status_code == 201
    assert httpx.post(mine + "/open", json={"comment": "Back"}, auth=auth).status_code == 201
    for text in ("one", "two"):
        response = httpx.post(issue_url + "/comments", json={"comment": text}, auth=auth)
        assert response.status_code == 201
    assert_limited(httpx.post(issue_url + "/comments", json={"comment": "3"}, auth=auth), "comment")
    assert_limited(httpx.post(mine + "/close", json={"comment": "Again"}, auth=auth), "comment")
    assert httpx.get(issue_url).json()["comment_count"] == 2
    assert httpx.get(mine).json()["status"] == "Open"
