"""In-process checks of the cost model: argon2 once per credential, not per request."""

from __future__ import annotations

import pytest


def count_argon2(ctx, monkeypatch) -> dict[str, int]:
    """Count the password verifications (and decoy burns) of this app."""
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


@pytest.fixture
def counted(app, monkeypatch):
    return count_argon2(app.state["ctx"], monkeypatch)


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
