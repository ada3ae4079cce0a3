"""What POST /oauth/token asks of the database: one transaction per request,
the client read once, one INSERT per issued token and one UPDATE per code
claimed or refresh token rotated. On SQLite the transaction reads before it
takes the write lock, holds it from its first write (BEGIN IMMEDIATE) to its
end, and many concurrent token requests to two workers all succeed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from civicauth.tokens import codes, secrets
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens
from tests.support import live_server

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def oauth_app(ctx):
    return register_app(
        ctx, grant_types=["authorization_code", "refresh_token", "client_credentials"]
    )


@contextmanager
def statements(client: Any) -> Iterator[list[str]]:
    """The SQL the in-process app runs inside the block, in order."""
    engine = client.app.state["ctx"].db.engine
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The mail outbox polls from its own thread meanwhile; not ours.
        if "mail_messages" not in statement:
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def starting(seen: list[str], prefix: str) -> list[str]:
    return [s for s in seen if s.upper().startswith(prefix.upper())]


def token_request(client: Any, app: Any, body: dict[str, str]) -> dict[str, Any]:
    response = client.post("/oauth/token", data=body, auth=app.auth, headers=FORM)
    assert response.status_code == 200, response.text
    return dict(response.json())


WRITES = ("INSERT", "UPDATE", "DELETE")


def check_one_transaction(seen: list[str], ctx: Any) -> None:
    """The client is read once, the audit log gets one row, and on SQLite
    the write lock is taken right before the first write, after the client
    was read (reads need no lock, so they do not keep other writers waiting)."""
    assert len(starting(seen, "SELECT clients.")) == 1
    assert len(starting(seen, "INSERT INTO audit_events")) == 1
    if ctx.settings.is_sqlite:
        assert starting(seen, "BEGIN") == ["BEGIN IMMEDIATE"]
        begin = seen.index("BEGIN IMMEDIATE")
        first_write = next(i for i, s in enumerate(seen) if s.upper().startswith(WRITES))
        assert first_write == begin + 1
        assert seen.index(starting(seen, "SELECT clients.")[0]) < begin


def test_client_credentials_read_the_client_once_and_insert_one_token(client, ctx, oauth_app):
    with statements(client) as seen:
        token_request(client, oauth_app, {"grant_type": "client_credentials"})
    check_one_transaction(seen, ctx)
    assert len(starting(seen, "INSERT INTO oauth_tokens")) == 1
    assert starting(seen, "UPDATE") == []


def test_a_code_exchange_claims_the_code_with_one_update(client, ctx, oauth_app, make_user):
    user_id, _, _ = make_user()
    code = ctx.tokens.mint(secrets.Kind.CODE)
    with ctx.db.transaction() as session:
        codes.store_code(
            session,
            code,
            client_pk=oauth_app.pk,
            user_id=user_id,
            redirect_uri=oauth_app.redirect_uri,
            scope="public",
            ttl=600,
        )
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": oauth_app.redirect_uri,
    }
    with statements(client) as seen:
        token = token_request(client, oauth_app, body)
    check_one_transaction(seen, ctx)
    assert len(starting(seen, "UPDATE authorization_codes")) == 1
    assert starting(seen, "UPDATE") == starting(seen, "UPDATE authorization_codes")
    assert len(starting(seen, "INSERT INTO oauth_tokens")) == 1
    # The code is spent all the same: a replay is refused.
    again = client.post("/oauth/token", data=body, auth=oauth_app.auth, headers=FORM)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert "refresh_token" in token


def test_a_refresh_rotates_with_one_update_and_one_insert(client, ctx, oauth_app, make_user):
    user_id, _, _ = make_user()
    _, refresh = issue_tokens(ctx, user_id, oauth_app.pk, scope="public")
    body = {"grant_type": "refresh_token", "refresh_token": refresh}
    with statements(client) as seen:
        token_request(client, oauth_app, body)
    check_one_transaction(seen, ctx)
    assert len(starting(seen, "UPDATE oauth_tokens")) == 1
    assert starting(seen, "UPDATE") == starting(seen, "UPDATE oauth_tokens")
    assert len(starting(seen, "INSERT INTO oauth_tokens")) == 1
    # The old refresh token is spent: using it again ends the grant.
    again = client.post("/oauth/token", data=body, auth=oauth_app.auth, headers=FORM)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_concurrent_token_requests_to_two_workers_all_succeed(backend, ctx, oauth_app, tmp_path):
    """Each worker's token transactions queue for the database's write lock;
    none fails with a locked database or waits past the client's timeout."""
    with live_server(backend.env, tmp_path, workers=2) as server:

        def one(_: int) -> int:
            response = httpx.post(
                server.url + "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=oauth_app.auth,
                timeout=30,
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(one, range(200)))
    assert statuses == [200] * 200
