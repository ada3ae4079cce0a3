"""In-process checks of the cost model: argon2 once per credential, not per request."""

from __future__ import annotations

import asyncio

import httpx
import pytest


@pytest.fixture
def counted(app, monkeypatch):
    ctx = app.state["ctx"]
    calls = {"verify": 0, "burn": 0}
    verify, burn = ctx.passwords.verify, ctx.passwords.burn

    def counting_verify(*args):
        calls["verify"] += 1
        return verify(*args)

    def counting_burn(*args):
        calls["burn"] += 1
        return burn(*args)

    monkeypatch.setattr(ctx.passwords, "verify", counting_verify)
    monkeypatch.setattr(ctx.passwords, "burn", counting_burn)
    return calls


def test_repeated_requests_pay_argon2_once(client, make_user, counted):
    user_id, email, password = make_user()
    for _ in range(5):
        assert client.get("/api/v2/profile", auth=(email, password)).json()["id"] == user_id
    assert counted["verify"] == 1


def test_unknown_email_pays_the_same_argon2_work(client, counted):
    response = client.get("/api/v2/profile", auth=("nobody@example.com", "whatever1"))
    assert response.status_code == 401
    assert counted["burn"] == 1


def test_cache_key_is_not_the_password(app, make_user, client):
    _, email, password = make_user()
    client.get("/api/v2/profile", auth=(email, password))
    keys = list(app.state["ctx"].resolver.cache._entries)
    assert keys
    assert all(password not in key and email not in key for key in keys)


def concurrent_client(app) -> httpx.AsyncClient:
    """In-process requests that really run at the same time."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


async def test_a_burst_of_good_requests_pays_argon2_once(app, make_user, counted):
    user_id, email, password = make_user()
    async with concurrent_client(app) as client:
        responses = await asyncio.gather(
            *(client.get("/api/v2/profile", auth=(email, password)) for _ in range(20))
        )
    assert {r.json()["id"] for r in responses} == {user_id}
    assert counted["verify"] == 1


async def test_a_burst_of_guesses_cannot_outrun_the_throttle(app, make_user, counted):
    """The account limit is 10 failures: 30 guesses at once verify 10 passwords."""
    _, email, _ = make_user()
    async with concurrent_client(app) as client:
        responses = await asyncio.gather(
            *(client.get("/api/v2/profile", auth=(email, f"guess {n}")) for n in range(30))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 10 + [429] * 20
    assert counted["verify"] == 10
