"""OAuth token families: rotation, reuse, revocation, purge; codes used once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicauth.db import utcnow
from civicauth.tokens import codes, oauth_tokens, secrets
from civicauth.tokens.authorizations import has_consent, record_consent, revoke_authorization
from civicauth.tokens.models import OAuthToken
from civicauth.tokens.oauth_tokens import NewToken, RefreshExpiry, RefreshLifetimes, Rotation
from tests.functional.oauth_support import register_app
from tests.token_support import forged

LIFETIMES = RefreshLifetimes(idle=timedelta(days=30), absolute=timedelta(days=365))


class NoDatabase:
    """A session that fails the test if anything asks it for data (it holds
    token keys, as every session does, under a key of its own)."""

    info = secrets.session_info(secrets.TokenKeys("this session's own key"))

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the database was asked ({name})")


@pytest.fixture
def owner(ctx, make_user):
    user_id, _, _ = make_user()
    return user_id, register_app(ctx).pk


def new_row(session, user_id: int, client_pk: int, **changes: object) -> OAuthToken:
    values: dict[str, object] = {
        "client_pk": client_pk,
        "user_id": user_id,
        "scope": "public",
        "access_token": secrets.keys_of(session).mint(secrets.Kind.ACCESS),
        "refresh_token": secrets.keys_of(session).mint(secrets.Kind.REFRESH),
        "ttl": 60,
        "grant_id": oauth_tokens.new_grant_id(),
    }
    values.update(changes)
    return oauth_tokens.store_token(session, NewToken(**values))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "cva_short",
        "cva_" + "A" * 38,
        forged(secrets.Kind.PERSONAL),
        # Well-formed, good checksum, mac under another key: refused unread.
        forged(secrets.Kind.ACCESS),
        forged(secrets.Kind.REFRESH),
        forged(secrets.Kind.CODE),
    ],
)
def test_malformed_tokens_and_codes_cost_no_database_read(token):
    assert oauth_tokens.find_by_access_token(NoDatabase(), token) is None  # type: ignore[arg-type]
    assert oauth_tokens.find_by_refresh_token(NoDatabase(), token) is None  # type: ignore[arg-type]
    assert codes.claim_code(NoDatabase(), token, client_pk=1) == codes.ClaimOutcome()  # type: ignore[arg-type]


def test_rotation_is_fresh_once_then_reuse(ctx, owner):
    with ctx.db.transaction() as session:
        row = new_row(session, *owner)
        assert oauth_tokens.rotate_refresh(session, row, grace_seconds=0) is Rotation.FRESH
        assert oauth_tokens.rotate_refresh(session, row, grace_seconds=0) is Rotation.REUSED
        session.refresh(row)  # the claim is an UPDATE on the table
        assert not oauth_tokens.refresh_is_active(row, LIFETIMES)


def test_rotation_replays_only_within_the_grace_window(ctx, owner):
    with ctx.db.transaction() as session:
        row = new_row(session, *owner)
        now = utcnow()
        assert oauth_tokens.rotate_refresh(session, row, 10, now) is Rotation.FRESH
        later = now + timedelta(seconds=9)
        assert oauth_tokens.rotate_refresh(session, row, 10, later) is Rotation.REPLAY
        too_late = now + timedelta(seconds=11)
        assert oauth_tokens.rotate_refresh(session, row, 10, too_late) is Rotation.REUSED


def test_a_revoked_token_never_rotates(ctx, owner):
    with ctx.db.transaction() as session:
        row = new_row(session, *owner)
        oauth_tokens.revoke_token(session, row)
        assert oauth_tokens.rotate_refresh(session, row, 60) is Rotation.REUSED


def test_revoking_a_grant_ends_the_whole_family_only(ctx, owner):
    with ctx.db.transaction() as session:
        first = new_row(session, *owner)
        child = new_row(session, *owner, grant_id=first.grant_id, parent_id=first.id)
        stranger = new_row(session, *owner)
        assert oauth_tokens.revoke_grant(session, first.grant_id) == 2
        session.expire_all()
        assert first.revoked_at is not None
        assert child.revoked_at is not None
        assert stranger.revoked_at is None
        assert oauth_tokens.child_of(session, first).id == child.id


def test_codes_are_claimed_once(ctx, owner):
    user_id, client_pk = owner
    code = ctx.tokens.mint(secrets.Kind.CODE)
    with ctx.db.transaction() as session:
        row = codes.store_code(
            session,
            code,
            client_pk=client_pk,
            user_id=user_id,
            redirect_uri="",
            scope="public",
            ttl=60,
        )
        assert row.code_digest == secrets.digest(code)
        assert codes.claim_code(session, code, client_pk + 1) == codes.ClaimOutcome()
        first = codes.claim_code(session, code, client_pk)
        assert first.record is not None
        assert (first.record.id, first.record.user_id) == (row.id, user_id)
        assert not codes.is_expired(first.record)
        assert codes.claim_code(session, code, client_pk) == codes.ClaimOutcome(
            spent=(row.id, user_id)
        )


def test_a_code_replay_revokes_the_families_it_started(ctx, owner):
    user_id, client_pk = owner
    with ctx.db.transaction() as session:
        code = codes.store_code(
            session,
            ctx.tokens.mint(secrets.Kind.CODE),
            client_pk=client_pk,
            user_id=user_id,
            redirect_uri="",
            scope="public",
            ttl=60,
        )
        issued = new_row(session, *owner, code_id=code.id)
        rotated = new_row(session, *owner, grant_id=issued.grant_id, parent_id=issued.id)
        other = new_row(session, *owner)
        assert oauth_tokens.revoke_issued_from_code(session, code.id) == 2
        session.expire_all()
        assert rotated.revoked_at is not None
        assert other.revoked_at is None


def test_consent_accumulates_scopes_and_revoking_ends_everything(ctx, owner):
    user_id, client_pk = owner
    with ctx.db.transaction() as session:
        record_consent(session, user_id, client_pk, "public")
        assert has_consent(session, user_id, client_pk, "public")
        assert not has_consent(session, user_id, client_pk, "public write")
        record_consent(session, user_id, client_pk, "write")
        assert has_consent(session, user_id, client_pk, "write public")
        token = new_row(session, *owner)
        assert revoke_authorization(session, user_id, client_pk)
        session.expire_all()
        assert token.revoked_at is not None
        assert not has_consent(session, user_id, client_pk, "public")
        assert not revoke_authorization(session, user_id, client_pk)


def test_a_refresh_token_expires_idle_or_with_its_grant(ctx, owner):
    with ctx.db.transaction() as session:
        row = new_row(session, *owner)
        issued = row.issued_at
        assert row.grant_issued_at == issued
        assert oauth_tokens.refresh_expires_at(row, LIFETIMES) == issued + timedelta(days=30)
        assert oauth_tokens.refresh_is_active(row, LIFETIMES, issued + timedelta(days=29))
        idle_end = issued + timedelta(days=30)
        assert oauth_tokens.refresh_expiry(row, LIFETIMES, idle_end) is RefreshExpiry.IDLE
        assert not oauth_tokens.refresh_is_active(row, LIFETIMES, idle_end)
        # A child issued late in the grant's life ends with the grant, not idle.
        old = issued - timedelta(days=350)
        child = new_row(session, *owner, grant_id=row.grant_id, grant_issued_at=old)
        assert oauth_tokens.refresh_expires_at(child, LIFETIMES) == old + timedelta(days=365)
        grant_end = old + timedelta(days=365)
        assert oauth_tokens.refresh_expiry(child, LIFETIMES, grant_end) is RefreshExpiry.ABSOLUTE


def test_the_expiry_descriptions_name_the_lifetime():
    assert "2592000 seconds" in RefreshExpiry.IDLE.describe(LIFETIMES)
    assert "authorize the application again" in RefreshExpiry.ABSOLUTE.describe(LIFETIMES)
    assert "31536000 seconds" in RefreshExpiry.ABSOLUTE.describe(LIFETIMES)
