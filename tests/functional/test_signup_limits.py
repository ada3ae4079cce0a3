"""Sign-ups are limited per client address, on the API and the page, and a
taken email pays argon2 like a new one (in the same bounded hash slots as
sign-in)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from civicauth.accounts.models import User
from tests.functional.pages import csrf_of

SETTINGS = {
    "CIVICAUTH_TRUST_FORWARDED": "true",
    "CIVICAUTH_FORWARDED_ALLOW_IPS": "127.0.0.1",
    "CIVICAUTH_SIGNUP_LIMIT_ADDRESS": "3/hour",
}
PASSWORD = "streets for people"


def new_user() -> dict[str, str]:
    return {
        "name": "Jane Jacobs",
        "email": f"new-{uuid.uuid4().hex[:10]}@example.com",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }


def users(ctx) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(User))


def api_signup(server, address: str, body: dict[str, str]) -> httpx.Response:
    headers = {"X-Forwarded-For": address}
    return httpx.post(server.url + "/api/v2/users", json=body, headers=headers)


def test_the_api_limits_sign_ups_per_address(server, ctx):
    first = new_user()
    statuses = [api_signup(server, "198.51.100.20", body).status_code for body in (first, first)]
    assert statuses == [201, 422]  # a refused sign-up counts too: it paid argon2
    assert api_signup(server, "198.51.100.20", new_user()).status_code == 201
    before = users(ctx)
    refused = api_signup(server, "198.51.100.20", new_user())
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "sign-ups" in refused.json()["error"]
    assert users(ctx) == before
    assert api_signup(server, "198.51.100.21", new_user()).status_code == 201


def test_the_sign_up_page_limits_sign_ups_per_address(server, ctx):
    with server.client(headers={"X-Forwarded-For": "198.51.100.30"}) as browser:

        def sign_up() -> httpx.Response:
            token = csrf_of(browser.get("/signup").text)
            return browser.post("/signup", data={**new_user(), "_csrf_token": token})

        assert [sign_up().status_code for _ in range(3)] == [303] * 3
        before = users(ctx)
        refused = sign_up()
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many accounts were created from your network" in refused.text
    assert users(ctx) == before


@pytest.fixture
def hashes(app, monkeypatch) -> list[int]:
    """For each argon2 hash the in-process app makes, the hash slots borrowed."""
    ctx = app.state["ctx"]
    seen: list[int] = []
    hash_password = ctx.passwords.hash

    def counting_hash(password: str) -> str:
        seen.append(ctx.gate.hash_slots.borrowed_tokens)
        return hash_password(password)

    monkeypatch.setattr(ctx.passwords, "hash", counting_hash)
    return seen


def test_a_taken_email_pays_argon2_like_a_new_one(client, hashes):
    body = new_user()
    assert client.post("/api/v2/users", json=body).status_code == 201
    taken = client.post("/api/v2/users", json={**body, "email": body["email"].upper()})
    assert taken.json()["errors"]["email"] == ["has already been taken"]
    token = csrf_of(client.get("/signup").text)
    page = client.post("/signup", data={**body, "_csrf_token": token})
    assert page.status_code == 422
    # One hash each, every one inside a hash slot.
    assert hashes == [1, 1, 1]
