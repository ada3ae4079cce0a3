"""``GET|POST /oauth/userinfo`` (OIDC Core §5.3) over real HTTP: bearer
tokens as RFC 6750 sends them, claims by scope, and the refusals of §3."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from civicauth.accounts.models import User
from civicauth.db import utcnow
from civicauth.tokens.personal import create_personal_token
from tests.functional.oauth_support import code_grant
from tests.functional.openid_support import openid_app


@pytest.fixture
def app(server, ctx):
    return openid_app(ctx, server.url)


def userinfo(server, token: str, method: str = "GET") -> httpx.Response:
    url = server.url + "/oauth/userinfo"
    if method == "POST-BODY":
        return httpx.post(url, data={"access_token": token})
    return httpx.request(method, url, headers={"Authorization": f"Bearer {token}"})


def test_openid_alone_gives_the_subject(server, app, resident):
    token = code_grant(server, resident, app, scope="openid")["access_token"]
    answer = userinfo(server, token)
    assert answer.status_code == 200
    assert answer.json() == {"sub": str(resident.user_id)}
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["GET", "POST", "POST-BODY"])
def test_profile_and_email_claims_in_every_bearer_way(server, app, resident, method):
    token = code_grant(server, resident, app, scope="openid profile email")["access_token"]
    answer = userinfo(server, token, method)
    assert answer.status_code == 200
    claims = answer.json()
    assert claims["sub"] == str(resident.user_id)
    assert claims["name"] == "Test Resident"
    assert claims["picture"].startswith(server.url + "/")
    assert isinstance(claims["updated_at"], int)
    assert claims["email"] == resident.email
    assert claims["email_verified"] is False


def test_email_verified_only_once_confirmed(server, ctx, app, resident):
    with ctx.db.transaction() as session:
        session.execute(
            update(User).where(User.id == resident.user_id).values(email_verified_at=utcnow())
        )
    token = code_grant(server, resident, app, scope="openid email")["access_token"]
    assert userinfo(server, token).json()["email_verified"] is True


def test_a_token_without_openid_is_insufficient_scope(server, app, resident):
    token = code_grant(server, resident, app, scope="public")["access_token"]
    answer = userinfo(server, token)
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="openid"' in challenge


def test_an_invalid_token_is_invalid_token(server):
    answer = userinfo(server, "cva_made_up_token_000000000000000000000000")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_no_token_is_401_with_a_bearer_challenge(server):
    answer = httpx.get(server.url + "/oauth/userinfo")
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["www-authenticate"]


def test_a_revoked_token_is_refused(server, app, resident):
    token = code_grant(server, resident, app, scope="openid")["access_token"]
    httpx.post(server.url + "/oauth/revoke", data={"token": token}, auth=app.auth)
    assert userinfo(server, token).status_code == 401


def test_a_personal_access_token_is_no_oauth_token(server, ctx, resident):
    with ctx.db.transaction() as session:
        _, secret = create_personal_token(
            session, resident.user_id, name="script", expires_in="30", scopes=["public"]
        )
    assert userinfo(server, secret).status_code == 401


def test_personal_access_tokens_cannot_carry_openid_scopes(ctx, resident):
    from civicauth.errors import ValidationFailed

    with ctx.db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        create_personal_token(
            session, resident.user_id, name="x", expires_in="30", scopes=["openid"]
        )
    assert "openid" in refused.value.errors["scopes"][0]


def test_other_methods_get_a_json_405(server):
    answer = httpx.put(server.url + "/oauth/userinfo")
    assert answer.status_code == 405
    assert answer.json()["error"]
