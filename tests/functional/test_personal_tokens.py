"""Personal access tokens on API v2 over real HTTP: as a Bearer token, as the
Basic password (user ``__token__`` or the owner's email), with their scopes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from civicauth.db import utcnow
from civicauth.tokens.models import PersonalAccessToken
from civicauth.tokens.personal import create_personal_token


@pytest.fixture
def make_token(ctx):
    def make(user_id: int, scopes: tuple[str, ...] = ("public", "write"), expires: str = "30"):
        with ctx.db.transaction() as session:
            _, secret = create_personal_token(
                session, user_id, name="script", expires_in=expires, scopes=list(scopes)
            )
        return secret

    return make


def profile(server, **kwargs) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v2/profile", **kwargs)


def test_bearer_token_acts_as_its_owner(server, make_user, make_token):
    user_id, email, _ = make_user()
    token = make_token(user_id)
    answer = profile(server, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json()["id"] == user_id
    assert answer.json()["email"] == email


@pytest.mark.parametrize("username", ["__token__", "email", "EMAIL"])
def test_token_as_basic_password(server, make_user, make_token, username):
    user_id, email, _ = make_user()
    token = make_token(user_id)
    name = {"__token__": "__token__", "email": email, "EMAIL": email.upper()}[username]
    answer = profile(server, auth=(name, token))
    assert answer.status_code == 200
    assert answer.json()["id"] == user_id


def test_token_with_someone_elses_email_is_refused(server, make_user, make_token):
    user_id, _, _ = make_user()
    _, other_email, _ = make_user()
    answer = profile(server, auth=(other_email, make_token(user_id)))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_public_only_token_cannot_write(server, make_user, make_token):
    user_id, _, _ = make_user()
    token = make_token(user_id, scopes=("public",))
    answer = httpx.put(
        f"{server.url}/api/v2/profile",
        json={"name": "New Name"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
    assert 'scope="write"' in answer.headers["www-authenticate"]
    # Reading is still allowed with the public scope.
    assert profile(server, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_write_token_can_write(server, make_user, make_token):
    user_id, _, _ = make_user()
    token = make_token(user_id, scopes=("public", "write"))
    answer = httpx.put(
        f"{server.url}/api/v2/profile",
        json={"name": "Renamed Resident"},
        auth=("__token__", token),
    )
    assert answer.status_code == 200
    assert answer.json()["name"] == "Renamed Resident"


def test_expired_token_is_invalid(server, ctx, make_user, make_token):
    user_id, _, _ = make_user()
    token = make_token(user_id, expires="7")
    with ctx.db.transaction() as session:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.user_id == user_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    answer = profile(server, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert profile(server, auth=("__token__", token)).status_code == 401


def test_never_expiring_token_has_no_expiry(ctx, make_user, make_token):
    user_id, _, _ = make_user()
    make_token(user_id, expires="never")
    with ctx.db.read() as session:
        pat = session.query(PersonalAccessToken).filter_by(user_id=user_id).one()
    assert pat.expires_at is None


def test_mistyped_token_is_invalid(server, make_user, make_token):
    user_id, _, _ = make_user()
    token = make_token(user_id)
    typo = token[:-1] + ("A" if token[-1] != "A" else "B")
    answer = profile(server, headers={"Authorization": f"Bearer {typo}"})
    assert answer.status_code == 401
