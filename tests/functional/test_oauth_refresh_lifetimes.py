"""Refresh tokens expire (RFC 9700 §4.14.2): one left unused for
CIVICAUTH_REFRESH_TOKEN_IDLE_TTL dies, and a grant's whole chain dies
CIVICAUTH_REFRESH_TOKEN_MAX_TTL after its first token, however often it
was refreshed. Time is moved by writing the grant's timestamps back in the
database, as if that long had passed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
from requests_oauthlib import OAuth2Session
from sqlalchemy import select

from civicauth.cli import main
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken
from tests.functional.oauth_support import api_status, code_grant, register_app
from tests.support import free_port, settings_env

IDLE, MAX = 600, 1800
SETTINGS = {
    "CIVICAUTH_REFRESH_TOKEN_IDLE_TTL": str(IDLE),
    "CIVICAUTH_REFRESH_TOKEN_MAX_TTL": str(MAX),
}
IDLE_ENDED = (
    f"The refresh token has expired: it was not used within {IDLE} seconds of being issued."
)
MAX_ENDED = (
    f"The refresh token has expired: its grant was first issued more than {MAX} seconds "
    "ago; the user must authorize the application again."
)


@pytest.fixture(autouse=True)
def _http_on_loopback(monkeypatch):
    # oauthlib refuses http:// unless told; the live server is on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def app(server, ctx):
    return register_app(ctx, server.url)


@pytest.fixture
def tokens(server, app, resident):
    """The first token response of a fresh grant."""
    return code_grant(server, resident, app)


def client_session(app, token: dict) -> OAuth2Session:
    return OAuth2Session(app.client_id, token=token)


def refresh(server, app, token: dict) -> dict:
    """A refresh as requests-oauthlib does it; raises oauthlib's error on refusal."""
    return client_session(app, token).refresh_token(server.url + "/oauth/token", auth=app.auth)


def raw_refresh(server, app, refresh_token: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return httpx.post(server.url + "/oauth/token", data=data, auth=app.auth)


def rows_of(ctx, refresh_token: str) -> list[OAuthToken]:
    """Every row of the grant this refresh token belongs to, oldest first."""
    digest = secrets.digest(refresh_token)
    with ctx.db.read() as session:
        grant_id = session.scalar(
            select(OAuthToken.grant_id).where(OAuthToken.refresh_token_digest == digest)
        )
        query = select(OAuthToken).where(OAuthToken.grant_id == grant_id).order_by(OAuthToken.id)
        return list(session.scalars(query))


def time_passes(ctx, refresh_token: str, seconds: int) -> None:
    """Move every timestamp of the grant back, as if ``seconds`` had passed."""
    shift = timedelta(seconds=seconds)
    digest = secrets.digest(refresh_token)
    with ctx.db.transaction() as session:
        grant_id = session.scalar(
            select(OAuthToken.grant_id).where(OAuthToken.refresh_token_digest == digest)
        )
        for row in session.scalars(select(OAuthToken).where(OAuthToken.grant_id == grant_id)):
            row.issued_at -= shift
            row.grant_issued_at -= shift
            row.expires_at -= shift
            if row.refresh_rotated_at is not None:
                row.refresh_rotated_at -= shift


def state_of(rows: list[OAuthToken]) -> list[tuple]:
    return [(r.id, r.revoked_at, r.refresh_rotated_at, r.issued_at) for r in rows]


# -- the token endpoint ------------------------------------------------------------


def test_a_refresh_token_unused_for_the_idle_lifetime_is_refused_and_nothing_changes(
    server, ctx, app, tokens
):
    time_passes(ctx, tokens["refresh_token"], IDLE + 1)
    before = state_of(rows_of(ctx, tokens["refresh_token"]))
    with pytest.raises(InvalidGrantError) as refused:
        refresh(server, app, tokens)
    assert refused.value.description == IDLE_ENDED
    response = raw_refresh(server, app, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"error": "invalid_grant", "error_description": IDLE_ENDED}
    # Refused, not taken for a reuse: no new row, nothing revoked, and the
    # access token (which lives longer than the idle window here) still works.
    assert state_of(rows_of(ctx, tokens["refresh_token"])) == before
    assert api_status(server, tokens["access_token"]) == 200


def test_a_refresh_token_used_just_within_the_idle_lifetime_works(server, ctx, app, tokens):
    time_passes(ctx, tokens["refresh_token"], IDLE - 60)
    refreshed = refresh(server, app, tokens)
    assert api_status(server, refreshed["access_token"]) == 200


def test_a_chain_refreshed_within_the_idle_window_lives_until_the_maximum(server, ctx, app, tokens):
    token, step = tokens, IDLE - 100  # 500 s between refreshes: never idle too long
    for _ in range(MAX // step):  # 3 refreshes, 1500 s after the first token
        time_passes(ctx, token["refresh_token"], step)
        token = refresh(server, app, token)
    assert api_status(server, token["access_token"]) == 200
    first_issue = rows_of(ctx, token["refresh_token"])[0].issued_at
    assert {row.grant_issued_at for row in rows_of(ctx, token["refresh_token"])} == {first_issue}
    time_passes(ctx, token["refresh_token"], step)  # 2000 s: past the maximum
    before = state_of(rows_of(ctx, token["refresh_token"]))
    with pytest.raises(InvalidGrantError) as refused:
        refresh(server, app, token)
    assert refused.value.description == MAX_ENDED
    assert state_of(rows_of(ctx, token["refresh_token"])) == before


def test_a_rotated_token_replayed_after_expiry_still_ends_the_grant(server, ctx, app, tokens):
    refreshed = refresh(server, app, tokens)
    time_passes(ctx, tokens["refresh_token"], IDLE + 1)
    # The first token was exchanged: presenting it again is a reuse (maybe a
    # theft), whatever its age, and ends the grant.
    response = raw_refresh(server, app, tokens["refresh_token"])
    assert response.json()["error"] == "invalid_grant"
    assert "already used" in response.json()["error_description"]
    assert api_status(server, refreshed["access_token"]) == 401


# -- introspection and revocation ------------------------------------------------


def introspect(server, app, token: str) -> dict:
    return httpx.post(server.url + "/oauth/introspect", data={"token": token}, auth=app.auth).json()


def test_introspection_reports_the_expiry_then_inactive(server, ctx, app, tokens):
    live = introspect(server, app, tokens["refresh_token"])
    assert live["active"] is True
    assert live["exp"] == live["iat"] + IDLE  # the idle end comes first
    time_passes(ctx, tokens["refresh_token"], IDLE + 1)
    assert introspect(server, app, tokens["refresh_token"]) == {"active": False}
    # Its access token is still live, and says so.
    assert introspect(server, app, tokens["access_token"])["active"] is True


def test_introspection_reports_the_grant_end_when_it_comes_first(server, ctx, app, tokens):
    token = tokens
    for _ in range(3):
        time_passes(ctx, token["refresh_token"], IDLE - 100)
        token = refresh(server, app, token)
    body = introspect(server, app, token["refresh_token"])
    first_issue = int(rows_of(ctx, token["refresh_token"])[0].issued_at.timestamp())
    assert body["exp"] == first_issue + MAX < body["iat"] + IDLE


def test_an_expired_refresh_token_can_still_be_revoked(server, ctx, app, tokens):
    time_passes(ctx, tokens["refresh_token"], IDLE + 1)
    data = {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    response = httpx.post(server.url + "/oauth/revoke", data=data, auth=app.auth)
    assert response.status_code == 200
    # RFC 7009 §2.1: the grant's access token ends with it.
    assert api_status(server, tokens["access_token"]) == 401
    assert all(row.revoked_at is not None for row in rows_of(ctx, tokens["refresh_token"]))


# -- discovery and documentation -------------------------------------------------------


def test_the_documentation_states_this_deployments_lifetimes(server):
    meta = httpx.get(server.url + "/.well-known/oauth-authorization-server").json()
    assert meta["service_documentation"] == server.url + "/docs"
    assert httpx.get(meta["service_documentation"]).status_code == 200
    openapi = httpx.get(server.url + "/openapi.json").json()
    described = openapi["paths"]["/oauth/token"]["post"]["description"]
    assert f"not used within {IDLE} seconds" in described
    assert f"expires {MAX} seconds after the grant's first token" in described


# -- purge ----------------------------------------------------------------------------------


def purge(backend, capsys) -> str:
    with settings_env(backend.env):
        assert main(["tokens", "purge"]) == 0
    return capsys.readouterr().out


def test_purge_deletes_refresh_tokens_that_expired_and_counts_them(
    server, ctx, backend, capsys, app, resident
):
    purge(backend, capsys)  # what earlier tests left
    idle = code_grant(server, resident, app)
    ended = code_grant(server, resident, app)
    live = code_grant(server, resident, app)
    time_passes(ctx, idle["refresh_token"], 7201)  # access token and idle window over
    for _ in range(3):  # a chain refreshed in time, then left past its maximum
        time_passes(ctx, ended["refresh_token"], IDLE - 100)
        ended = refresh(server, app, ended)
    time_passes(ctx, ended["refresh_token"], 7201)
    ended_rows = {row.id for row in rows_of(ctx, ended["refresh_token"])}
    out = purge(backend, capsys)
    assert re.fullmatch(
        r"purged \d+ tokens \(2 with an expired refresh token\) and \d+ authorization codes\n"
        r"purged \d+ revoked personal access tokens, \d+ mailed links, \d+ idle sessions, "
        r"\d+ sent mails\n"
        r"purged \d+ API usage rows older than \d+ days\n",
        out,
    ), out
    with ctx.db.read() as session:
        left = set(session.scalars(select(OAuthToken.id)))
    # The expired live ends of both chains are gone; the rotated rows of the
    # refreshed chain stay a while, so a replay of them is still recognised.
    assert not rows_of(ctx, idle["refresh_token"])
    assert len(ended_rows - left) == 1
    assert refresh(server, app, live)["access_token"]


def test_idle_longer_than_max_is_refused_at_start_up(backend, tmp_path):
    env = {
        **os.environ,
        **backend.env,
        "CIVICAUTH_REFRESH_TOKEN_IDLE_TTL": "100",
        "CIVICAUTH_REFRESH_TOKEN_MAX_TTL": "50",
    }
    command = [sys.executable, "-m", "civicauth", "serve", "--port", str(free_port())]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "civicauth: error: invalid setting CIVICAUTH_REFRESH_TOKEN_MAX_TTL: Value error, "
        "must be at least CIVICAUTH_REFRESH_TOKEN_IDLE_TTL (100 s): an idle lifetime "
        "longer than the absolute one would never apply\n"
    )


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "a week"])
def test_a_lifetime_must_be_a_positive_number_of_seconds(backend, capsys, value):
    with settings_env({**backend.env, "CIVICAUTH_REFRESH_TOKEN_IDLE_TTL": value}):
        assert main(["tokens", "purge"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("civicauth: error: invalid setting CIVICAUTH_REFRESH_TOKEN_IDLE_TTL:")
    assert error.count("\n") == 1
