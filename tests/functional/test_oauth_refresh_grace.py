"""The refresh grace window (CIVICAUTH_REFRESH_GRACE_SECONDS): a client that
refreshes twice at once gets the same new pair instead of being logged out;
outside the window, reuse of a rotated refresh token ends the grant."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken
from tests.functional.oauth_support import api_status, code_grant, register_app

SETTINGS = {"CIVICAUTH_REFRESH_GRACE_SECONDS": "30"}


@pytest.fixture
def tokens(server, ctx, resident):
    """(app, first token response) for a fresh grant."""
    app = register_app(ctx, server.url)
    return app, code_grant(server, resident, app)


def refresh(server, app, refresh_token: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return httpx.post(server.url + "/oauth/token", data=data, auth=app.auth)


def pair(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 200, response.text
    body = response.json()
    return body["access_token"], body["refresh_token"]


def test_refreshing_twice_within_the_window_gives_the_same_pair(server, tokens):
    app, first = tokens
    once = pair(refresh(server, app, first["refresh_token"]))
    twice = pair(refresh(server, app, first["refresh_token"]))
    assert once == twice
    assert api_status(server, once[0]) == 200
    assert pair(refresh(server, app, once[1]))[0] != once[0]


def test_concurrent_refreshes_agree(server, tokens):
    app, first = tokens
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: refresh(server, app, first["refresh_token"]), range(4)))
    pairs = {pair(response) for response in results}
    assert len(pairs) == 1
    assert api_status(server, pairs.pop()[0]) == 200


def test_reuse_after_the_window_revokes_the_grant(server, ctx, tokens):
    app, first = tokens
    access, refreshed = pair(refresh(server, app, first["refresh_token"]))
    with ctx.db.transaction() as session:
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.refresh_token_digest == secrets.digest(first["refresh_token"]))
            .values(refresh_rotated_at=utcnow() - timedelta(seconds=31))
        )
    assert refresh(server, app, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert api_status(server, access) == 401
    assert refresh(server, app, refreshed).json()["error"] == "invalid_grant"


def test_reuse_after_the_new_pair_was_used_revokes_the_grant(server, tokens):
    app, first = tokens
    _, second = pair(refresh(server, app, first["refresh_token"]))
    third_access, _ = pair(refresh(server, app, second))
    # The first token comes back within the window, but its pair is spent.
    assert refresh(server, app, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert api_status(server, third_access) == 401
