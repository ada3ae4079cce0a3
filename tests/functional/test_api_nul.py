"""NUL (and, for credentials, every control character) is refused with a
precise 4xx before anything is stored or looked up: no field means it, and
PostgreSQL cannot store it in text, which once made these answers 500."""

from __future__ import annotations

import httpx
import pytest

from tests.functional.test_issues_reporting import REPORT

NUL_ERROR = ["must not contain NUL characters"]


@pytest.fixture
def auth(make_user):
    _, email, password = make_user()
    return email, password


def issue_count(server, auth) -> int:
    return httpx.get(server.url + "/api/v2/issues", auth=auth).json()["metadata"]["pagination"][
        "entries"
    ]


@pytest.mark.parametrize("field", ["summary", "description", "address"])
def test_an_issue_field_with_nul_is_a_field_error_and_nothing_is_stored(server, auth, field):
    before = issue_count(server, auth)
    as_json = httpx.post(
        server.url + "/api/v2/issues", json={**REPORT, field: "Pot\x00hole"}, auth=auth
    )
    as_form = httpx.post(
        server.url + "/api/v2/issues", data={**REPORT, field: "Pot\x00hole"}, auth=auth
    )
    for response in (as_json, as_form):
        assert response.status_code == 422
        assert response.json() == {"errors": {field: NUL_ERROR}}
    assert issue_count(server, auth) == before


def test_a_nested_nul_is_refused_too(server, auth):
    response = httpx.post(
        server.url + "/api/v2/issues", json={**REPORT, "extra": {"k": ["\x00"]}}, auth=auth
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {"extra": NUL_ERROR}}


def test_a_search_with_nul_is_a_field_error(server, auth):
    response = httpx.get(server.url + "/api/v2/issues", params={"search": "pot\x00"}, auth=auth)
    assert response.status_code == 422
    assert response.json() == {"errors": {"search": NUL_ERROR}}


def test_a_name_with_nul_changes_nothing(server, auth):
    before = httpx.get(server.url + "/api/v2/profile", auth=auth).json()["name"]
    response = httpx.put(server.url + "/api/v2/profile", json={"name": "Jane\x00"}, auth=auth)
    assert response.status_code == 422
    assert response.json() == {"errors": {"name": NUL_ERROR}}
    assert httpx.get(server.url + "/api/v2/profile", auth=auth).json()["name"] == before


def test_sign_up_with_nul_creates_no_user(server):
    email = "nul-signup@example.com"
    response = httpx.post(
        server.url + "/api/v2/users",
        json={
            "name": "A\x00",
            "email": email,
            "password": "correct horse battery",
            "password_confirmation": "correct horse battery",
        },
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {"name": NUL_ERROR}}
    again = httpx.get(server.url + "/api/v2/profile", auth=(email, "correct horse battery"))
    assert again.status_code == 401


def test_basic_with_a_control_character_is_invalid_request(server):
    response = httpx.get(server.url + "/api/v2/profile", auth=("jane\x00@example.com", "pw"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_client_basic_with_nul_is_invalid_client(server, path):
    response = httpx.post(
        server.url + path,
        data={"grant_type": "client_credentials", "token": "x"},
        auth=("app\x00", "secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
