"""Edits of an approved app wait for review; others apply at once."""

from __future__ import annotations

import pytest

from civicauth.clients import review
from civicauth.clients.models import Client
from civicauth.clients.services import Registration, register_client
from civicauth.errors import NotFound, ValidationFailed
from tests.functional.oauth_support import APP_DETAILS

LIVE_URI = "https://pothole.example/cb"


def registration(**changes: object) -> Registration:
    values: dict[str, object] = {**APP_DETAILS, "redirect_uris": [LIVE_URI], **changes}
    return Registration(**values)  # type: ignore[arg-type]


def app_in(session, status: str) -> Client:  # type: ignore[no-untyped-def]
    client, _ = register_client(session, registration(), status=status)
    return client


@pytest.mark.parametrize("status", ["approved", "suspended"])
def test_reviewed_fields_of_an_approved_or_suspended_app_wait(ctx, status):
    with ctx.db.transaction() as session:
        client = app_in(session, status)
        edit = registration(name=" New Name ", redirect_uris=["https://b.example/cb"] * 2)
        assert review.propose_change(session, client, edit) == ["name", "redirect_uris"]
        assert (client.name, client.redirect_uris) == ("Pothole Pal", [LIVE_URI])
        assert client.pending_change == {
            "name": "New Name",
            "redirect_uris": ["https://b.example/cb"],
        }
        assert client.change_proposed_at is not None
        assert review.pending_changes(client)[1] == review.FieldChange(
            "redirect_uris", [LIVE_URI], ["https://b.example/cb"]
        )
        assert review.approve_change(session, client) == ["name", "redirect_uris"]
        assert (client.name, client.redirect_uris) == ("New Name", ["https://b.example/cb"])
        assert client.status == status  # approving a change does not reinstate
        assert client.pending_change is None


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_an_app_not_approved_takes_edits_directly(ctx, status):
    with ctx.db.transaction() as session:
        client = app_in(session, status)
        assert review.propose_change(session, client, registration(name="Renamed")) == []
        assert (client.name, client.pending_change) == ("Renamed", None)


def test_auto_approve_applies_and_clears(ctx):
    with ctx.db.transaction() as session:
        client = app_in(session, "approved")
        review.propose_change(session, client, registration(name="Waits"))
        review.propose_change(session, client, registration(scopes="public"), auto_approve=True)
        assert (client.name, client.scopes) == ("Pothole Pal", "public")
        assert client.pending_change is None


def test_another_order_of_grant_types_or_scopes_is_no_change(ctx):
    with ctx.db.transaction() as session:
        client = app_in(session, "approved")
        edit = registration(
            scopes="write public", grant_types=["refresh_token", "authorization_code"]
        )
        assert review.propose_change(session, client, edit) == []
        assert client.pending_change is None


def test_invalid_edit_changes_nothing(ctx):
    with ctx.db.transaction() as session:
        client = app_in(session, "approved")
        bad = registration(name="Fine", technical_contact_email="nope")
        with pytest.raises(ValidationFailed):
            review.propose_change(session, client, bad)
        assert (client.technical_contact_email, client.pending_change) == (
            "tech@example.com",
            None,
        )


def test_proposed_values_overlay_the_live_ones(ctx):
    with ctx.db.transaction() as session:
        client = app_in(session, "approved")
        review.propose_change(session, client, registration(organization="Other Org"))
        proposed = review.proposed_values(client)
        assert (proposed["name"], proposed["organization"]) == ("Pothole Pal", "Other Org")


def test_nothing_pending_is_not_found(ctx):
    with ctx.db.transaction() as session:
        client = app_in(session, "approved")
        for act in (review.approve_change, review.reject_change):
            with pytest.raises(NotFound):
                act(session, client)
