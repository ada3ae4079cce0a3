"""The authorization code flow (RFC 6749 §4.1) end to end over real HTTP,
driven by two independently written clients: requests-oauthlib and Authlib."""

from __future__ import annotations

import httpx
import pytest
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from requests_oauthlib import OAuth2Session as RequestsSession

from tests.functional.oauth_support import callback_params, register_app


@pytest.fixture(autouse=True)
def _plain_http_on_loopback(monkeypatch):
    # oauthlib insists on https even for the loopback test server.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def profile(server, token: str) -> httpx.Response:
    return httpx.get(server.url + "/api/v2/profile", headers={"Authorization": f"Bearer {token}"})


def test_requests_oauthlib_confidential_client_without_pkce(server, ctx, resident):
    app = register_app(ctx, server.url)
    oauth = RequestsSession(app.client_id, redirect_uri=app.redirect_uri, scope=["public"])
    url, state = oauth.authorization_url(server.url + "/oauth/authorize")
    received = resident.authorize(url.split("?", 1)[1])
    assert received.get("state") == state, received
    assert received["iss"] == server.url
    token = oauth.fetch_token(
        server.url + "/oauth/token", code=received["code"], client_secret=app.client_secret
    )
    assert token["token_type"] == "Bearer"
    assert token["scope"] == ["public"]
    assert token["access_token"].startswith("cva_")
    assert token["refresh_token"].startswith("cvr_")
    assert profile(server, token["access_token"]).json()["id"] == resident.user_id


def test_requests_oauthlib_public_client_with_pkce(server, ctx, resident):
    app = register_app(ctx, server.url, is_public=True)
    oauth = RequestsSession(
        app.client_id, redirect_uri=app.redirect_uri, scope=["public", "write"], pkce="S256"
    )
    url, state = oauth.authorization_url(server.url + "/oauth/authorize")
    assert "code_challenge_method=S256" in url
    received = resident.authorize(url.split("?", 1)[1])
    assert received["state"] == state
    token = oauth.fetch_token(
        server.url + "/oauth/token", code=received["code"], include_client_id=True
    )
    assert set(token["scope"]) == {"public", "write"}
    assert profile(server, token["access_token"]).json()["id"] == resident.user_id


def test_a_public_client_is_asked_for_consent_every_time(server, ctx, resident):
    # RFC 8252 §8.6: another program could start the same flow with its own
    # PKCE challenge; only the user's decision tells them apart.
    app = register_app(ctx, server.url, is_public=True)
    for _ in range(2):
        oauth = RequestsSession(app.client_id, redirect_uri=app.redirect_uri, pkce="S256")
        url, state = oauth.authorization_url(server.url + "/oauth/authorize")
        consent = resident.open(url.split("?", 1)[1])
        assert consent.status_code == 200
        assert "Authorize Pothole Pal?" in consent.text
        received = callback_params(resident.decide(consent))
        assert received["state"] == state
        token = oauth.fetch_token(
            server.url + "/oauth/token", code=received["code"], include_client_id=True
        )
        assert profile(server, token["access_token"]).json()["id"] == resident.user_id


def test_a_confidential_client_keeps_the_remembered_consent(server, ctx, resident):
    app = register_app(ctx, server.url)
    oauth = RequestsSession(app.client_id, redirect_uri=app.redirect_uri)
    resident.authorize(oauth.authorization_url(server.url + "/oauth/authorize")[0].split("?")[1])
    url, state = oauth.authorization_url(server.url + "/oauth/authorize")
    again = resident.open(url.split("?", 1)[1])
    assert again.status_code == 302
    assert callback_params(again)["state"] == state


def test_requests_oauthlib_refresh(server, ctx, resident):
    app = register_app(ctx, server.url)
    oauth = RequestsSession(app.client_id, redirect_uri=app.redirect_uri)
    url, _ = oauth.authorization_url(server.url + "/oauth/authorize")
    received = resident.authorize(url.split("?", 1)[1])
    first = oauth.fetch_token(
        server.url + "/oauth/token", code=received["code"], client_secret=app.client_secret
    )
    second = oauth.refresh_token(server.url + "/oauth/token", auth=app.auth)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert profile(server, second["access_token"]).json()["id"] == resident.user_id


def authlib_session(server, app, **kwargs) -> AuthlibSession:
    return AuthlibSession(
        app.client_id,
        app.client_secret,
        redirect_uri=app.redirect_uri,
        revocation_endpoint_auth_method="client_secret_basic",
        **kwargs,
    )


def test_authlib_client_with_pkce_refresh_revoke_introspect(server, ctx, resident):
    app = register_app(ctx, server.url)
    oauth = authlib_session(server, app, scope="public write", code_challenge_method="S256")
    verifier = "v" * 64
    url, state = oauth.create_authorization_url(
        server.url + "/oauth/authorize", code_verifier=verifier
    )
    received = resident.authorize(url.split("?", 1)[1])
    assert received["state"] == state
    token = oauth.fetch_token(
        server.url + "/oauth/token", code=received["code"], code_verifier=verifier
    )
    assert token["scope"] == "public write"

    seen = oauth.introspect_token(server.url + "/oauth/introspect", token["access_token"]).json()
    assert seen["active"] is True
    assert seen["client_id"] == app.client_id
    assert seen["sub"] == str(resident.user_id)
    assert seen["scope"] == "public write"

    refreshed = oauth.refresh_token(server.url + "/oauth/token")
    assert refreshed["access_token"] != token["access_token"]
    assert profile(server, token["access_token"]).status_code == 200  # rotation keeps it

    assert oauth.revoke_token(server.url + "/oauth/revoke", refreshed["refresh_token"]).ok
    after = oauth.introspect_token(server.url + "/oauth/introspect", refreshed["access_token"])
    assert after.json() == {"active": False}


def test_authlib_client_without_pkce_and_body_authentication(server, ctx, resident):
    app = register_app(ctx, server.url)
    oauth = authlib_session(server, app, token_endpoint_auth_method="client_secret_post")
    url, _ = oauth.create_authorization_url(server.url + "/oauth/authorize")
    received = resident.authorize(url.split("?", 1)[1])
    token = oauth.fetch_token(server.url + "/oauth/token", code=received["code"])
    assert token["scope"] == "public"
    assert profile(server, token["access_token"]).json()["id"] == resident.user_id
