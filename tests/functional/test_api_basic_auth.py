"""HTTP Basic on API v2 (RFC 7617), over real HTTP against a live server."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from civicauth.accounts.services import change_password, get_user

SETTINGS = {
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": "3/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": "1000/minute",
}


def basic_header(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_profile_with_valid_credentials(server, make_user):
    user_id, email, password = make_user()
    response = httpx.get(server.url + "/api/v2/profile", auth=(email, password))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user_id
    assert body["email"] == email
    assert body["name"] == "Test Resident"
    assert {"avatar", "civic_points", "created_at", "reported_issue_count"} <= body.keys()


def test_profile_without_credentials_is_null_user(server):
    response = httpx.get(server.url + "/api/v2/profile")
    assert response.status_code == 200
    assert response.json() == {"id": None}


def test_email_is_case_insensitive(server, make_user):
    user_id, email, password = make_user()
    response = httpx.get(server.url + "/api/v2/profile", auth=(email.upper(), password))
    assert response.json()["id"] == user_id


def test_password_with_colons_and_utf8(server, make_user):
    user_id, email, password = make_user(password="zï:pass:wörd:✓")
    response = httpx.get(
        server.url + "/api/v2/profile", headers=basic_header(f"{email}:{password}".encode())
    )
    assert response.status_code == 200
    assert response.json()["id"] == user_id


@pytest.mark.parametrize("who", ["wrong password", "unknown email"])
def test_wrong_credentials_get_401_with_basic_challenge(server, make_user, who):
    _, email, password = make_user()
    auth = (email, password + "x") if who == "wrong password" else ("nobody-" + email, password)
    response = httpx.get(server.url + "/api/v2/profile", auth=auth)
    assert response.status_code == 401
    assert 'Basic realm="API v2"' in response.headers["WWW-Authenticate"]
    assert response.json()["error"] == "invalid_credentials"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Basic !!!not-base64"},
        basic_header(b"no colon"),
        {"Authorization": "Basic"},
        basic_header(b"\xff\xfe@example.com:\xc3\x28"),
        {"Authorization": "Basic " + "QUFB" * 16384},  # 64 KB
    ],
    ids=["not-base64", "no-colon", "empty", "not-utf8", "64KB"],
)
def test_malformed_basic_headers_get_a_json_4xx(server, headers):
    response = httpx.get(server.url + "/api/v2/profile", headers=headers)
    assert response.status_code in (400, 401)
    assert response.json()["error"]


def test_throttled_account_refuses_even_the_right_password(server, make_user):
    _, email, password = make_user()
    for _ in range(3):
        assert httpx.get(server.url + "/api/v2/profile", auth=(email, "wrong!")).status_code == 401
    response = httpx.get(server.url + "/api/v2/profile", auth=(email, password))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"] == "too_many_attempts"


def test_throttling_one_account_leaves_others_alone(server, make_user):
    _, victim, _ = make_user()
    other_id, other, other_password = make_user()
    for _ in range(4):
        httpx.get(server.url + "/api/v2/profile", auth=(victim, "wrong!"))
    response = httpx.get(server.url + "/api/v2/profile", auth=(other, other_password))
    assert response.json()["id"] == other_id


def test_cached_credentials_die_when_the_password_changes(server, ctx, make_user):
    user_id, email, password = make_user()
    assert httpx.get(server.url + "/api/v2/profile", auth=(email, password)).status_code == 200
    with ctx.db.transaction() as session:
        change_password(
            session,
            ctx.passwords,
            get_user(session, user_id),
            current_password=password,
            new_password="a new password",
            confirmation=None,
        )
    # Other processes trust a verified credential for at most one second.
    deadline = time.monotonic() + 1.5
    status = 200
    while time.monotonic() < deadline and status == 200:
        status = httpx.get(server.url + "/api/v2/profile", auth=(email, password)).status_code
    assert status == 401
    response = httpx.get(server.url + "/api/v2/profile", auth=(email, "a new password"))
    assert response.json()["id"] == user_id
