"""OAuth access tokens on API v2 (RFC 6750): in the header, the form body,
the query and the ``Authentication: Bearer`` header the seed prints; one
method per request; failures per §3 with WWW-Authenticate; scopes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken
from tests.functional.oauth_support import code_grant, register_app
from tests.token_support import forged

SETTINGS = {"CIVICAUTH_ACCESS_TOKEN_TTL": "900"}


@pytest.fixture
def issue_token(server, ctx, resident):
    """issue_token(scope) -> (user id, access token)."""
    app = register_app(ctx, server.url)

    def issue(scope: str) -> tuple[int, str]:
        return resident.user_id, code_grant(server, resident, app, scope=scope)["access_token"]

    return issue


def profile(server, **kwargs) -> httpx.Response:
    return httpx.get(server.url + "/api/v2/profile", **kwargs)


def rename(server, token: str, name: str) -> httpx.Response:
    """PUT /api/v2/profile: a write."""
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.put(server.url + "/api/v2/profile", json={"name": name}, headers=headers)


def test_access_tokens_live_access_token_ttl(server, ctx, issue_token):
    _, token = issue_token("public")
    with ctx.db.read() as session:
        row = session.query(OAuthToken).filter_by(access_token_digest=secrets.digest(token)).one()
        assert (row.expires_at - row.issued_at).total_seconds() == 900


@pytest.mark.parametrize("how", ["authorization", "authentication", "query"])
def test_a_token_is_accepted_every_rfc_6750_way(server, issue_token, how):
    user_id, token = issue_token("public")
    if how == "query":
        response = profile(server, params={"access_token": token})
    else:
        response = profile(server, headers={how.capitalize(): f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["id"] == user_id


def test_a_token_in_the_form_body(server, issue_token):
    user_id, token = issue_token("public write")
    response = httpx.put(
        server.url + "/api/v2/profile", data={"access_token": token, "name": "Formed Name"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user_id
    assert response.json()["name"] == "Formed Name"


def test_two_methods_in_one_request_are_invalid_request(server, issue_token):
    _, token = issue_token("public")
    response = profile(
        server, headers={"Authorization": f"Bearer {token}"}, params={"access_token": token}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "token",
    [
        forged(secrets.Kind.ACCESS),  # well-formed, unknown
        forged(secrets.Kind.ACCESS)[:-1] + "0",  # checksum broken
        forged(secrets.Kind.REFRESH),  # not an access token
        forged(secrets.Kind.CODE),
    ],
    ids=["unknown", "bad-checksum", "refresh-token", "code"],
)
def test_bad_tokens_get_401_invalid_token_with_a_challenge(server, token):
    response = profile(server, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert 'Bearer realm="API v2"' in challenge
    assert 'error="invalid_token"' in challenge
    assert response.json()["error"] == "invalid_token"


def test_expired_tokens_get_401(server, ctx, issue_token):
    _, token = issue_token("public")
    with ctx.db.transaction() as session:
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.access_token_digest == secrets.digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = profile(server, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_public_token_cannot_write(server, issue_token):
    _, token = issue_token("public")
    response = rename(server, token, "Not Allowed")
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="write"' in challenge


def test_a_write_token_can(server, issue_token):
    _, token = issue_token("public write")
    response = rename(server, token, "Allowed Name")
    assert response.status_code == 200
    assert response.json()["name"] == "Allowed Name"


def test_a_client_credentials_token_acts_for_no_user(server, ctx):
    app = register_app(ctx, server.url, grant_types=["client_credentials"])
    token = httpx.post(
        server.url + "/oauth/token", data={"grant_type": "client_credentials"}, auth=app.auth
    ).json()["access_token"]
    assert profile(server, headers={"Authorization": f"Bearer {token}"}).json() == {"id": None}
    response = httpx.put(
        server.url + "/api/v2/profile",
        json={"name": "Nobody"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (401, 403)


def test_answers_to_a_token_in_the_query_are_private(server, issue_token):
    """RFC 6750 §2.3: every answer to a request whose URL holds the token,
    reads, writes and errors alike, is kept out of shared caches."""
    _, token = issue_token("public write")
    query = {"access_token": token}
    answers = [
        profile(server, params=query),
        httpx.get(server.url + "/api/v2/issues", params=query),
        httpx.put(server.url + "/api/v2/profile", params=query, json={"name": "Queried"}),
        httpx.get(server.url + "/api/v2/issues/999999", params=query),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404]
    for answer in answers:
        directives = {d.strip() for d in answer.headers["cache-control"].split(",")}
        assert directives & {"private", "no-store"}, answer.request.url


def test_a_token_in_the_header_leaves_caching_alone(server, issue_token):
    _, token = issue_token("public")
    answer = httpx.get(server.url + "/api/v2/issues", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert "private" not in answer.headers.get("cache-control", "")
