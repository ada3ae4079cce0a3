"""Tokens carry a mac under a key derived from the secret key: one this
server never minted (a good checksum, a wrong mac) is refused like an
unknown token, without a database read; tokens minted before the mac still
work; a key rotation with CIVICAUTH_SECRET_KEY_PREVIOUS signs nobody out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import event, update

from civicauth.app import create_app
from civicauth.settings import Settings
from civicauth.tokens import personal, secrets
from civicauth.tokens.models import PersonalAccessToken
from civicauth.tokens.oauth_tokens import NewToken, new_grant_id, store_token
from civicauth.tokens.secrets import Kind, TokenKeys
from tests.functional.oauth_support import register_app
from tests.support import live_server, settings_env
from tests.token_support import forged, legacy

PROFILE = "/api/v2/profile"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def recording(app: Any) -> Iterator[list[str]]:
    """The SQL statements the in-process app sends while the block runs,
    but for the mail outbox's own (it polls in the background, whatever
    the requests do)."""
    seen: list[str] = []
    engine = app.state.ctx.db.engine

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "mail_messages" not in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def statements(app: Any) -> Iterator[list[str]]:
    with recording(app) as seen:
        yield seen


@pytest.fixture
def owner(ctx: Any, make_user: Any) -> tuple[int, str, int]:
    """(user id, email, pk of an app the user's OAuth tokens belong to)."""
    user_id, email, _ = make_user()
    return user_id, email, register_app(ctx).pk


def store_access(ctx: Any, user_id: int, client_pk: int, token: str, refresh: str | None = None):
    with ctx.db.transaction() as session:
        store_token(
            session, NewToken(client_pk, user_id, "public", token, refresh, 3600, new_grant_id())
        )


def store_personal(ctx: Any, user_id: int, token: str | None = None) -> str:
    """A personal access token of the user; ``token`` replaces the secret
    the server minted (the row stored as it would have been for it)."""
    with ctx.db.transaction() as session:
        row, secret = personal.create_personal_token(
            session, user_id, name="pat " + uuid.uuid4().hex[:6], expires_in="30", scopes=["public"]
        )
        if token is not None:
            session.execute(
                update(PersonalAccessToken)
                .where(PersonalAccessToken.id == row.id)
                .values(token_digest=secrets.digest(token))
            )
            secret = token
    return secret


# -- made-up tokens: refused unread ------------------------------------------


@pytest.mark.parametrize("kind", [Kind.ACCESS, Kind.PERSONAL])
def test_a_forged_token_is_refused_like_an_unknown_one_without_a_query(client, statements, kind):
    unknown = client.get(PROFILE, headers=bearer(legacy(kind)))  # looked up, not found
    statements.clear()
    response = client.get(PROFILE, headers=bearer(forged(kind)))
    assert statements == []
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == unknown.headers["www-authenticate"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.json() == unknown.json()


def test_a_forged_personal_token_as_the_basic_password_is_refused_without_a_query(
    client, statements
):
    response = client.get(PROFILE, auth=("__token__", forged(Kind.PERSONAL)))
    assert statements == []
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")


def test_forged_codes_and_refresh_tokens_never_reach_their_tables(client, ctx, statements):
    app = register_app(ctx, grant_types=["authorization_code", "refresh_token"])
    forms = [
        {"grant_type": "authorization_code", "code": forged(Kind.CODE), "redirect_uri": "x"},
        {"grant_type": "refresh_token", "refresh_token": forged(Kind.REFRESH)},
    ]
    for form in forms:
        response = client.post("/oauth/token", data=form, auth=app.auth)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
    touched = " ".join(statements)
    assert "authorization_codes" not in touched
    assert "oauth_tokens" not in touched
    assert "clients" in touched  # the client was authenticated, as before


@pytest.mark.parametrize("path", ["/oauth/revoke", "/oauth/introspect"])
def test_forged_tokens_at_revocation_and_introspection_never_reach_the_table(
    client, ctx, statements, path
):
    app = register_app(ctx)
    for kind in (Kind.ACCESS, Kind.REFRESH):
        response = client.post(path, data={"token": forged(kind)}, auth=app.auth)
        assert response.status_code == 200
        if path == "/oauth/introspect":
            assert response.json() == {"active": False}
    assert "oauth_tokens" not in " ".join(statements)


def test_forged_token_info_is_refused_without_a_query(client, statements):
    response = client.get("/oauth/token/info", headers=bearer(forged(Kind.ACCESS)))
    assert response.status_code == 401
    assert statements == []


def test_a_forged_account_link_is_a_dead_link_that_never_reaches_its_table(client, statements):
    unknown = client.get("/password/reset", params={"token": legacy(Kind.ACCOUNT_LINK)})
    assert "account_tokens" in " ".join(statements)
    statements.clear()
    response = client.get("/password/reset", params={"token": forged(Kind.ACCOUNT_LINK)})
    assert response.status_code == unknown.status_code
    assert "account_tokens" not in " ".join(statements)


# -- tokens minted before the mac --------------------------------------------


def test_legacy_access_and_personal_tokens_still_work(server, ctx, owner):
    user_id, email, client_pk = owner
    access = legacy(Kind.ACCESS)
    store_access(ctx, user_id, client_pk, access)
    pat = store_personal(ctx, user_id, legacy(Kind.PERSONAL))
    for token in (access, pat):
        response = httpx.get(server.url + PROFILE, headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.json()["id"] == user_id
    as_password = httpx.get(server.url + PROFILE, auth=(email, pat))
    assert as_password.status_code == 200


def test_a_legacy_refresh_token_rotates_into_tokens_with_a_mac(server, ctx, owner):
    user_id, _, _ = owner
    app = register_app(ctx, server.url, grant_types=["authorization_code", "refresh_token"])
    refresh = legacy(Kind.REFRESH)
    store_access(ctx, user_id, app.pk, legacy(Kind.ACCESS), refresh)
    form = {"grant_type": "refresh_token", "refresh_token": refresh}
    answer = httpx.post(server.url + "/oauth/token", data=form, auth=app.auth)
    assert answer.status_code == 200, answer.text
    pair = answer.json()
    assert ctx.tokens.kind_of(pair["access_token"]) is Kind.ACCESS
    assert len(pair["access_token"]) > len(refresh)  # the new shape
    assert TokenKeys("another key").kind_of(pair["refresh_token"]) is None
    assert httpx.get(server.url + PROFILE, headers=bearer(pair["access_token"])).status_code == 200


def test_with_legacy_tokens_off_they_are_refused_without_a_query(backend, ctx, owner):
    user_id, _, client_pk = owner
    access = legacy(Kind.ACCESS)
    store_access(ctx, user_id, client_pk, access)
    current = ctx.tokens.mint(Kind.ACCESS)
    store_access(ctx, user_id, client_pk, current)
    with settings_env({**backend.env, "CIVICAUTH_LEGACY_TOKENS": "false"}):
        strict = create_app(Settings())
    with recording(strict) as seen, TestClient(strict, base_url="http://127.0.0.1:8000") as client:
        refused = client.get(PROFILE, headers=bearer(access))
        assert seen == []
        assert refused.status_code == 401
        assert client.get(PROFILE, headers=bearer(current)).status_code == 200
    strict.state.ctx.db.dispose()


# -- key rotation ------------------------------------------------------------


def test_a_rotated_secret_key_keeps_tokens_with_the_previous_key_and_only_then(
    backend, ctx, owner, tmp_path_factory
):
    user_id, _, client_pk = owner
    old_access = ctx.tokens.mint(Kind.ACCESS)
    store_access(ctx, user_id, client_pk, old_access)
    old_pat = store_personal(ctx, user_id)
    old_key = backend.env["CIVICAUTH_SECRET_KEY"]
    new_key = "rotated-" + uuid.uuid4().hex
    rotated = {**backend.env, "CIVICAUTH_SECRET_KEY": new_key}
    tmp = tmp_path_factory.mktemp("rotated")
    with live_server({**rotated, "CIVICAUTH_SECRET_KEY_PREVIOUS": old_key}, tmp) as running:
        for token in (old_access, old_pat):
            response = httpx.get(running.url + PROFILE, headers=bearer(token))
            assert response.status_code == 200, response.text
    new_access = TokenKeys(new_key).mint(Kind.ACCESS)
    store_access(ctx, user_id, client_pk, new_access)
    with live_server(rotated, tmp) as running:
        for token in (old_access, old_pat):
            response = httpx.get(running.url + PROFILE, headers=bearer(token))
            assert response.status_code == 401
            assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert httpx.get(running.url + PROFILE, headers=bearer(new_access)).status_code == 200
