"""The implicit flow (RFC 6749 §4.2) over real HTTP: the token in the
fragment, never a refresh token, and only for apps registered for it."""

from __future__ import annotations

import httpx

from tests.functional.oauth_support import authorize_params, register_app


def token_request(app, **extra: str) -> dict[str, str]:
    return authorize_params(app, "token", **{"state": "nonce-1", **extra})


def test_the_token_arrives_in_the_fragment(server, ctx, settings, resident):
    app = register_app(ctx, server.url, is_public=True, grant_types=["implicit"])
    response = resident.open(token_request(app, scope="public write"))
    response = resident.decide(response)
    location = response.headers["location"]
    assert location.startswith(app.redirect_uri + "#")
    assert "?" not in location
    received = dict(httpx.QueryParams(location.split("#", 1)[1]))
    assert received["token_type"] == "Bearer"
    assert int(received["expires_in"]) == settings.access_token_ttl
    assert received["scope"] == "public write"
    assert received["state"] == "nonce-1"
    assert received["iss"] == server.url
    assert "refresh_token" not in received
    profile = httpx.get(
        server.url + "/api/v2/profile",
        headers={"Authorization": f"Bearer {received['access_token']}"},
    )
    assert profile.json()["id"] == resident.user_id


def test_deny_answers_in_the_fragment(server, ctx, resident):
    app = register_app(ctx, server.url, grant_types=["implicit"])
    received = resident.authorize(token_request(app), decision="deny")
    assert received["error"] == "access_denied"
    assert received["state"] == "nonce-1"


def test_apps_not_registered_for_it_get_unauthorized_client(server, ctx, resident):
    app = register_app(ctx, server.url)  # authorization_code and refresh_token only
    response = resident.open(token_request(app))
    location = response.headers["location"]
    assert "#" in location
    received = dict(httpx.QueryParams(location.split("#", 1)[1]))
    assert received["error"] == "unauthorized_client"
    assert received["state"] == "nonce-1"
    assert "access_token" not in received


def test_a_bad_redirect_uri_is_never_followed(server, ctx, resident):
    app = register_app(ctx, server.url, grant_types=["implicit"])
    response = resident.open(token_request(app, redirect_uri="https://evil.example/cb"))
    assert response.status_code == 400
    assert "location" not in response.headers
