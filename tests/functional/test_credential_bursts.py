"""Bursts of simultaneous requests, in-process: one slow path per account."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from civicauth.app import create_app
from tests.functional.test_credential_cache import count_argon2


@pytest.fixture
def burst_app(settings):
    """An app of its own: its Redis connections belong to this test's event loop."""
    return create_app(settings)


@pytest.fixture
def counted(burst_app, monkeypatch):
    return count_argon2(burst_app.state["ctx"], monkeypatch)


def concurrent_client(app) -> httpx.AsyncClient:
    """In-process requests that really run at the same time."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


async def test_a_burst_of_good_requests_pays_argon2_once(burst_app, make_user, counted):
    user_id, email, password = make_user()
    async with concurrent_client(burst_app) as client:
        responses = await asyncio.gather(
            *(client.get("/api/v2/profile", auth=(email, password)) for _ in range(20))
        )
    assert {r.json()["id"] for r in responses} == {user_id}
    assert counted["verify"] == 1


async def test_a_burst_of_guesses_cannot_outrun_the_throttle(burst_app, make_user, counted):
    """The account limit is 10 failures: 30 guesses at once verify 10 passwords."""
    _, email, _ = make_user()
    async with concurrent_client(burst_app) as client:
        responses = await asyncio.gather(
            *(client.get("/api/v2/profile", auth=(email, f"guess {n}")) for n in range(30))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 10 + [429] * 20
    assert counted["verify"] == 10
