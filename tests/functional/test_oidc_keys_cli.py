"""``civicauth keys list|rotate|retire`` as an operator runs them, and a
rotation on a running two-worker server: every worker publishes the same
JWKS with the old and the new key, and once the publish delay has passed
every worker signs with the new one.

Which key a worker signs with shows in its JWKS: the key that signs comes
first for its algorithm, chosen by the same rule (civicauth/signing_keys/
schedule.py) that ``sign_jwt`` follows. The end-to-end version, with ID
tokens from the token endpoint, is in the relying-party tests."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, select

from civicauth.signing_keys.keyring import keyring_of
from civicauth.signing_keys.models import SigningKey
from tests.support import live_server, run_civicauth


@pytest.fixture(autouse=True)
def _no_keys(ctx):
    with ctx.db.transaction() as session:
        session.execute(delete(SigningKey))
        keyring_of(session).forget()


def keys(backend):
    listed = run_civicauth(backend, "keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def rotate(backend, *args):
    rotated = run_civicauth(backend, "keys", "rotate", *args)
    assert rotated.returncode == 0, rotated.stderr
    return rotated.stdout.split()[4].rstrip(":")


def fails_in_one_line(result, message):
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]


def move_back(ctx, kid, seconds):
    """As if the key had been made ``seconds`` earlier (no sleeping)."""
    with ctx.db.transaction() as session:
        row = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
        row.created_at -= timedelta(seconds=seconds)
        row.signs_from -= timedelta(seconds=seconds)


def test_list_rotate_retire(backend, settings, ctx):
    empty = run_civicauth(backend, "keys", "list")
    assert "no signing keys yet" in empty.stdout
    first = rotate(backend)  # none could sign: it signs at once
    assert [(k["kid"], k["alg"], k["state"]) for k in keys(backend)] == [
        (first, "RS256", "signing")
    ]
    second = rotate(backend, "--alg", "RS256")
    listed = {k["kid"]: k for k in keys(backend)}
    assert listed[second]["state"] == "next"
    assert listed[first]["published_until"] is not None  # it has a successor now
    fails_in_one_line(run_civicauth(backend, "keys", "retire", first), "signs RS256 tokens now")
    move_back(ctx, second, settings.signing_key_publish_delay + 1)
    assert {k["kid"]: k["state"] for k in keys(backend)} == {first: "previous", second: "signing"}
    fails_in_one_line(run_civicauth(backend, "keys", "retire", first), "--force")
    forced = run_civicauth(backend, "keys", "retire", first, "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"retired RS256 signing key {first}" in forced.stdout
    assert {k["kid"]: k["state"] for k in keys(backend)} == {first: "retired", second: "signing"}
    text = run_civicauth(backend, "keys", "list").stdout
    assert f"{second}  RS256  signing" in text
    fails_in_one_line(run_civicauth(backend, "keys", "retire", first), "already retired")
    fails_in_one_line(run_civicauth(backend, "keys", "retire", "nope"), "no signing key")


def test_an_es256_rotation_and_bad_input(backend):
    es = rotate(backend, "--alg", "ES256")
    assert [(k["kid"], k["alg"]) for k in keys(backend)] == [(es, "ES256")]
    bad = run_civicauth(backend, "keys", "rotate", "--alg", "HS256")
    assert bad.returncode != 0
    assert "invalid choice: 'HS256'" in bad.stderr
    assert run_civicauth(backend, "keys").returncode != 0


def jwks_answers(url, count=20):
    # A new connection each time, so the answers come from both workers.
    return [httpx.get(url + "/oauth/discovery/keys", timeout=10) for _ in range(count)]


def wait_for_every_worker(url, wanted, deadline_seconds=30):
    """The JWKS answers, once ``count`` in a row satisfy ``wanted`` (the
    workers' key caches last a few seconds)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        answers = jwks_answers(url)
        if all(wanted(answer.json()) for answer in answers):
            return answers
        assert time.monotonic() < deadline, [a.json() for a in answers]
        time.sleep(0.2)  # polling other processes' caches: no event to await


def rs256_kids(document):
    return [key["kid"] for key in document["keys"] if key["alg"] == "RS256"]


def test_a_rotation_on_a_running_two_worker_server(backend, settings, ctx, tmp_path):
    with live_server(backend.env, tmp_path, workers=2) as server:
        before = jwks_answers(server.url)
        assert len({answer.content for answer in before}) == 1  # one key set in every worker
        (old,) = rs256_kids(before[0].json())
        new = rotate(backend)
        published = wait_for_every_worker(server.url, lambda d: rs256_kids(d) == [old, new])
        # Every worker publishes the same JWKS, with both keys; the old one still signs.
        assert len({answer.content for answer in published}) == 1
        assert len({answer.headers["etag"] for answer in published}) == 1
        assert published[0].headers["etag"] != before[0].headers["etag"]
        # The publish delay passes (moved in the database, not slept through):
        move_back(ctx, new, settings.signing_key_publish_delay + 1)
        signing = wait_for_every_worker(server.url, lambda d: rs256_kids(d) == [new, old])
        assert len({answer.content for answer in signing}) == 1
