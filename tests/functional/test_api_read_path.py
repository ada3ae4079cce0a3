"""The cost of an authenticated API read, counted in database statements.

With the credential cache off (``CIVICAUTH_AUTH_CACHE_SECONDS=0``) every
request asks the database again, so each one shows what a lookup costs: one
statement for a bearer token or a Basic revalidation, and none on the pages'
session table even when the request carries a signed-in session cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from civicauth.accounts.factors.models import WebAuthnCredential
from civicauth.accounts.models import User
from civicauth.db import utcnow
from civicauth.path_ids import ids_in_range
from civicauth.tokens.models import PersonalAccessToken
from civicauth.tokens.personal import create_personal_token
from tests.functional.oauth_support import register_app
from tests.functional.pages import csrf_of
from tests.grants import issue_tokens

SETTINGS = {"CIVICAUTH_AUTH_CACHE_SECONDS": "0"}
PROFILE = "/api/v2/profile"


@pytest.fixture
def statements(app) -> Iterator[list[str]]:
    """The SQL the app's own engine runs for requests while the test does
    (not the mail sender's, which polls its outbox on the same engine)."""
    engine = app.state["ctx"].db.engine
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if "mail_messages" not in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


@contextmanager
def counting(statements: list[str]) -> Iterator[list[str]]:
    """The statements run inside the block."""
    start = len(statements)
    run: list[str] = []
    yield run
    run.extend(statements[start:])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_access_token_read_is_one_statement(client, ctx, make_user, statements):
    user_id, email, _ = make_user()
    app = register_app(ctx)
    token, _ = issue_tokens(ctx, user_id, app.pk, scope="public")
    for _ in range(2):
        with counting(statements) as run:
            answer = client.get(PROFILE, headers=bearer(token))
        assert answer.status_code == 200
        assert answer.json()["id"] == user_id
        assert answer.json()["email"] == email
        assert len(run) == 1, run


def test_the_one_statement_sees_a_revocation_and_the_counts(client, ctx, make_user, statements):
    user_id, _, _ = make_user()
    app = register_app(ctx)
    token, _ = issue_tokens(ctx, user_id, app.pk)
    report = client.post(
        "/api/v2/issues",
        json={"summary": "Pothole", "lat": 41.3, "lng": -72.9, "address": "1 Elm St"},
        headers=bearer(token),
    )
    assert report.status_code == 201, report.text
    assert client.get(PROFILE, headers=bearer(token)).json()["reported_issue_count"] == 1
    assert client.post("/oauth/revoke", data={"token": token}, auth=app.auth).status_code == 200
    assert client.get(PROFILE, headers=bearer(token)).status_code == 401


def test_a_personal_token_read_is_one_statement_once_its_use_is_noted(
    client, ctx, make_user, statements
):
    user_id, _, _ = make_user()
    with ctx.db.transaction() as session:
        _, token = create_personal_token(
            session, user_id, name="script", expires_in="30", scopes=["public"]
        )
    with counting(statements) as first:
        assert client.get(PROFILE, headers=bearer(token)).json()["id"] == user_id
    # The first use in a minute also writes last_used_at.
    assert len(first) == 2, first
    with ctx.db.read() as session:
        assert session.scalar(select(PersonalAccessToken.last_used_at)) is not None
    with counting(statements) as later:
        assert client.get(PROFILE, headers=bearer(token)).json()["id"] == user_id
    assert len(later) == 1, later


def test_an_expired_personal_token_is_refused(client, ctx, make_user):
    user_id, _, _ = make_user()
    with ctx.db.transaction() as session:
        pat, token = create_personal_token(
            session, user_id, name="old", expires_in="30", scopes=["public"]
        )
        pat_id = pat.id
    assert client.get(PROFILE, headers=bearer(token)).status_code == 200
    with ctx.db.transaction() as session:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == pat_id)
            .values(expires_at=utcnow())
        )
    assert client.get(PROFILE, headers=bearer(token)).status_code == 401


def test_a_basic_revalidation_is_one_statement(client, make_user, statements):
    user_id, email, password = make_user()
    assert client.get(PROFILE, auth=(email, password)).json()["id"] == user_id  # argon2
    with counting(statements) as run:
        assert client.get(PROFILE, auth=(email, password)).json()["id"] == user_id
    assert len(run) == 1, run


def test_the_revalidation_sees_a_new_passkey(client, ctx, make_user):
    """The second-factor flag is read in the same statement: adding a passkey
    turns the cached Basic credential into a refusal at once."""
    user_id, email, password = make_user()
    assert client.get(PROFILE, auth=(email, password)).status_code == 200
    with ctx.db.transaction() as session:
        session.add(
            WebAuthnCredential(
                user_id=user_id,
                credential_id=b"read-path-test",
                public_key=b"key",
                sign_count=0,
                name="a key",
            )
        )
    refused = client.get(PROFILE, auth=(email, password))
    assert refused.status_code == 401
    assert "personal access token" in refused.json()["error_description"]


def test_an_api_read_never_touches_the_session_table(client, make_user, statements):
    _, email, password = make_user()
    login = client.get("/login")
    signed_in = client.post(
        "/login",
        data={"email": email, "password": password, "_csrf_token": csrf_of(login.text)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    assert client.cookies.get("civicauth_session")
    with counting(statements) as run:
        answer = client.get(PROFILE, auth=(email, password))
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
    assert not [s for s in run if "web_sessions" in s], run


def test_every_route_with_an_id_is_checked(app):
    """Every handler that takes an id from its path is under the ids check:
    the API's middleware or the pages' guard (civicauth/path_ids.py)."""
    unchecked = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            wanted = handler.parsed_fn_signature.parameters
            ids = [p for p in route.path_parameters if wanted.get(p) is not None]
            ids = [p for p in ids if wanted[p].annotation is int]
            if not ids:
                continue
            guarded = ids_in_range in handler.resolve_guards()
            if not (route.path.startswith("/api/v2/") or guarded):
                unchecked.append(route.path)
    assert not unchecked


def test_autocommit_reads_leave_the_pool_transactional(client, app, ctx, make_user):
    """The lookups borrow pooled connections in autocommit; a connection
    they return must roll back again for everyone else."""
    user_id, _, _ = make_user(name="Kept Name")
    token, _ = issue_tokens(ctx, user_id, register_app(ctx).pk, scope="public")
    assert client.get(PROFILE, headers=bearer(token)).json()["name"] == "Kept Name"

    def rename_then_fail() -> None:
        with app.state["ctx"].db.transaction() as session:
            session.execute(update(User).where(User.id == user_id).values(name="Rolled Back"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        rename_then_fail()
    assert client.get(PROFILE, headers=bearer(token)).json()["name"] == "Kept Name"
