"""POST /api/v2/users, PUT /api/v2/profile, GET /api/v2/users/{id} over HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from civicauth.accounts.models import User


def new_email() -> str:
    return f"new-{uuid.uuid4().hex[:10]}@example.com"


def register(server, **overrides):
    body = {
        "name": "Jane Jacobs",
        "email": new_email(),
        "password": "streets for people",
        "password_confirmation": "streets for people",
        **overrides,
    }
    return httpx.post(server.url + "/api/v2/users", json=body), body


def test_register_returns_201_with_location_and_profile(server):
    response, body = register(server)
    assert response.status_code == 201
    created = response.json()
    assert created["email"] == body["email"]
    assert created["name"] == "Jane Jacobs"
    assert response.headers["Location"].endswith(f"/api/v2/users/{created['id']}")
    profile = httpx.get(server.url + "/api/v2/profile", auth=(body["email"], body["password"]))
    assert profile.json()["id"] == created["id"]


def test_register_with_a_form_body(server):
    email = new_email()
    form = {
        "name": "Form User",
        "email": email,
        "password": "form password",
        "password_confirmation": "form password",
    }
    response = httpx.post(server.url + "/api/v2/users", data=form)
    assert response.status_code == 201
    assert response.json()["email"] == email


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "Al"}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short", "password_confirmation": "short"}, "password"),
        ({"password_confirmation": "something else"}, "password_confirmation"),
        ({"name": ["not", "text"]}, "name"),
    ],
)
def test_invalid_registration_is_422_naming_the_field(server, ctx, overrides, field):
    with ctx.db.read() as session:
        before = session.scalar(select(func.count()).select_from(User))
    response, _ = register(server, **overrides)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(User)) == before


def test_email_is_unique_regardless_of_case(server):
    first, body = register(server)
    assert first.status_code == 201
    again, _ = register(server, email=body["email"].upper())
    assert again.status_code == 422
    assert again.json()["errors"]["email"] == ["has already been taken"]


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_json_is_400(server, payload):
    response = httpx.post(
        server.url + "/api/v2/users", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_public_user_has_no_email(server, make_user):
    user_id, email, _ = make_user(name="Public Person")
    response = httpx.get(f"{server.url}/api/v2/users/{user_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Public Person"
    assert "email" not in body
    assert email not in response.text


@pytest.mark.parametrize("path", ["/api/v2/users/999999", "/api/v2/users/abc"])
def test_unknown_user_is_404_json(server, path):
    response = httpx.get(server.url + path)
    assert response.status_code == 404
    assert response.json()["error"]


def test_update_profile(server, make_user):
    user_id, email, password = make_user()
    response = httpx.put(
        server.url + "/api/v2/profile", json={"name": "Renamed Person"}, auth=(email, password)
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed Person"
    assert httpx.get(f"{server.url}/api/v2/users/{user_id}").json()["name"] == "Renamed Person"


def test_update_profile_rejects_bad_input_and_changes_nothing(server, make_user):
    user_id, email, password = make_user(name="Unchanged Name")
    response = httpx.put(
        server.url + "/api/v2/profile", json={"name": "No", "email": "bad"}, auth=(email, password)
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"name", "email"}
    assert httpx.get(f"{server.url}/api/v2/users/{user_id}").json()["name"] == "Unchanged Name"


def test_update_profile_needs_credentials(server):
    response = httpx.put(server.url + "/api/v2/profile", json={"name": "Nobody"})
    assert response.status_code == 401
    assert "Basic" in response.headers["WWW-Authenticate"]


def test_healthz_checks_the_database(server):
    response = httpx.get(server.url + "/healthz")
    assert response.json() == {"status": "ok", "database": "ok"}


def test_metrics_count_authentication_outcomes(server, make_user):
    _, email, password = make_user()
    httpx.get(server.url + "/api/v2/profile", auth=(email, password))
    httpx.get(server.url + "/api/v2/profile", headers={"Authorization": "Bearer nope"})
    text = server.scrape()
    assert 'civicauth_api_auth_total{method="basic",outcome="ok"}' in text
    assert 'civicauth_api_auth_total{method="failed",outcome="invalid_token"}' in text
