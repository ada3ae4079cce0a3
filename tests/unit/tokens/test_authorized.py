"""Which applications can act for a user, and revoking one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from civicauth.db import utcnow
from civicauth.errors import NotFound
from civicauth.tokens import authorized
from civicauth.tokens.authorizations import find_authorization
from civicauth.tokens.models import Authorization, OAuthToken
from civicauth.tokens.oauth_tokens import RefreshLifetimes
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens

LIFETIMES = RefreshLifetimes(idle=timedelta(days=30), absolute=timedelta(days=365))


def listed(ctx, user_id):
    with ctx.db.read() as session:
        return authorized.authorized_applications(session, user_id, LIFETIMES)


def test_lists_apps_with_their_scopes_and_first_date(ctx, make_user):
    user_id, _, _ = make_user()
    other_user, _, _ = make_user()
    zebra = register_app(ctx, name="Zebra Crossing")
    pothole = register_app(ctx, name="Pothole Pal", organization="Civic Apps Ltd")
    issue_tokens(ctx, user_id, zebra.pk, "public")
    issue_tokens(ctx, user_id, pothole.pk, "public")
    issue_tokens(ctx, user_id, pothole.pk, "write")
    issue_tokens(ctx, other_user, register_app(ctx, name="Not Mine").pk)
    apps = listed(ctx, user_id)
    assert [(a.name, a.scopes) for a in apps] == [
        ("Pothole Pal", ("public", "write")),
        ("Zebra Crossing", ("public",)),
    ]
    assert apps[0].organization == "Civic Apps Ltd"
    with ctx.db.read() as session:
        consent = find_authorization(session, user_id, pothole.pk)
    assert consent is not None
    assert apps[0].since <= consent.created_at


def test_an_app_holding_only_a_usable_refresh_token_is_listed(ctx, make_user):
    user_id, _, _ = make_user()
    app = register_app(ctx)
    issue_tokens(ctx, user_id, app.pk, ttl=-60)  # the access token has expired
    with ctx.db.transaction() as session:
        session.execute(delete(Authorization).where(Authorization.user_id == user_id))
    assert [a.client_id for a in listed(ctx, user_id)] == [app.client_id]
    with ctx.db.transaction() as session:
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.user_id == user_id)
            .values(refresh_rotated_at=utcnow())
        )
    assert listed(ctx, user_id) == []


@pytest.mark.parametrize(
    "expired",
    [
        {"issued_at": utcnow() - timedelta(days=31)},
        {"grant_issued_at": utcnow() - timedelta(days=366)},
    ],
    ids=["idle", "absolute"],
)
def test_an_app_holding_only_an_expired_refresh_token_is_not_listed(ctx, make_user, expired):
    user_id, _, _ = make_user()
    app = register_app(ctx)
    issue_tokens(ctx, user_id, app.pk, ttl=-60)
    with ctx.db.transaction() as session:
        session.execute(delete(Authorization).where(Authorization.user_id == user_id))
        session.execute(update(OAuthToken).where(OAuthToken.user_id == user_id).values(**expired))
    assert listed(ctx, user_id) == []


def test_revoking_ends_tokens_and_consent_for_this_user_only(ctx, make_user):
    user_id, _, _ = make_user()
    neighbour, _, _ = make_user()
    app = register_app(ctx)
    issue_tokens(ctx, user_id, app.pk)
    issue_tokens(ctx, neighbour, app.pk)
    with ctx.db.transaction() as session:
        assert (
            authorized.revoke_application(session, user_id, app.client_id, LIFETIMES).name
            == "Pothole Pal"
        )
    assert listed(ctx, user_id) == []
    assert len(listed(ctx, neighbour)) == 1
    with ctx.db.read() as session:
        tokens = session.scalars(select(OAuthToken).where(OAuthToken.user_id == user_id)).all()
        assert find_authorization(session, user_id, app.pk) is None
    assert all(t.revoked_at is not None for t in tokens)
    with ctx.db.transaction() as session, pytest.raises(NotFound):
        authorized.revoke_application(session, user_id, app.client_id, LIFETIMES)


def test_an_app_the_user_never_authorized_is_not_found(ctx, make_user):
    user_id, _, _ = make_user()
    app = register_app(ctx)
    with ctx.db.read() as session, pytest.raises(NotFound):
        authorized.find_authorized_application(session, user_id, app.client_id, LIFETIMES)
