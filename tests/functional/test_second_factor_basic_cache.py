"""A factor added in another worker ends Basic with the password: the
credential cache re-checks a remembered Basic credential against the user's
snapshot, and the snapshot says whether the account has a second factor.

With the cache's freshness at 0 s every request re-checks, so the factor is
added straight in the database here, as another worker would, with no
process told to forget anything."""

from __future__ import annotations

import httpx
import pyotp

from civicauth.accounts.factors import services as factors
from civicauth.accounts.factors.totp import sealing_key
from civicauth.accounts.services import get_user
from tests.functional.test_credential_cache import count_argon2

SETTINGS = {"CIVICAUTH_AUTH_CACHE_SECONDS": "0"}


def test_a_remembered_basic_credential_is_refused_once_a_factor_exists(server, ctx, make_user):
    user_id, email, password = make_user()
    profile = server.url + "/api/v2/profile"
    assert httpx.get(profile, auth=(email, password)).status_code == 200  # argon2, remembered
    assert httpx.get(profile, auth=(email, password)).status_code == 200  # the snapshot re-check
    add_factor(ctx, user_id)
    refused = httpx.get(profile, auth=(email, password))
    assert refused.status_code == 401
    assert "personal access token" in refused.json()["error_description"]


def add_factor(ctx, user_id: int) -> None:
    key = sealing_key(ctx.settings.resolved_secret_key())
    with ctx.db.transaction() as session:
        user = get_user(session, user_id)
        secret = factors.pending_totp_secret(session, key, user)
        factors.confirm_totp(session, key, user, pyotp.TOTP(secret).now(), address="test")


def test_a_refused_password_pays_argon2_once(app, client, make_user, monkeypatch):
    user_id, email, password = make_user()
    add_factor(ctx := app.state["ctx"], user_id)
    counted = count_argon2(ctx, monkeypatch)
    for _ in range(5):
        refused = client.get("/api/v2/profile", auth=(email, password))
        assert refused.status_code == 401
        assert "personal access token" in refused.json()["error_description"]
    assert counted["verify"] == 1
