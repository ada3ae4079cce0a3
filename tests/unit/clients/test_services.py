"""Registered applications: validation, secrets shown once, redirect matching."""

from __future__ import annotations

import pytest

from civicauth.clients import services
from civicauth.clients.models import Client
from civicauth.clients.services import Registration
from civicauth.errors import NotFound, ValidationFailed
from civicauth.tokens import secrets


def registration(**changes: object) -> Registration:
    values: dict[str, object] = {
        "name": "Pothole Pal",
        "organization": "Civic Apps Ltd",
        "technical_contact_name": "Tess Tech",
        "technical_contact_email": "tech@example.com",
        "technical_contact_phone": "+1 (203) 555-0100",
        "admin_contact_name": "Adam Admin",
        "admin_contact_email": "admin@example.com",
        "admin_contact_phone": "203-555-0101",
        "redirect_uris": ["https://app.example.com/callback"],
    }
    values.update(changes)
    return Registration(**values)  # type: ignore[arg-type]


def test_register_stores_only_the_digest_of_the_secret(ctx):
    with ctx.db.transaction() as session:
        client, secret = services.register_client(session, registration())
        client_pk = client.id
    assert secret is not None
    assert secrets.kind_of(secret) is secrets.Kind.CLIENT_SECRET
    with ctx.db.read() as session:
        stored = session.get(Client, client_pk)
        assert stored is not None
        assert stored.client_secret_digest == secrets.digest(secret)
        assert secret not in repr(stored.__dict__)
        assert stored.status == "approved"
        assert stored.grant_types == "authorization_code refresh_token"
        assert services.verify_secret(stored, secret)
        assert not services.verify_secret(stored, secrets.mint_client_secret())
        assert not services.verify_secret(stored, "")


def test_public_apps_have_no_secret(ctx):
    with ctx.db.transaction() as session:
        client, secret = services.register_client(session, registration(is_public=True))
        assert secret is None
        assert client.client_secret_digest is None
        assert not services.verify_secret(client, "anything")
        with pytest.raises(ValidationFailed):
            services.rotate_secret(session, client)


def test_rotating_the_secret_retires_the_old_one(ctx):
    with ctx.db.transaction() as session:
        client, old = services.register_client(session, registration())
        new = services.rotate_secret(session, client)
        assert old is not None
        assert not services.verify_secret(client, old)
        assert services.verify_secret(client, new)


def test_pending_apps_wait_for_approval(ctx):
    with ctx.db.transaction() as session:
        client, _ = services.register_client(session, registration(), status="pending")
        assert services.is_pending(client)
        approved = services.approve_client(session, client.client_id)
        assert not services.is_pending(approved)
        with pytest.raises(NotFound):
            services.approve_client(session, "no-such-app")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"organization": "x" * 101}, "organization"),
        ({"technical_contact_email": "not-an-email"}, "technical_contact_email"),
        ({"admin_contact_phone": "call me"}, "admin_contact_phone"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": ["/relative"]}, "redirect_uris"),
        ({"redirect_uris": ["https://a.example/cb#frag"]}, "redirect_uris"),
        ({"redirect_uris": ["http://app.example.com/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris"),
        ({"redirect_uris": ["https://a.example/c b"]}, "redirect_uris"),
        ({"redirect_uris": ["https://a.example:99999/cb"]}, "redirect_uris"),
        ({"grant_types": ["password"]}, "grant_types"),
        ({"grant_types": ["refresh_token"]}, "grant_types"),
        ({"grant_types": ["client_credentials"], "is_public": True}, "grant_types"),
        ({"scopes": "public admin"}, "scopes"),
        ({"scopes": ""}, "scopes"),
    ],
)
def test_bad_registrations_name_the_field(ctx, changes, field):
    with ctx.db.transaction() as session, pytest.raises(ValidationFailed) as caught:
        services.register_client(session, registration(**changes))
    assert field in caught.value.errors


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb?x=1",
        "http://127.0.0.1:8123/cb",
        "http://[::1]/cb",
        "http://localhost:3000/cb",
        "com.example.app:/oauth2redirect",
    ],
)
def test_acceptable_redirect_uris(uri):
    assert services.redirect_uri_errors(uri) == []


def test_redirect_uris_match_exactly():
    registered = ["https://app.example.com/cb", "http://127.0.0.1/cb", "http://[::1]:80/native"]
    assert services.redirect_uri_matches(registered, "https://app.example.com/cb")
    assert not services.redirect_uri_matches(registered, "https://app.example.com/cb/")
    assert not services.redirect_uri_matches(registered, "https://app.example.com/cb?x=1")
    assert not services.redirect_uri_matches(registered, "https://app.example.com:444/cb")
    assert not services.redirect_uri_matches(registered, "HTTPS://app.example.com/cb")


def test_loopback_redirect_uris_may_change_port_only():
    registered = ["http://127.0.0.1/cb", "http://[::1]:80/native"]
    assert services.redirect_uri_matches(registered, "http://127.0.0.1:51234/cb")
    assert services.redirect_uri_matches(registered, "http://[::1]:4000/native")
    assert not services.redirect_uri_matches(registered, "http://127.0.0.1:51234/other")
    assert not services.redirect_uri_matches(registered, "http://127.0.0.2:51234/cb")
    assert not services.redirect_uri_matches(registered, "https://127.0.0.1:51234/cb")
    assert not services.redirect_uri_matches(registered, "http://u@127.0.0.1:5/cb")
    assert not services.redirect_uri_matches(registered, "http://127.0.0.1:99999/cb")
    assert not services.redirect_uri_matches(["http://localhost/cb"], "http://localhost:5/cb")
