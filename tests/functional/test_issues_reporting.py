"""Reporting, reading, closing and reopening issues over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.functional.issues_support import add_issue, bearer, oauth_token

REPORT = {"lat": 41.3083, "lng": -72.9279, "address": "1 Church St", "summary": "Pothole"}


@pytest.fixture
def resident(make_user):
    user_id, email, password = make_user(name="Jane Resident")
    return user_id, (email, password)


def report(server, auth, **body):
    return httpx.post(server.url + "/api/v2/issues", json={**REPORT, **body}, auth=auth)


def test_report_returns_201_the_issue_and_its_location(server, resident):
    user_id, auth = resident
    response = report(server, auth, description="Deep one, near the curb")
    assert response.status_code == 201
    issue = response.json()
    assert response.headers["Location"] == f"{server.url}/api/v2/issues/{issue['id']}"
    assert issue["status"] == "Open"
    assert (issue["summary"], issue["description"]) == ("Pothole", "Deep one, near the curb")
    assert (issue["lat"], issue["lng"], issue["address"]) == (41.3083, -72.9279, "1 Church St")
    assert issue["point"] == {"type": "Point", "coordinates": [-72.9279, 41.3083]}
    assert issue["reporter"]["id"] == user_id
    assert issue["reporter"]["name"] == "Jane Resident"
    assert issue["media"] == {
        "image_full": None,
        "image_square_100x100": None,
        "representative_image_url": f"{server.url}/static/no-issue-image.png",
        "video_url": None,
    }
    image = httpx.get(issue["media"]["representative_image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert issue["rating"] == 0
    assert issue["closed_at"] is None
    assert issue["acknowledged_at"] is None
    assert issue["comment_url"] == issue["url"] + "/comments"
    shown = httpx.get(response.headers["Location"], auth=auth).json()
    assert shown == issue


def test_a_form_body_is_accepted(server, resident):
    _, auth = resident
    response = httpx.post(
        server.url + "/api/v2/issues", data={**REPORT, "lat": "41.5", "lng": "-72.5"}, auth=auth
    )
    assert response.status_code == 201
    assert (response.json()["lat"], response.json()["lng"]) == (41.5, -72.5)


def test_seeclickfix_answers_are_accepted_as_json(server, resident):
    _, auth = resident
    body = {
        "lat": 42.7265,
        "lng": -72.567,
        "address": "123 State St. New Haven, CT",
        "request_type_id": 122,
        "answers": {"142": "SHALLOW", "summary": "Big Pothole", "description": "Please fix it"},
    }
    response = httpx.post(server.url + "/api/v2/issues", json=body, auth=auth)
    assert response.status_code == 201
    assert response.json()["summary"] == "Big Pothole"
    assert response.json()["description"] == "Please fix it"


def test_seeclickfix_answers_are_accepted_as_multipart(server, resident):
    _, auth = resident
    fields = {
        "lat": "42.7265",
        "lng": "-72.567",
        "address": "123 State St.",
        "request_type_id": "other",
        "answers[summary]": "Found a pothole",
    }
    response = httpx.post(
        server.url + "/api/v2/issues",
        data=fields,
        files={"unused": ("note.txt", b"x", "text/plain")},
        auth=auth,
    )
    assert response.status_code == 201
    assert response.json()["summary"] == "Found a pothole"


def test_missing_fields_are_each_named(server, resident):
    _, auth = resident
    response = httpx.post(server.url + "/api/v2/issues", json={}, auth=auth)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"lat", "lng", "address", "summary"}
    assert errors["summary"] == ["can't be blank"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("lat", 91), ("lat", "north"), ("lng", -181), ("lng", "NaN"), ("summary", "x" * 201)],
)
def test_invalid_values_are_named(server, resident, field, value):
    _, auth = resident
    response = report(server, auth, **{field: value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


def test_malformed_json_is_400(server, resident):
    _, auth = resident
    response = httpx.post(
        server.url + "/api/v2/issues",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        auth=auth,
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_reporting_needs_credentials(server):
    response = httpx.post(server.url + "/api/v2/issues", json=REPORT)
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_oauth_token_without_write_scope_is_403(server, ctx, resident):
    user_id, _ = resident
    token = oauth_token(ctx, user_id, scope="public")
    response = httpx.post(server.url + "/api/v2/issues", json=REPORT, headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'scope="write"' in response.headers["WWW-Authenticate"]


def test_oauth_token_with_write_scope_reports(server, ctx, resident):
    user_id, _ = resident
    token = oauth_token(ctx, user_id, scope="public write")
    response = httpx.post(server.url + "/api/v2/issues", json=REPORT, headers=bearer(token))
    assert response.status_code == 201
    assert response.json()["reporter"]["id"] == user_id


def test_public_token_still_reads(server, ctx, resident):
    user_id, _ = resident
    issue_id = add_issue(ctx, user_id)
    token = oauth_token(ctx, user_id, scope="public")
    response = httpx.get(f"{server.url}/api/v2/issues/{issue_id}", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["current_user_relationship"]["reporter"] is True


@pytest.mark.parametrize("issue_id", ["999999", "99999999999999999999999"])
def test_unknown_issue_is_404(server, issue_id):
    response = httpx.get(f"{server.url}/api/v2/issues/{issue_id}")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_single_issue_is_not_wrapped_and_anonymous_sees_no_relationship(server, ctx, resident):
    user_id, _ = resident
    issue_id = add_issue(ctx, user_id, summary="Graffiti")
    body = httpx.get(f"{server.url}/api/v2/issues/{issue_id}").json()
    assert body["id"] == issue_id
    assert body["summary"] == "Graffiti"
    assert "current_user_relationship" not in body


def test_details_adds_comments_and_fields_narrow(server, ctx, resident):
    user_id, auth = resident
    issue_id = add_issue(ctx, user_id)
    url = f"{server.url}/api/v2/issues/{issue_id}"
    httpx.post(url + "/comments", json={"comment": "Me too"}, auth=auth)
    body = httpx.get(url, params={"details": "true"}).json()
    assert [c["comment"] for c in body["comments"]] == ["Me too"]
    narrow = httpx.get(url, params={"fields[issue]": "summary"}).json()
    assert narrow == {"id": issue_id, "summary": "Pothole"}


# -- status changes -------------------------------------------------------


def test_reporter_closes_and_reopens_with_timestamps(server, ctx, resident):
    user_id, auth = resident
    issue_id = add_issue(ctx, user_id)
    url = f"{server.url}/api/v2/issues/{issue_id}"
    closed = httpx.post(url + "/close", json={"comment": "Pothole is gone"}, auth=auth)
    assert closed.status_code == 201
    assert closed.json()["comment"] == "Pothole is gone"
    assert closed.json()["issue"] == {"status": "Closed", "rating": 0}
    issue = httpx.get(url).json()
    assert issue["status"] == "Closed"
    assert issue["closed_at"] is not None
    reopened = httpx.post(url + "/open", json={"comment": "It is back"}, auth=auth)
    assert reopened.status_code == 201
    issue = httpx.get(url).json()
    assert issue["status"] == "Open"
    assert issue["reopened_at"] is not None
    assert issue["closed_at"] is None
    assert issue["comment_count"] == 2


def test_closing_twice_or_reopening_an_open_issue_is_422(server, ctx, resident):
    user_id, auth = resident
    issue_id = add_issue(ctx, user_id)
    url = f"{server.url}/api/v2/issues/{issue_id}"
    response = httpx.post(url + "/open", json={"comment": "?"}, auth=auth)
    assert response.status_code == 422
    assert "status" in response.json()["errors"]
    httpx.post(url + "/close", json={"comment": "Fixed"}, auth=auth)
    response = httpx.post(url + "/close", json={"comment": "Fixed again"}, auth=auth)
    assert response.status_code == 422


def test_only_the_reporter_changes_the_status(server, ctx, resident, make_user):
    user_id, _ = resident
    _, email, password = make_user()
    issue_id = add_issue(ctx, user_id)
    response = httpx.post(
        f"{server.url}/api/v2/issues/{issue_id}/close",
        json={"comment": "Not mine"},
        auth=(email, password),
    )
    assert response.status_code == 403
    assert response.json()["error"]
    assert httpx.get(f"{server.url}/api/v2/issues/{issue_id}").json()["status"] == "Open"


def test_a_status_change_needs_a_comment(server, ctx, resident):
    user_id, auth = resident
    issue_id = add_issue(ctx, user_id)
    response = httpx.post(f"{server.url}/api/v2/issues/{issue_id}/close", json={}, auth=auth)
    assert response.status_code == 422
    assert response.json()["errors"] == {"comment": ["can't be blank"]}


def test_status_change_of_unknown_issue_is_404(server, resident):
    _, auth = resident
    response = httpx.post(
        f"{server.url}/api/v2/issues/999999/close", json={"comment": "x"}, auth=auth
    )
    assert response.status_code == 404


# -- the current user's issues ---------------------------------------------


def test_profile_issues_lists_only_the_callers_reports(server, ctx, resident, make_user):
    user_id, auth = resident
    other_id, _, _ = make_user()
    mine = add_issue(ctx, user_id, summary="Mine")
    add_issue(ctx, other_id, summary="Not mine")
    body = httpx.get(server.url + "/api/v2/profile/issues", auth=auth).json()
    assert [issue["id"] for issue in body["issues"]] == [mine]
    assert body["metadata"]["pagination"]["entries"] == 1


def test_profile_issues_needs_credentials(server):
    response = httpx.get(server.url + "/api/v2/profile/issues")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
