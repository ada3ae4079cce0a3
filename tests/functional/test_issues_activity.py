"""Comments, votes and follows on issues, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.functional.issues_support import add_issue, bearer, oauth_token


@pytest.fixture
def resident(make_user):
    user_id, email, password = make_user(name="Sam Neighbor")
    return user_id, (email, password)


@pytest.fixture
def issue_url(server, ctx, make_user):
    reporter_id, _, _ = make_user()
    return f"{server.url}/api/v2/issues/{add_issue(ctx, reporter_id)}"


def unknown(server, path=""):
    return f"{server.url}/api/v2/issues/987654{path}"


# -- comments ------------------------------------------------------------------


def test_comment_returns_201_with_commenter_and_issue_state(issue_url, resident):
    user_id, auth = resident
    response = httpx.post(issue_url + "/comments", json={"comment": "Me too"}, auth=auth)
    assert response.status_code == 201
    body = response.json()
    assert body["comment"] == "Me too"
    assert body["commenter"]["id"] == user_id
    assert body["commenter"]["name"] == "Sam Neighbor"
    assert body["media"] == {"image_full": None, "image_square_100x100": None, "video_url": None}
    assert body["issue"] == {"status": "Open", "rating": 0}
    assert httpx.get(issue_url).json()["comment_count"] == 1


def test_comment_as_form(issue_url, resident):
    _, auth = resident
    response = httpx.post(issue_url + "/comments", data={"comment": "Form comment"}, auth=auth)
    assert response.status_code == 201


def test_comments_list_oldest_first_in_the_collection_shape(issue_url, resident):
    _, auth = resident
    for text in ("first", "second", "third"):
        httpx.post(issue_url + "/comments", json={"comment": text}, auth=auth)
    body = httpx.get(issue_url + "/comments", params={"per_page": 2}).json()
    assert [c["comment"] for c in body["comments"]] == ["first", "second"]
    assert body["metadata"]["pagination"]["entries"] == 3
    assert body["metadata"]["pagination"]["next_page_url"].endswith("per_page=2&page=2")
    second = httpx.get(body["metadata"]["pagination"]["next_page_url"]).json()
    assert [c["comment"] for c in second["comments"]] == ["third"]


@pytest.mark.parametrize("body", [{}, {"comment": "   "}, {"comment": ["list"]}])
def test_comment_must_be_given(issue_url, resident, body):
    _, auth = resident
    response = httpx.post(issue_url + "/comments", json=body, auth=auth)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["comment"]


def test_comments_of_unknown_issue_are_404(server, resident):
    _, auth = resident
    assert httpx.get(unknown(server, "/comments")).status_code == 404
    response = httpx.post(unknown(server, "/comments"), json={"comment": "x"}, auth=auth)
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_commenting_needs_credentials_and_write_scope(ctx, issue_url, resident):
    user_id, _ = resident
    assert httpx.post(issue_url + "/comments", json={"comment": "x"}).status_code == 401
    token = oauth_token(ctx, user_id, scope="public")
    response = httpx.post(issue_url + "/comments", json={"comment": "x"}, headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


# -- votes -----------------------------------------------------------------------


def relationship(issue_url, auth):
    return httpx.get(issue_url, auth=auth).json()["current_user_relationship"]


def test_vote_then_a_second_vote_is_ignored(issue_url, resident):
    _, auth = resident
    for _ in range(2):
        response = httpx.post(issue_url + "/vote", auth=auth)
        assert response.status_code == 201
        assert response.json() == {"vote": 1}
    assert httpx.get(issue_url).json()["rating"] == 1
    assert relationship(issue_url, auth)["voted"] is True


def test_votes_of_two_users_add_up(issue_url, resident, make_user):
    _, auth = resident
    _, email, password = make_user()
    httpx.post(issue_url + "/vote", auth=auth)
    httpx.post(issue_url + "/vote", auth=(email, password))
    assert httpx.get(issue_url).json()["rating"] == 2


def test_unvote_is_204_and_a_second_unvote_is_422(issue_url, resident):
    _, auth = resident
    httpx.post(issue_url + "/vote", auth=auth)
    response = httpx.delete(issue_url + "/vote", auth=auth)
    assert response.status_code == 204
    assert response.content == b""
    assert httpx.get(issue_url).json()["rating"] == 0
    assert relationship(issue_url, auth)["voted"] is False
    again = httpx.delete(issue_url + "/vote", auth=auth)
    assert again.status_code == 422
    assert again.json()["errors"]["base"] == ["You have not voted on this issue."]


# -- follows ---------------------------------------------------------------------


def test_follow_then_a_second_follow_is_422(issue_url, resident):
    _, auth = resident
    response = httpx.post(issue_url + "/follow", auth=auth)
    assert response.status_code == 201
    assert response.json() == {"follow": 1}
    assert relationship(issue_url, auth)["following"] is True
    again = httpx.post(issue_url + "/follow", auth=auth)
    assert again.status_code == 422
    assert again.json()["errors"]["base"]


def test_unfollow_is_204_and_a_second_unfollow_is_422(issue_url, resident):
    _, auth = resident
    httpx.post(issue_url + "/follow", auth=auth)
    assert httpx.delete(issue_url + "/follow", auth=auth).status_code == 204
    assert relationship(issue_url, auth)["following"] is False
    assert httpx.delete(issue_url + "/follow", auth=auth).status_code == 422


# -- votes and follows alike ----------------------------------------------------


@pytest.mark.parametrize("action", ["/vote", "/follow"])
def test_voting_or_following_an_unknown_issue_is_404(server, resident, action):
    _, auth = resident
    assert httpx.post(unknown(server, action), auth=auth).status_code == 404
    assert httpx.delete(unknown(server, action), auth=auth).status_code == 404


@pytest.mark.parametrize("action", ["/vote", "/follow"])
def test_voting_or_following_needs_credentials_and_write_scope(ctx, issue_url, resident, action):
    user_id, _ = resident
    assert httpx.post(issue_url + action).status_code == 401
    assert httpx.delete(issue_url + action).status_code == 401
    token = oauth_token(ctx, user_id, scope="public")
    assert httpx.post(issue_url + action, headers=bearer(token)).status_code == 403
    assert httpx.delete(issue_url + action, headers=bearer(token)).status_code == 403


def test_relationship_is_per_user_and_listed_too(server, issue_url, resident, make_user):
    _, auth = resident
    _, email, password = make_user()
    httpx.post(issue_url + "/vote", auth=auth)
    httpx.post(issue_url + "/follow", auth=auth)
    assert relationship(issue_url, auth) == {
        "voted": True,
        "following": True,
        "reporter": False,
        "assignee": False,
    }
    assert relationship(issue_url, (email, password))["voted"] is False
    issue_id = int(issue_url.rsplit("/", 1)[1])
    listed = httpx.get(server.url + "/api/v2/issues", params={"per_page": 100}, auth=auth).json()
    mine = next(issue for issue in listed["issues"] if issue["id"] == issue_id)
    assert mine["current_user_relationship"]["voted"] is True
    anonymous = httpx.get(server.url + "/api/v2/issues").json()["issues"][0]
    assert "current_user_relationship" not in anonymous
