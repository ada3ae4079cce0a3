"""ID tokens on refresh (OpenID Connect Core §12.2): a refresh of a grant
that has ``openid`` answers with a new ID token for the same sign-in (the
same sub, aud, auth_time and amr; a new iat and exp; no nonce), verified
here against the published JWKS; and the purge keeps the code that says
how the resident signed in while the grant's tokens live, and only then."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select, update

from civicauth.accounts.web_sessions import WebSession
from civicauth.db import utcnow
from civicauth.tokens.models import AuthorizationCode, OAuthToken
from civicauth.upkeep import purge as upkeep
from tests.functional.oauth_support import App, Resident, code_grant
from tests.functional.openid_support import half_hash, openid_app
from tests.support import LiveServer

ID_TOKEN_TTL = 3600  # the default CIVICAUTH_ID_TOKEN_TTL
# A second refresh with the same token within it gets the same pair again.
SETTINGS = {"CIVICAUTH_REFRESH_GRACE_SECONDS": "30"}


@pytest.fixture
def app(server, ctx):
    return openid_app(ctx, server.url)


def refresh(server: LiveServer, app: App, refresh_token: str) -> dict[str, Any]:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    answer = httpx.post(server.url + "/oauth/token", data=data, auth=app.auth, timeout=10)
    assert answer.status_code == 200, answer.text[:300]
    token: dict[str, Any] = answer.json()
    return token


def verified(server: LiveServer, app: App, id_token: str) -> dict[str, Any]:
    """The claims, once the signature checks out against the JWKS and the
    iss and aud are ours and the app's."""
    keys = httpx.get(server.url + "/oauth/discovery/keys", timeout=10).json()
    decoded = jwt.decode(id_token, KeySet.import_key_set(keys))
    rules = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": server.url},
        aud={"essential": True, "value": app.client_id},
    )
    rules.validate(decoded.claims)
    return dict(decoded.claims)


def signed_in_an_hour_ago(ctx: Any, resident: Resident) -> int:
    """Age the resident's session (auth_time is its start); returns when it began."""
    began = utcnow() - timedelta(hours=1)
    with ctx.db.transaction() as session:
        mine = WebSession.user_id == resident.user_id
        session.execute(update(WebSession).where(mine).values(created_at=began))
    return int(began.timestamp())


def test_a_refresh_of_an_openid_grant_gives_a_new_id_token(server, ctx, app, resident):
    auth_time = signed_in_an_hour_ago(ctx, resident)
    first = code_grant(server, resident, app, scope="openid profile", nonce="n-1")
    original = verified(server, app, first["id_token"])
    assert abs(original["auth_time"] - auth_time) <= 1

    before = int(time.time())
    second = refresh(server, app, first["refresh_token"])
    after = int(time.time())
    claims = verified(server, app, second["id_token"])
    assert claims["sub"] == original["sub"] == str(resident.user_id)
    assert claims["aud"] == original["aud"] == app.client_id
    assert claims["auth_time"] == original["auth_time"]  # the sign-in, an hour ago
    assert claims["amr"] == original["amr"] == ["pwd"]
    assert before <= claims["iat"] <= after  # issued now
    assert claims["exp"] == claims["iat"] + ID_TOKEN_TTL
    assert "nonce" not in claims  # §12.2: SHOULD NOT
    assert claims["at_hash"] == half_hash(second["access_token"])

    # And again from the rotated refresh token: the grant keeps its sign-in.
    third = refresh(server, app, second["refresh_token"])
    assert verified(server, app, third["id_token"])["auth_time"] == original["auth_time"]


def test_the_pair_given_again_in_the_grace_window_has_an_id_token_too(server, app, resident):
    first = code_grant(server, resident, app, scope="openid")
    once, again = (refresh(server, app, first["refresh_token"]) for _ in range(2))
    assert again["access_token"] == once["access_token"]
    claims = verified(server, app, again["id_token"])
    assert claims["sub"] == str(resident.user_id)
    assert claims["at_hash"] == half_hash(again["access_token"])
    assert claims["auth_time"] == verified(server, app, first["id_token"])["auth_time"]


def test_a_refresh_narrowed_without_openid_or_of_a_plain_grant_has_none(server, ctx, app, resident):
    plain = code_grant(server, resident, app, scope="public")
    assert "id_token" not in refresh(server, app, plain["refresh_token"])
    openid = code_grant(server, resident, app, scope="openid public")
    data = {"grant_type": "refresh_token", "refresh_token": openid["refresh_token"]}
    narrowed = httpx.post(
        server.url + "/oauth/token", data={**data, "scope": "public"}, auth=app.auth, timeout=10
    ).json()
    assert narrowed["scope"] == "public"
    assert "id_token" not in narrowed


def code_rows(ctx: Any, user_id: int) -> int:
    with ctx.db.read() as session:
        query = select(func.count()).where(AuthorizationCode.user_id == user_id)
        return int(session.scalar(query) or 0)


def expire_codes(ctx: Any, user_id: int) -> None:
    with ctx.db.transaction() as session:
        session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.user_id == user_id)
            .values(expires_at=utcnow() - timedelta(hours=1))
        )


def test_the_purge_keeps_the_sign_in_while_the_grant_lives(server, ctx, settings, app, resident):
    openid = code_grant(server, resident, app, scope="openid")
    refreshed = refresh(server, app, openid["refresh_token"])
    plain = code_grant(server, resident, app, scope="public")
    assert "refresh_token" in plain
    expire_codes(ctx, resident.user_id)
    assert code_rows(ctx, resident.user_id) == 2

    upkeep.purge(ctx.db, settings, ("tokens", "codes"))
    # The plain code went at its expiry; the OpenID one stays for its grant.
    assert code_rows(ctx, resident.user_id) == 1
    later = refresh(server, app, refreshed["refresh_token"])
    original = verified(server, app, openid["id_token"])
    assert verified(server, app, later["id_token"])["auth_time"] == original["auth_time"]

    # Once the grant's tokens are gone, so is its code.
    with ctx.db.transaction() as session:
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.user_id == resident.user_id)
            .values(revoked_at=utcnow())
        )
    upkeep.purge(ctx.db, settings, ("tokens", "codes"))
    assert code_rows(ctx, resident.user_id) == 0
