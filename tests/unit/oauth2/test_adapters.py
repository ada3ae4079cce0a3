"""Our applications as Authlib sees them: scopes, redirect URIs, auth methods."""

from __future__ import annotations

import pytest

from civicauth.clients.records import ClientRecord
from civicauth.oauth2.adapters import ClientAdapter


def adapter(**changes: object) -> ClientAdapter:
    values: dict[str, object] = {
        "id": 1,
        "client_id": "app",
        "client_secret_digest": None,
        "redirect_uris": ["https://app.example/cb"],
        "is_public": False,
        "grant_types": "authorization_code refresh_token",
        "scopes": "public write",
        "status": "approved",
        "name": "App",
        "organization": "Org",
        "id_token_signed_response_alg": None,
        "owner_id": None,
    }
    values.update(changes)
    return ClientAdapter(ClientRecord(**values))


@pytest.mark.parametrize(
    ("requested", "granted"),
    [(None, "public"), ("", "public"), ("write", "write"), ("write public", "public write")],
)
def test_allowed_scope_defaults_to_public_and_keeps_our_order(requested, granted):
    assert adapter().get_allowed_scope(requested) == granted


def test_a_scope_the_app_may_not_ask_for_is_refused():
    assert adapter(scopes="public").get_allowed_scope("public write") is None
    assert adapter().get_allowed_scope("admin") is None
    assert adapter(scopes="write").get_allowed_scope(None) is None


def test_response_types_follow_registered_grant_types():
    assert adapter().check_response_type("code")
    assert not adapter().check_response_type("token")
    assert adapter(grant_types="implicit").check_response_type("token")
    assert not adapter().check_response_type("id_token")


def test_auth_methods_follow_confidentiality():
    confidential, public = adapter(), adapter(is_public=True)
    assert confidential.check_endpoint_auth_method("client_secret_basic", "token")
    assert confidential.check_endpoint_auth_method("client_secret_post", "token")
    assert not confidential.check_endpoint_auth_method("none", "token")
    assert public.check_endpoint_auth_method("none", "token")
    assert not public.check_endpoint_auth_method("client_secret_basic", "token")


def test_a_default_redirect_uri_only_when_one_is_registered():
    assert adapter().get_default_redirect_uri() == "https://app.example/cb"
    two = adapter(redirect_uris=["https://a.example/cb", "https://b.example/cb"])
    assert two.get_default_redirect_uri() is None


def test_permitted_scope_is_what_the_app_still_has_in_its_order():
    assert adapter(scopes="public").permitted_scope("write public") == "public"
    assert adapter().permitted_scope("write public") == "public write"
    assert adapter(scopes="public").permitted_scope("write") == ""
