"""Revocation (RFC 7009), introspection (RFC 7662), Doorkeeper's token info
and the RFC 8414 metadata, over real HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from civicauth.accounts.audit import recent_events
from civicauth.tokens import secrets
from tests.functional.oauth_support import api_status, code_grant, register_app
from tests.token_support import forged


@pytest.fixture
def grant(server, ctx, resident):
    """(app, user id, token response) for a fresh code grant."""
    app = register_app(ctx, server.url)
    return app, resident.user_id, code_grant(server, resident, app, scope="public write")


def post(server, path: str, data: dict[str, str], auth=None) -> httpx.Response:
    response = httpx.post(server.url + path, data=data, auth=auth)
    assert response.headers["cache-control"] == "no-store"
    return response


# -- revocation ------------------------------------------------------------------


def test_revoking_an_access_token(server, grant):
    app, _, tokens = grant
    assert api_status(server, tokens["access_token"]) == 200
    response = post(server, "/oauth/revoke", {"token": tokens["access_token"]}, app.auth)
    assert response.status_code == 200
    assert api_status(server, tokens["access_token"]) == 401


def test_revoking_a_refresh_token_ends_the_grant(server, grant):
    app, _, tokens = grant
    data = {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    assert post(server, "/oauth/revoke", data, app.auth).status_code == 200
    assert api_status(server, tokens["access_token"]) == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    again = post(server, "/oauth/token", refresh, app.auth)
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "token",
    ["unknown", forged(secrets.Kind.ACCESS), forged(secrets.Kind.REFRESH)],
)
def test_unknown_tokens_revoke_quietly(server, grant, token):
    # RFC 7009 §2.2: invalid tokens do not cause an error.
    app, _, _ = grant
    assert post(server, "/oauth/revoke", {"token": token}, app.auth).status_code == 200


def test_an_unknown_hint_is_ignored(server, grant):
    app, _, tokens = grant
    data = {"token": tokens["access_token"], "token_type_hint": "id_token"}
    assert post(server, "/oauth/revoke", data, app.auth).status_code == 200
    assert api_status(server, tokens["access_token"]) == 401


def test_another_client_cannot_revoke_a_token(server, ctx, grant):
    _, _, tokens = grant
    other = register_app(ctx, server.url)
    response = post(server, "/oauth/revoke", {"token": tokens["access_token"]}, other.auth)
    assert response.status_code == 400
    assert api_status(server, tokens["access_token"]) == 200


def test_revocation_needs_client_authentication_and_a_token(server, grant):
    app, _, tokens = grant
    anonymous = post(server, "/oauth/revoke", {"token": tokens["access_token"]})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"
    assert post(server, "/oauth/revoke", {}, app.auth).json()["error"] == "invalid_request"
    assert api_status(server, tokens["access_token"]) == 200


def test_public_clients_revoke_with_their_client_id(server, ctx, make_user):
    app = register_app(ctx, server.url, is_public=True)
    response = post(server, "/oauth/revoke", {"token": "x", "client_id": app.client_id})
    assert response.status_code == 200


# -- introspection -----------------------------------------------------------------


def test_introspecting_live_tokens(server, grant):
    app, user_id, tokens = grant
    access = post(server, "/oauth/introspect", {"token": tokens["access_token"]}, app.auth)
    body = access.json()
    assert body["active"] is True
    assert body["scope"] == "public write"
    assert body["client_id"] == app.client_id
    assert body["token_type"] == "Bearer"
    assert body["sub"] == str(user_id)
    assert body["iss"] == server.url
    assert body["exp"] > time.time()
    assert body["iat"] <= time.time() + 1
    refresh = post(server, "/oauth/introspect", {"token": tokens["refresh_token"]}, app.auth)
    assert refresh.json()["active"] is True
    # The default idle lifetime (30 days) ends it first.
    assert refresh.json()["exp"] == refresh.json()["iat"] + 30 * 24 * 3600
    assert "token_type" not in refresh.json()


def test_introspecting_dead_and_foreign_tokens(server, ctx, grant):
    app, _, tokens = grant
    other = register_app(ctx, server.url)
    foreign = post(server, "/oauth/introspect", {"token": tokens["access_token"]}, other.auth)
    assert foreign.json() == {"active": False}
    unknown = post(server, "/oauth/introspect", {"token": "nonsense"}, app.auth)
    assert unknown.json() == {"active": False}
    post(server, "/oauth/revoke", {"token": tokens["access_token"]}, app.auth)
    revoked = post(server, "/oauth/introspect", {"token": tokens["access_token"]}, app.auth)
    assert revoked.json() == {"active": False}


def test_introspection_is_for_authenticated_clients_only(server, ctx, grant):
    _, _, tokens = grant
    public = register_app(ctx, server.url, is_public=True)
    data = {"token": tokens["access_token"], "client_id": public.client_id}
    response = post(server, "/oauth/introspect", data)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# -- token info (Doorkeeper) --------------------------------------------------------


def test_token_info_describes_the_bearer_token(server, settings, grant):
    app, user_id, tokens = grant
    response = httpx.get(
        server.url + "/oauth/token/info",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["resource_owner_id"] == user_id
    assert body["scope"] == ["public", "write"]
    assert body["application"] == {"uid": app.client_id}
    assert 0 < body["expires_in"] <= settings.access_token_ttl
    assert abs(body["created_at"] - tokens["created_at"]) <= 1


def test_token_info_takes_the_seeclickfix_header_and_the_query(server, grant):
    _, user_id, tokens = grant
    by_header = httpx.get(
        server.url + "/oauth/token/info",
        headers={"Authentication": f"Bearer {tokens['access_token']}"},
    )
    assert by_header.json()["resource_owner_id"] == user_id
    by_query = httpx.get(
        server.url + "/oauth/token/info", params={"access_token": tokens["access_token"]}
    )
    assert by_query.json()["resource_owner_id"] == user_id


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer cva_nope"}, {"Authorization": "Bearer " + "x" * 5000}],
    ids=["none", "unknown", "oversized"],
)
def test_token_info_refuses_missing_and_bad_tokens(server, headers):
    response = httpx.get(server.url + "/oauth/token/info", headers=headers)
    assert response.status_code in (400, 401)
    assert response.headers["www-authenticate"].startswith(("Bearer", "Basic"))
    assert response.json()["error"] in ("invalid_token", "invalid_request")


def test_token_info_refuses_revoked_tokens(server, grant):
    app, _, tokens = grant
    post(server, "/oauth/revoke", {"token": tokens["access_token"]}, app.auth)
    response = httpx.get(
        server.url + "/oauth/token/info",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 401


# -- metadata ---------------------------------------------------------------------------


def test_metadata_lists_exactly_what_is_supported(server):
    response = httpx.get(server.url + "/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json()
    assert meta["issuer"] == server.url
    assert meta["authorization_endpoint"] == server.url + "/oauth/authorize"
    assert meta["token_endpoint"] == server.url + "/oauth/token"
    assert meta["revocation_endpoint"] == server.url + "/oauth/revoke"
    assert meta["introspection_endpoint"] == server.url + "/oauth/introspect"
    assert meta["response_types_supported"] == [
        "code",
        "token",
        "id_token",
        "id_token token",
        "code id_token",
    ]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
    }
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["scopes_supported"] == ["openid", "profile", "email", "public", "write"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "password" not in meta["grant_types_supported"]


# -- the security log ---------------------------------------------------------------------


def test_consent_issuance_and_revocation_are_in_the_security_log(server, ctx, grant):
    app, user_id, tokens = grant
    post(server, "/oauth/revoke", {"token": tokens["refresh_token"]}, app.auth)
    with ctx.db.read() as session:
        events = [
            (event.event, event.client_id)
            for event in recent_events(session, user_id)
            if event.client_id == app.client_id
        ]
    assert ("app_authorized", app.client_id) in events
    assert ("token_issued", app.client_id) in events
    assert ("token_revoked", app.client_id) in events
    assert all(tokens["access_token"] not in str(event) for event in events)
