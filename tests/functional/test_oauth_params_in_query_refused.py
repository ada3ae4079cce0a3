"""CIVICAUTH_TOKEN_PARAMS_IN_QUERY=refuse: secrets in the query string of the
token, revocation and introspection endpoints get 400 invalid_request saying
why (RFC 6749 §2.3.1), and nothing is issued."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from civicauth.tokens.models import OAuthToken
from tests.functional.oauth_support import register_app

SETTINGS = {"CIVICAUTH_TOKEN_PARAMS_IN_QUERY": "refuse"}


@pytest.fixture
def app(server, ctx):
    return register_app(ctx, server.url, grant_types=["client_credentials"])


def tokens_of(ctx, app) -> int:
    with ctx.db.read() as session:
        query = select(func.count()).select_from(OAuthToken).where(OAuthToken.client_pk == app.pk)
        return int(session.scalar(query) or 0)


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_secrets_in_the_query_are_refused(server, ctx, app, path):
    params = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "token": "cva_x",
    }
    response = httpx.post(server.url + path, params=params)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "not in the query string" in response.json()["error_description"]
    assert response.headers["cache-control"] == "no-store"
    assert tokens_of(ctx, app) == 0


def test_the_same_request_in_the_body_works(server, ctx, app):
    body = {"grant_type": "client_credentials"}
    response = httpx.post(server.url + "/oauth/token", data=body, auth=app.auth)
    assert response.status_code == 200
    assert tokens_of(ctx, app) == 1
