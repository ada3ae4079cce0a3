"""The developer portal's rules: ownership, review, edits, deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civicauth.clients import portal
from civicauth.clients.models import Client
from civicauth.clients.services import Registration
from civicauth.errors import NotFound, ValidationFailed
from civicauth.tokens.models import Authorization, OAuthToken
from tests.functional.oauth_support import APP_DETAILS
from tests.grants import issue_tokens


def registration(**changes) -> Registration:
    values = {**APP_DETAILS, "redirect_uris": ["https://pothole.example/cb"], **changes}
    return Registration(**values)


def register(ctx, owner_id, auto_approve=False, **changes):
    with ctx.db.transaction() as session:
        client, secret = portal.register_own_application(
            session, owner_id, registration(**changes), auto_approve=auto_approve
        )
        return client, secret


def test_new_apps_wait_for_review_unless_auto_approved(ctx, make_user):
    owner, _, _ = make_user()
    pending, secret = register(ctx, owner)
    approved, _ = register(ctx, owner, auto_approve=True)
    assert (pending.status, approved.status) == ("pending", "approved")
    assert pending.owner_id == owner
    assert secret is not None


def test_only_the_owner_sees_an_app(ctx, make_user):
    owner, _, _ = make_user()
    stranger, _, _ = make_user()
    client, _ = register(ctx, owner)
    with ctx.db.read() as session:
        assert portal.own_application(session, owner, client.client_id).id == client.id
        assert [c.id for c in portal.applications_of(session, owner)] == [client.id]
        assert portal.applications_of(session, stranger) == []
        for who, client_id in ((stranger, client.client_id), (owner, "no-such-app")):
            with pytest.raises(NotFound):
                portal.own_application(session, who, client_id)


def test_edit_validates_and_keeps_the_type(ctx, make_user):
    owner, _, _ = make_user()
    client, _ = register(ctx, owner)
    with ctx.db.transaction() as session:
        mine = portal.own_application(session, owner, client.client_id)
        with pytest.raises(ValidationFailed) as caught:
            portal.update_application(
                session, mine, registration(redirect_uris=["ftp://x/cb"]), auto_approve=False
            )
        assert set(caught.value.errors) == {"redirect_uris"}
        changed = registration(
            name=" Renamed ", is_public=True, redirect_uris=["https://a.example/cb"] * 2
        )
        portal.update_application(session, mine, changed, auto_approve=False)
    with ctx.db.read() as session:
        stored = portal.own_application(session, owner, client.client_id)
    assert (stored.name, stored.is_public) == ("Renamed", False)
    assert stored.redirect_uris == ["https://a.example/cb"]


def test_delete_takes_consents_and_tokens_along(ctx, make_user):
    owner, _, _ = make_user()
    resident, _, _ = make_user()
    client, _ = register(ctx, owner)
    issue_tokens(ctx, resident, client.id)
    with ctx.db.transaction() as session:
        portal.delete_application(session, portal.own_application(session, owner, client.client_id))
    with ctx.db.read() as session:
        assert session.get(Client, client.id) is None
        assert (
            session.scalars(select(OAuthToken).where(OAuthToken.client_pk == client.id)).all() == []
        )
        assert (
            session.scalars(select(Authorization).where(Authorization.client_pk == client.id)).all()
            == []
        )


def test_applications_per_owner_are_capped(ctx, make_user, monkeypatch):
    monkeypatch.setattr(portal, "MAX_APPLICATIONS_PER_OWNER", 1)
    owner, _, _ = make_user()
    register(ctx, owner)
    with pytest.raises(ValidationFailed) as caught:
        register(ctx, owner)
    assert "at most 1 applications" in caught.value.errors["name"][0]
