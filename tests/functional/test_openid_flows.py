"""OpenID Connect over real HTTP: ID tokens from the code, implicit and
hybrid flows (OIDC Core §3.1-§3.3), their claims, and the nonce rule."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.functional.oauth_support import authorize_params, callback_params, code_grant
from tests.functional.openid_support import claims_of, half_hash, header_of, openid_app


@pytest.fixture
def app(server, ctx):
    return openid_app(ctx, server.url)


def test_the_code_flow_adds_an_id_token_with_the_sign_in_claims(server, app, resident):
    before = int(time.time())
    token = code_grant(
        server, resident, app, scope="openid profile email", nonce="n-0S6", state="s1"
    )
    assert token["scope"] == "openid profile email"
    claims = claims_of(token["id_token"])
    assert claims["iss"] == server.url
    assert claims["sub"] == str(resident.user_id)
    assert claims["aud"] == app.client_id
    assert claims["nonce"] == "n-0S6"
    assert claims["amr"] == ["pwd"]
    assert claims["auth_time"] <= before + 1
    assert claims["iat"] <= claims["exp"]
    assert claims["at_hash"] == half_hash(token["access_token"])
    # OIDC Core §5.4: an access token came too, so the scope's claims are
    # left to userinfo.
    assert not {"name", "email", "email_verified", "picture"} & set(claims)
    assert header_of(token["id_token"])["alg"] == "RS256"
    assert header_of(token["id_token"])["kid"]


def test_a_code_flow_without_openid_has_no_id_token(server, app, resident):
    token = code_grant(server, resident, app, scope="public")
    assert "id_token" not in token


def test_a_nonce_is_optional_in_the_code_flow(server, app, resident):
    token = code_grant(server, resident, app, scope="openid")
    assert "nonce" not in claims_of(token["id_token"])


def test_id_token_alone_carries_the_scope_claims(server, app, resident):
    received = resident.authorize(
        authorize_params(app, "id_token", scope="openid profile email", nonce="n1", state="s")
    )
    assert "access_token" not in received
    assert received["state"] == "s"
    claims = claims_of(received["id_token"])
    assert claims["nonce"] == "n1"
    assert claims["sub"] == str(resident.user_id)
    assert claims["name"] == "Test Resident"
    assert claims["email"] == resident.email
    assert claims["email_verified"] is False  # the address was never confirmed
    assert claims["picture"].startswith(server.url + "/static/")
    assert isinstance(claims["updated_at"], int)
    assert claims["amr"] == ["pwd"]
    assert "at_hash" not in claims


def test_id_token_token_carries_at_hash_and_leaves_claims_to_userinfo(server, app, resident):
    received = resident.authorize(
        authorize_params(app, "id_token token", scope="openid email", nonce="n2", state="s")
    )
    claims = claims_of(received["id_token"])
    assert claims["at_hash"] == half_hash(received["access_token"])
    assert claims["nonce"] == "n2"
    assert "email" not in claims
    info = httpx.get(
        server.url + "/oauth/userinfo",
        headers={"Authorization": f"Bearer {received['access_token']}"},
    )
    assert info.json()["email"] == resident.email


def test_code_id_token_gives_c_hash_and_a_code_that_exchanges(server, app, resident):
    received = resident.authorize(
        authorize_params(app, "code id_token", scope="openid", nonce="n3", state="s")
    )
    assert "access_token" not in received
    front = claims_of(received["id_token"])
    assert front["c_hash"] == half_hash(received["code"])
    assert front["nonce"] == "n3"
    data = {
        "grant_type": "authorization_code",
        "code": received["code"],
        "redirect_uri": app.redirect_uri,
    }
    token = httpx.post(server.url + "/oauth/token", data=data, auth=app.auth).json()
    back = claims_of(token["id_token"])
    assert back["nonce"] == "n3"
    assert back["sub"] == front["sub"]


@pytest.mark.parametrize("response_type", ["id_token", "id_token token", "code id_token"])
def test_the_implicit_and_hybrid_responses_need_a_nonce(server, app, resident, response_type):
    response = resident.open(authorize_params(app, response_type, scope="openid", state="s9"))
    received = callback_params(response)
    assert response.headers["location"].startswith(app.redirect_uri + "#")
    assert received["error"] == "invalid_request"
    assert "nonce" in received["error_description"]
    assert received["state"] == "s9"


@pytest.mark.parametrize("response_type", ["id_token", "code id_token"])
def test_id_token_responses_need_the_openid_scope(server, app, resident, response_type):
    received = callback_params(
        resident.open(authorize_params(app, response_type, scope="public", nonce="n", state="s"))
    )
    assert received["error"] == "invalid_scope"


def test_implicit_id_tokens_need_an_app_registered_for_implicit(server, ctx, resident):
    app = openid_app(ctx, server.url, grant_types=["authorization_code"])
    received = callback_params(
        resident.open(authorize_params(app, "id_token", scope="openid", nonce="n", state="s"))
    )
    assert received["error"] == "unauthorized_client"


def test_tokens_never_go_in_a_query_string(server, app, resident):
    params = authorize_params(
        app, "id_token", scope="openid", nonce="n", state="s", response_mode="query"
    )
    response = resident.open(params)
    assert response.status_code == 302, response.text
    assert "id_token=" not in response.headers["location"]
    assert callback_params(response)["error"] == "invalid_request"


def test_an_app_may_ask_for_es256(server, ctx, resident):
    app = openid_app(ctx, server.url)
    from sqlalchemy import update

    from civicauth.clients.models import Client

    with ctx.db.transaction() as session:
        session.execute(
            update(Client).where(Client.id == app.pk).values(id_token_signed_response_alg="ES256")
        )
    token = code_grant(server, resident, app, scope="openid")
    assert header_of(token["id_token"])["alg"] == "ES256"
