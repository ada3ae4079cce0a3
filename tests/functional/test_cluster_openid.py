"""``civicauth keys rotate`` against the database of two running server
processes (two workers each), as an operator runs it on one host of
several: ID tokens signed before still verify with the JWKS each process
publishes; during the publish delay the old key goes on signing
everywhere; once it has passed, new ID tokens from either process, many of
them so that every worker answers, carry the new ``kid`` and verify.

Every token request and JWKS fetch opens a new connection, which a process
hands to its workers in turn (tests/cluster.py)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from civicauth.db import utcnow
from tests.cluster import IN_A_ROW, Cluster, settles_within
from tests.functional.oauth_support import Resident, code_grant
from tests.functional.openid_support import header_of, openid_app
from tests.support import LiveServer, run_civicauth

# Relying parties may not cache the JWKS, so the new key may sign after the
# shortest delay the settings allow (the margin for the workers' key cache).
PUBLISH_DELAY = 30
SETTINGS = {
    "CIVICAUTH_JWKS_MAX_AGE": "0",
    "CIVICAUTH_SIGNING_KEY_PUBLISH_DELAY": str(PUBLISH_DELAY),
}
# What a process may take to show a row another process wrote: the workers'
# key cache (civicauth/signing_keys/keyring.py, 5 s) on a busy machine.
CATCH_UP = 15.0


@pytest.fixture(scope="module")
def several_hosts(backend) -> None:
    if backend.database_url.startswith("sqlite"):
        pytest.skip(
            "several hosts share signing keys through PostgreSQL "
            "(CIVICAUTH_TEST_BACKEND=postgres); SQLite deployments run one host"
        )


def published(server: LiveServer) -> dict[str, Any]:
    answer = httpx.get(server.url + "/oauth/discovery/keys", timeout=10)
    assert answer.status_code == 200, answer.text[:300]
    keys: dict[str, Any] = answer.json()
    return keys


def rs256_kids(server: LiveServer) -> list[str]:
    return [key["kid"] for key in published(server)["keys"] if key.get("alg") == "RS256"]


def shows(server: LiveServer, kids: list[str]) -> bool:
    return rs256_kids(server) == kids


def verified_by(server: LiveServer, id_token: str, issuer: LiveServer, client_id: str) -> str:
    """The ``sub`` of ``id_token`` once its signature checks out against the
    JWKS ``server`` publishes now, and its iss and aud are right."""
    decoded = jwt.decode(id_token, KeySet.import_key_set(published(server)))
    rules = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer.url}, aud={"essential": True, "value": client_id}
    )
    rules.validate(decoded.claims)
    subject: str = decoded.claims["sub"]
    return subject


def next_key(backend: Any) -> tuple[str, datetime]:
    """The kid of the RS256 key that signs next, and from when, as
    ``civicauth keys list`` tells the operator."""
    listed = run_civicauth(backend, "keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    key = next(k for k in json.loads(listed.stdout) if k["alg"] == "RS256" and k["state"] == "next")
    return key["kid"], datetime.fromisoformat(key["signs_from"])


def test_a_rotation_with_the_cli_reaches_every_worker_of_both(
    several_hosts, backend, cluster: Cluster, ctx, make_user
):
    app = openid_app(ctx, cluster.first.url)
    residents = {server.url: Resident.new(server.url, make_user) for server in cluster.servers}

    def id_token(server: LiveServer) -> str:
        token: str = code_grant(server, residents[server.url], app, scope="openid")["id_token"]
        return token

    def user_of(server: LiveServer) -> str:
        return str(residents[server.url].user_id)

    before = [(server, id_token(server)) for server in cluster.servers]
    old_kids = {header_of(token)["kid"] for _, token in before}
    assert len(old_kids) == 1, "both processes sign with the one key in the database"
    old_kid = old_kids.pop()

    rotated = run_civicauth(backend, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new_kid, starts = next_key(backend)
    assert (starts - utcnow()).total_seconds() > PUBLISH_DELAY / 2, "published before it signs"

    for server in cluster.servers:
        # Published at once by every worker, after the old key, which still signs.
        settles_within(partial(shows, server, [old_kid, new_kid]), CATCH_UP)
        assert header_of(id_token(server))["kid"] == old_kid
        for signed_on, token in before:
            assert verified_by(server, token, signed_on, app.client_id) == user_of(signed_on)

    # Past the publish delay every worker of both processes signs with the
    # new key, from the same moment (the rows and the clock decide it).
    wait = (starts - utcnow()).total_seconds()
    for server in cluster.servers:

        def signs_with_the_new_key(s: LiveServer = server) -> bool:
            token = id_token(s)
            for other in cluster.servers:
                assert verified_by(other, token, s, app.client_id) == user_of(s)
            return header_of(token)["kid"] == new_kid

        settles_within(signs_with_the_new_key, max(wait, 0) + CATCH_UP, in_a_row=2 * IN_A_ROW)
        wait = 0
        assert rs256_kids(server) == [new_kid, old_kid]
        for signed_on, token in before:
            assert verified_by(server, token, signed_on, app.client_id) == user_of(signed_on)
    for resident in residents.values():
        resident.close()
