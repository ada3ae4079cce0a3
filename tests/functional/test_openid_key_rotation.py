"""``civicauth keys rotate`` on a running two-worker server, in the middle
of a relying party's session: ID tokens signed before still verify with the
published JWKS, and once the new key's publish delay has passed, new ID
tokens carry the new ``kid`` from either worker (every request below opens
a new connection, which the server hands to its workers in turn)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.functional.oauth_support import Resident, code_grant
from tests.functional.openid_support import header_of, openid_app
from tests.support import LiveServer, live_server, run_civicauth

# Relying parties may not cache the JWKS, so the new key may sign after the
# shortest delay the settings allow (the margin for the workers' key cache).
SETTINGS = {"CIVICAUTH_JWKS_MAX_AGE": "0", "CIVICAUTH_SIGNING_KEY_PUBLISH_DELAY": "30"}
DEADLINE = 120  # seconds: the publish delay, the key cache, a busy machine


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory) -> Iterator[LiveServer]:
    with live_server(backend.env, tmp_path_factory.mktemp("server"), workers=2) as running:
        yield running


def published(server: LiveServer) -> dict[str, Any]:
    answer = httpx.get(server.url + "/oauth/discovery/keys")  # a new connection each time
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=0"
    keys: dict[str, Any] = answer.json()
    return keys


def verified(server: LiveServer, id_token: str) -> dict[str, Any]:
    """The claims, once the signature checks out against the JWKS now."""
    decoded = jwt.decode(id_token, KeySet.import_key_set(published(server)))
    return dict(decoded.claims)


def rs256_kids(keys: dict[str, Any]) -> list[str]:
    return [key["kid"] for key in keys["keys"] if key.get("alg") == "RS256"]


def wait_for_jwks(server: LiveServer, holds: Callable[[list[str]], bool], what: str) -> list[str]:
    """Until ten JWKS answers in a row (new connections) hold, and return the
    last one's RS256 kids. Ten in a row may all come from one worker while
    the other's key cache (a few seconds) is still behind, so the caller
    reads what it needs from this answer, not from another request."""
    deadline, in_a_row, kids = time.monotonic() + DEADLINE, 0, []
    while in_a_row < 10:
        assert time.monotonic() < deadline, f"the JWKS never showed {what}"
        kids = rs256_kids(published(server))
        in_a_row = in_a_row + 1 if holds(kids) else 0
        if in_a_row == 0:
            time.sleep(0.5)  # a key's start is a time, not an event to await
    return kids


def test_rotation_mid_session(server, backend, ctx, make_user):
    app = openid_app(ctx, server.url)
    resident = Resident.new(server.url, make_user)
    before = code_grant(server, resident, app, scope="openid")["id_token"]
    old_kid = header_of(before)["kid"]
    assert verified(server, before)["sub"] == str(resident.user_id)

    rotated = run_civicauth(backend, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    kids = wait_for_jwks(server, lambda kids: len(kids) == 2, "the new key")
    new_kid = next(kid for kid in kids if kid != old_kid)
    # Published before it signs: the old key still signs, and comes first.
    assert kids == [old_kid, new_kid]
    during = code_grant(server, resident, app, scope="openid")["id_token"]
    assert header_of(during)["kid"] == old_kid

    wait_for_jwks(server, lambda kids: kids[0] == new_kid, f"{new_kid} signing")
    for _ in range(6):
        after = code_grant(server, resident, app, scope="openid")["id_token"]
        assert header_of(after)["kid"] == new_kid
        assert verified(server, after)["sub"] == str(resident.user_id)
    # The token signed before the rotation verifies with the JWKS published now.
    assert old_kid in rs256_kids(published(server))
    assert verified(server, before)["sub"] == str(resident.user_id)
    resident.close()
