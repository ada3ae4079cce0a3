"""OpenID Connect Discovery over HTTP: the provider metadata agrees with the
RFC 8414 document, and the JWKS is cacheable, public only, and changes only
when the keys do."""

from __future__ import annotations

import time

import httpx
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc.jwk import KeySet

from tests.support import run_civicauth

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def fresh_get(server, path, **headers):
    """A request on a new connection (so requests spread over workers)."""
    return httpx.get(server.url + path, headers=headers, timeout=10)


def test_the_jwks_is_cacheable_with_one_etag(server):
    answers = [fresh_get(server, "/oauth/discovery/keys") for _ in range(5)]
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert len({answer.headers["etag"] for answer in answers}) == 1
    first = answers[0]
    assert first.headers["cache-control"] == "public, max-age=600"
    assert first.headers["content-type"].startswith("application/jwk-set+json")
    etag = first.headers["etag"]
    again = fresh_get(server, "/oauth/discovery/keys", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = fresh_get(server, "/oauth/discovery/keys", **{"If-None-Match": '"something else"'})
    assert other.status_code == 200


def test_the_jwks_holds_public_keys_only(server):
    document = fresh_get(server, "/oauth/discovery/keys").json()
    assert [key["alg"] for key in document["keys"]] == ["RS256", "ES256"]
    assert [key["kty"] for key in document["keys"]] == ["RSA", "EC"]
    for key in document["keys"]:
        assert not PRIVATE_MEMBERS & set(key)
        assert key["use"] == "sig"
        assert key["kid"]
    keys = KeySet.import_key_set(document)
    assert all(not key.is_private for key in keys)


def test_discovery_agrees_with_the_rfc_8414_metadata(server):
    oauth = fresh_get(server, "/.well-known/oauth-authorization-server").json()
    answer = fresh_get(server, "/.well-known/openid-configuration")
    assert answer.status_code == 200
    assert answer.headers["cache-control"].startswith("public, max-age=")
    openid = answer.json()
    assert {name: openid.get(name) for name in oauth} == oauth
    assert openid["issuer"] == server.url
    assert openid["jwks_uri"] == server.url + "/oauth/discovery/keys"
    assert openid["userinfo_endpoint"] == server.url + "/oauth/userinfo"
    assert openid["end_session_endpoint"] == server.url + "/oauth/logout"
    assert openid["subject_types_supported"] == ["public"]
    assert openid["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert set(openid["response_types_supported"]) == {
        "code",
        "token",
        "id_token",
        "id_token token",
        "code id_token",
    }
    assert {"openid", "profile", "email"} <= set(openid["scopes_supported"])
    assert {"sub", "email", "email_verified", "name", "amr"} <= set(openid["claims_supported"])
    # What relying-party libraries check before they trust the document.
    OpenIDProviderMetadata(openid).validate()
    AuthorizationServerMetadata(oauth).validate()
    jwks = fresh_get(server, "/oauth/discovery/keys").json()
    published = {key["alg"] for key in jwks["keys"]}
    assert set(openid["id_token_signing_alg_values_supported"]) <= published


def test_a_rotation_changes_the_jwks_and_its_etag(server, backend):
    before = fresh_get(server, "/oauth/discovery/keys")
    old = [key["kid"] for key in before.json()["keys"]]
    rotated = run_civicauth(backend, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new_kid = rotated.stdout.split()[4].rstrip(":")
    deadline = time.monotonic() + 30  # the workers' key cache is a few seconds
    while time.monotonic() < deadline:
        after = fresh_get(server, "/oauth/discovery/keys")
        if after.headers["etag"] != before.headers["etag"]:
            break
        time.sleep(0.2)  # polling another process's cache: no event to await
    kids = [key["kid"] for key in after.json()["keys"]]
    assert after.headers["etag"] != before.headers["etag"]
    # The new key is published, behind the one that still signs.
    assert kids == [old[0], new_kid, *old[1:]]
