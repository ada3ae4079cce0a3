"""Personal access tokens: creation rules, shown once, revocation by the owner only."""

from __future__ import annotations

import pytest

from civicauth.errors import NotFound, ValidationFailed
from civicauth.tokens import personal, secrets


def create(ctx, user_id, **overrides):
    fields = {"name": "script", "expires_in": "30", "scopes": ["public"], **overrides}
    with ctx.db.transaction() as session:
        token, secret = personal.create_personal_token(session, user_id, **fields)
        return token, secret


def test_secret_is_stored_only_as_digest(ctx, make_user):
    user_id, _, _ = make_user()
    token, secret = create(ctx, user_id, scopes=["write", "public"])
    assert secrets.kind_of(secret) is secrets.Kind.PERSONAL
    assert token.token_digest == secrets.digest(secret)
    assert token.display_prefix == secret[:12]
    assert token.scope == "public write"
    assert (token.expires_at - token.created_at).days == 30


def test_each_bad_field_is_named(ctx, make_user):
    user_id, _, _ = make_user()
    with pytest.raises(ValidationFailed) as caught:
        create(ctx, user_id, name="  ", expires_in="forever", scopes=["admin"])
    assert caught.value.errors == {
        "name": ["can't be blank"],
        "expires_in": ["is not one of the choices"],
        "scopes": ["include unknown scopes: admin"],
    }
    with pytest.raises(ValidationFailed) as caught:
        create(ctx, user_id, name="x" * 101, scopes=[])
    assert set(caught.value.errors) == {"name", "scopes"}


def test_live_tokens_are_capped(ctx, make_user, monkeypatch):
    monkeypatch.setattr(personal, "MAX_LIVE_TOKENS", 2)
    user_id, _, _ = make_user()
    first, _ = create(ctx, user_id)
    create(ctx, user_id)
    with pytest.raises(ValidationFailed) as caught:
        create(ctx, user_id)
    assert "revoke a token first" in caught.value.errors["name"][0]
    with ctx.db.transaction() as session:
        personal.revoke_personal_token(session, user_id, first.id)
    create(ctx, user_id)


def test_only_the_owner_revokes_and_revoked_tokens_leave_the_list(ctx, make_user):
    owner, _, _ = make_user()
    stranger, _, _ = make_user()
    token, _ = create(ctx, owner)
    with ctx.db.transaction() as session, pytest.raises(NotFound):
        personal.revoke_personal_token(session, stranger, token.id)
    with ctx.db.transaction() as session:
        assert [t.id for t in personal.personal_tokens_of(session, owner)] == [token.id]
        personal.revoke_personal_token(session, owner, token.id)
    with ctx.db.transaction() as session:
        assert personal.personal_tokens_of(session, owner) == []
        with pytest.raises(NotFound):
            personal.revoke_personal_token(session, owner, token.id)
