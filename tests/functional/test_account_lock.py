"""A locked account cannot sign in, nor call the API by any method (its
password over Basic, a bearer access token, a personal access token as a
bearer or as the Basic password), nor refresh its apps' tokens, on every
worker within a second; unlocking it gives everything back."""

from __future__ import annotations

import httpx
import pytest

from civicauth.accounts.models import User
from civicauth.accounts.operators import lock_user, unlock_user
from civicauth.auth.errors import LOCKED
from civicauth.tokens.personal import create_personal_token
from tests.cluster import settles_within
from tests.functional.oauth_support import Resident, code_grant, register_app
from tests.functional.pages import csrf_of
from tests.support import live_server

PROFILE = "/api/v2/profile"


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Two workers: a lock made through one process is seen by both."""
    with live_server(backend.env, tmp_path_factory.mktemp("server"), workers=2) as running:
        yield running


# Slack for a loaded machine; the one-second bound itself is the cache's
# freshness (civicauth/auth/cache.py), which tests/functional/test_cluster.py measures.
SETTLES_WITHIN = 5.0


def set_lock(ctx, user_id: int, locked: bool) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        if locked:
            assert lock_user(session, user, None, "reported as hijacked")
        else:
            assert unlock_user(session, user, None)


@pytest.fixture
def credentials(server, ctx, make_user):  # type: ignore[no-untyped-def]
    """A resident signed in, with a personal access token and an app's
    access and refresh tokens, each used once (so each is cached)."""
    user_id, email, password = make_user()
    with ctx.db.transaction() as session:
        _, pat = create_personal_token(
            session, user_id, name="script", expires_in="30", scopes=["public"]
        )
    app = register_app(ctx, server.url)
    resident = Resident(server.url, email, password, user_id).sign_in()
    tokens = code_grant(server, resident, app)
    found = {
        "user_id": user_id,
        "email": email,
        "password": password,
        "app": app,
        "resident": resident,
        "requests": {
            "basic": {"auth": (email, password)},
            "bearer": {"headers": {"Authorization": f"Bearer {tokens['access_token']}"}},
            "personal": {"headers": {"Authorization": f"Bearer {pat}"}},
            "personal as basic": {"auth": ("__token__", pat)},
        },
        "refresh_token": tokens["refresh_token"],
    }
    for kwargs in found["requests"].values():  # type: ignore[attr-defined]
        assert httpx.get(server.url + PROFILE, **kwargs).status_code == 200
    yield found
    resident.close()


def refresh(server, app, refresh_token: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return httpx.post(server.url + "/oauth/token", data=data, auth=app.auth)


def test_a_locked_account_is_refused_everywhere_and_unlocked_in_one_step(server, ctx, credentials):
    set_lock(ctx, credentials["user_id"], True)
    for method, kwargs in credentials["requests"].items():
        # Both workers, each with its own cache: ten answers in a row reach both.
        settles_within(
            lambda kw=kwargs: httpx.get(server.url + PROFILE, **kw).status_code == 401,
            SETTLES_WITHIN,
        )
        answer = httpx.get(server.url + PROFILE, **kwargs)
        assert answer.status_code == 401, method
        assert answer.json()["error_description"] == LOCKED, method
        challenge = answer.headers["www-authenticate"]
        scheme = "Basic" if "basic" in method else "Bearer"
        assert challenge.startswith(scheme), (method, challenge)
        assert "locked" in challenge
        expected = "invalid_credentials" if scheme == "Basic" else "invalid_token"
        assert answer.json()["error"] == expected, method

    # The app cannot refresh for the account either; nothing is spent.
    refused = refresh(server, credentials["app"], credentials["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "locked" in refused.json()["error_description"]

    # The resident's browser was signed out, and cannot sign in again.
    page = credentials["resident"].http.get("/account/security")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")
    http = credentials["resident"].http
    token = csrf_of(http.get("/login").text)
    fields = {"email": credentials["email"], "_csrf_token": token}
    wrong = http.post("/login", data={**fields, "password": "not the password"})
    assert wrong.status_code == 400
    assert "locked" not in wrong.text  # a guesser is not told
    right = http.post("/login", data={**fields, "password": credentials["password"]})
    assert right.status_code == 403
    assert "This account is locked" in right.text
    assert http.get("/account/security").status_code == 303

    set_lock(ctx, credentials["user_id"], False)
    for kwargs in credentials["requests"].values():
        settles_within(
            lambda kw=kwargs: httpx.get(server.url + PROFILE, **kw).status_code == 200,
            SETTLES_WITHIN,
        )
    renewed = refresh(server, credentials["app"], credentials["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert credentials["resident"].sign_in() is not None


def test_a_wrong_password_of_a_locked_account_says_nothing_of_the_lock(server, ctx, make_user):
    user_id, email, _ = make_user()
    set_lock(ctx, user_id, True)
    answer = httpx.get(server.url + PROFILE, auth=(email, "a wrong password"))
    assert answer.status_code == 401
    assert "locked" not in answer.text
    assert "locked" not in answer.headers["www-authenticate"]


def test_introspection_calls_a_locked_accounts_or_suspended_apps_token_inactive(
    server, ctx, make_user
):
    from civicauth.clients import decisions
    from civicauth.clients.services import find_client
    from tests.grants import issue_tokens

    user_id, _, _ = make_user()
    app = register_app(ctx, server.url)
    access, _ = issue_tokens(ctx, user_id, app.pk)

    def active() -> bool:
        answer = httpx.post(server.url + "/oauth/introspect", data={"token": access}, auth=app.auth)
        assert answer.status_code == 200
        return bool(answer.json()["active"])

    assert active()
    set_lock(ctx, user_id, True)
    assert not active()
    set_lock(ctx, user_id, False)
    assert active()
    with ctx.db.transaction() as session:
        client = find_client(session, app.client_id)
        assert client is not None
        decisions.suspend(session, client, None, "abuse")
    assert not active()
