"""The signing key service: keys made on first use, sealed at rest, rotated
by publishing before signing, retired only when nothing needs them."""

from __future__ import annotations

import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import delete, select

from civicauth.db import Database, utcnow
from civicauth.errors import NotFound
from civicauth.signing_keys import keyring, services
from civicauth.signing_keys.keyring import Keyring, keyring_of
from civicauth.signing_keys.models import SigningKey
from civicauth.signing_keys.schedule import State
from civicauth.signing_keys.services import (
    RetireRefused,
    SigningKeyUnavailable,
    UnsupportedAlgorithm,
    jwks,
    retire,
    rotate,
    sign_jwt,
    signing_jwk,
    verify_jwt,
)

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


@pytest.fixture(autouse=True)
def _no_keys(ctx):
    """Each test starts with no signing key and an empty cache."""
    with ctx.db.transaction() as session:
        session.execute(delete(SigningKey))
        keyring_of(session).forget()


def claims(settings, **extra):
    now = int(time.time())
    return {"iss": settings.issuer, "sub": "7", "aud": "app", "iat": now, "exp": now + 60, **extra}


def header_of(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def b64(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def kids(document):
    return [key["kid"] for key in document["keys"]]


def move_back(ctx, kid, seconds):
    """Shift a key's times into the past, as if it had been rotated earlier."""
    with ctx.db.transaction() as session:
        row = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
        row.created_at -= timedelta(seconds=seconds)
        row.signs_from -= timedelta(seconds=seconds)
        keyring_of(session).forget()


def test_first_use_makes_one_key_per_algorithm_that_signs_at_once(ctx, settings):
    with ctx.db.transaction() as session:
        token = sign_jwt(session, claims(settings))
        document = jwks(session)
    assert [key["alg"] for key in document["keys"]] == ["RS256", "ES256"]
    assert header_of(token) == {"typ": "JWT", "alg": "RS256", "kid": document["keys"][0]["kid"]}
    with ctx.db.transaction() as session:
        assert len(session.scalars(select(SigningKey)).all()) == 2


def test_the_jwks_holds_public_parts_only(ctx):
    with ctx.db.transaction() as session:
        document = jwks(session)
    for key in document["keys"]:
        assert not PRIVATE_MEMBERS & set(key), key
        assert key["use"] == "sig"
        assert key["kid"]


def test_the_private_key_is_sealed_at_rest(ctx, settings):
    with ctx.db.transaction() as session:
        private = signing_jwk(session, "RS256")
        assert services.signing_key(session, "RS256").kid == private["kid"]
        row = session.scalar(select(SigningKey).where(SigningKey.kid == private["kid"]))
        stored = row.private_jwk_sealed
        public = row.public_jwk
    assert set(private) >= PRIVATE_MEMBERS
    assert private["alg"] == "RS256"
    for member in PRIVATE_MEMBERS:
        value = private[member].encode()
        assert value not in stored
        assert base64.urlsafe_b64decode(private[member] + "==") not in stored
    assert not PRIVATE_MEMBERS & set(public)
    # It opens only under this secret key, and only on its own row.
    ring = Keyring(settings.resolved_secret_key(), issuer=settings.issuer)
    other = Keyring("another secret key entirely", issuer=settings.issuer)
    with ctx.db.read() as session:
        view = services._view(
            session.scalar(select(SigningKey).where(SigningKey.kid == private["kid"]))
        )
    assert ring.private_key(view).as_dict(private=True)["d"] == private["d"]
    with pytest.raises(InvalidTag):
        other.private_key(view)


def test_a_signed_token_verifies_and_says_who_signed(ctx, settings):
    for alg in ("RS256", "ES256"):
        with ctx.db.transaction() as session:
            token = sign_jwt(session, claims(settings), alg)
            assert header_of(token)["alg"] == alg
            assert verify_jwt(session, token, audience="app")["sub"] == "7"
            assert verify_jwt(session, token) is not None


def test_what_does_not_verify(ctx, settings):
    now = int(time.time())
    stranger = RSAKey.generate_key(2048, private=True)
    with ctx.db.transaction() as session:
        good = sign_jwt(session, claims(settings))
        expired = sign_jwt(session, claims(settings, iat=now - 120, exp=now - 60))
        elsewhere = sign_jwt(session, claims(settings, iss="https://elsewhere.example"))
        kid = header_of(good)["kid"]
        forged = jwt.encode({"alg": "RS256", "kid": kid}, claims(settings), stranger)
        head, body, signature = good.split(".")
        unsigned = ".".join((b64({"alg": "none", "kid": kid}), body, ""))
        tampered = ".".join((head, b64({**claims(settings), "sub": "1"}), signature))
        assert verify_jwt(session, good, audience="another app") is None
        assert verify_jwt(session, expired) is None
        assert verify_jwt(session, expired, allow_expired=True)["sub"] == "7"
        for token in (elsewhere, forged, unsigned, tampered, "", "a.b.c", "not a token"):
            assert verify_jwt(session, token) is None, token
            assert verify_jwt(session, token, allow_expired=True) is None, token


def test_rotation_publishes_the_new_key_before_it_signs(ctx, settings):
    with ctx.db.transaction() as session:
        old = header_of(sign_jwt(session, claims(settings)))["kid"]
    with ctx.db.transaction() as session:
        new = rotate(session, "RS256")
    assert new.signs_from - utcnow() > timedelta(seconds=settings.jwks_max_age)
    with ctx.db.transaction() as session:
        document = jwks(session)
        assert kids(document)[:2] == [old, new.kid]  # the signing one first
        assert header_of(sign_jwt(session, claims(settings)))["kid"] == old
    # The publish delay passes: the new key signs, the old one stays published.
    move_back(ctx, new.kid, settings.signing_key_publish_delay + 1)
    with ctx.db.transaction() as session:
        assert header_of(sign_jwt(session, claims(settings)))["kid"] == new.kid
        assert kids(jwks(session))[:2] == [new.kid, old]
        states = {status.key.kid: status.state for status in services.list_keys(session)}
        assert states[old] is State.PREVIOUS
        assert states[new.kid] is State.SIGNING
    # Every token the old key signed has expired: it leaves the JWKS.
    move_back(ctx, new.kid, settings.id_token_ttl + 60)
    with ctx.db.transaction() as session:
        assert old not in kids(jwks(session))
        states = {status.key.kid: status.state for status in services.list_keys(session)}
        assert states[old] is State.EXPIRED


def test_tokens_signed_before_a_rotation_still_verify(ctx, settings):
    with ctx.db.transaction() as session:
        before = sign_jwt(session, claims(settings))
        new = rotate(session, "RS256")
    move_back(ctx, new.kid, settings.signing_key_publish_delay + 1)
    with ctx.db.transaction() as session:
        after = sign_jwt(session, claims(settings))
        assert header_of(after)["kid"] == new.kid != header_of(before)["kid"]
        assert verify_jwt(session, before) is not None
        assert verify_jwt(session, after) is not None


def test_retire_refuses_the_signing_key_and_keys_whose_tokens_may_live(ctx, settings):
    with ctx.db.transaction() as session:
        old = header_of(sign_jwt(session, claims(settings)))["kid"]
        token = sign_jwt(session, claims(settings))
    with ctx.db.transaction() as session, pytest.raises(RetireRefused, match="signs RS256"):
        retire(session, old)
    with ctx.db.transaction() as session:
        new = rotate(session, "RS256")
    move_back(ctx, new.kid, settings.signing_key_publish_delay + 1)
    with ctx.db.transaction() as session, pytest.raises(RetireRefused, match="--force"):
        retire(session, old)
    with ctx.db.transaction() as session, pytest.raises(RetireRefused, match="signs RS256"):
        retire(session, new.kid)
    with ctx.db.transaction() as session:
        retire(session, old, force=True)
    with ctx.db.transaction() as session:
        row = session.scalar(select(SigningKey).where(SigningKey.kid == old))
        assert row.retired_at is not None
        assert row.private_jwk_sealed == b""
        assert old not in kids(jwks(session))
        assert verify_jwt(session, token) is None
    with ctx.db.transaction() as session, pytest.raises(RetireRefused, match="already"):
        retire(session, old)
    with ctx.db.transaction() as session, pytest.raises(NotFound):
        retire(session, "no-such-kid")


def test_an_expired_key_retires_without_force(ctx, settings):
    with ctx.db.transaction() as session:
        old = header_of(sign_jwt(session, claims(settings)))["kid"]
        new = rotate(session, "RS256")
    move_back(ctx, new.kid, settings.signing_key_publish_delay + settings.id_token_ttl + 120)
    with ctx.db.transaction() as session:
        assert retire(session, old).retired_at is not None


def test_a_rotation_not_yet_signing_may_be_withdrawn(ctx, settings):
    with ctx.db.transaction() as session:
        old = header_of(sign_jwt(session, claims(settings)))["kid"]
        new = rotate(session, "RS256")
    with ctx.db.transaction() as session:
        retire(session, new.kid)
        assert kids(jwks(session))[0] == old
        states = {s.key.kid: s.state for s in services.list_keys(session)}
        assert states == {
            old: State.SIGNING,
            new.kid: State.RETIRED,
            **{s.key.kid: s.state for s in services.list_keys(session) if s.key.alg == "ES256"},
        }
        assert services.list_keys(session)[0].published_until is None


def test_only_rs256_and_es256(ctx, settings):
    with ctx.db.transaction() as session:
        for call in (
            lambda: sign_jwt(session, claims(settings), "HS256"),
            lambda: signing_jwk(session, "none"),
            lambda: rotate(session, "RS512"),
        ):
            with pytest.raises(UnsupportedAlgorithm):
                call()


def test_two_workers_racing_for_the_first_key_make_one_per_algorithm(ctx, monkeypatch):
    if ctx.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time (the callers' write transactions): no race")
    # Both have read the empty table before either inserts.
    both_read = threading.Barrier(2, timeout=20)
    read = services._read

    def read_then_wait(session):
        rows = read(session)
        if not rows:
            both_read.wait()
        return rows

    monkeypatch.setattr(services, "_read", read_then_wait)

    def first_use(_):
        with ctx.db.write_transaction() as session:
            return kids(jwks(session))

    with ThreadPoolExecutor(max_workers=2) as pool:
        seen = list(pool.map(first_use, range(2)))
    assert seen[0] == seen[1]
    with ctx.db.transaction() as session:
        assert len(session.scalars(select(SigningKey)).all()) == 2


def test_keys_made_in_a_transaction_that_rolls_back_are_not_remembered(ctx, settings):
    lost = []

    def failing_request():
        with ctx.db.transaction() as session:
            lost.extend(kids(jwks(session)))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    with ctx.db.transaction() as session:
        kept = kids(jwks(session))
    assert set(lost).isdisjoint(kept)


def test_a_rotation_elsewhere_is_seen_once_the_cache_is_stale(ctx, settings):
    with ctx.db.transaction() as session:
        jwks(session)  # makes the keys (rows not remembered: not committed yet)
    with ctx.db.transaction() as session:
        first = kids(jwks(session))  # read and remembered
    elsewhere = Database(settings.database_url, info=keyring.session_info(settings))
    try:
        with elsewhere.transaction() as session:
            new = rotate(session, "RS256")
    finally:
        elsewhere.dispose()
    with ctx.db.transaction() as session:
        assert kids(jwks(session)) == first  # cached, for at most a few seconds
        keyring_of(session).forget()  # as CACHE_SECONDS passing would
        assert new.kid in kids(jwks(session))


def test_a_key_sealed_under_a_lost_secret_key_is_replaced_at_once(ctx, settings):
    with ctx.db.transaction() as session:
        lost = header_of(sign_jwt(session, claims(settings)))["kid"]
    # The secret key changed and the previous one was not kept.
    elsewhere = Database(settings.database_url, info={keyring.KEYRING: Keyring("new", issuer="x")})
    try:
        with elsewhere.transaction() as session, pytest.raises(SigningKeyUnavailable, match=lost):
            sign_jwt(session, claims(settings))
        with elsewhere.transaction() as session:
            new = rotate(session, "RS256")
        assert new.signs_from == new.created_at  # nothing could sign meanwhile
        with elsewhere.transaction() as session:
            assert header_of(sign_jwt(session, claims(settings)))["kid"] == new.kid
    finally:
        elsewhere.dispose()


def test_a_key_sealed_under_the_previous_secret_key_still_signs(ctx, settings):
    with ctx.db.transaction() as session:
        kid = header_of(sign_jwt(session, claims(settings)))["kid"]
    rotated = Keyring("the new secret key", settings.resolved_secret_key(), issuer="x")
    elsewhere = Database(settings.database_url, info={keyring.KEYRING: rotated})
    try:
        with elsewhere.transaction() as session:
            assert header_of(sign_jwt(session, claims(settings)))["kid"] == kid
    finally:
        elsewhere.dispose()


def test_published_jwks_only_reads(ctx):
    with ctx.db.read() as session:
        assert services.published_jwks(session) is None  # no keys yet: nothing made
    with ctx.db.transaction() as session:
        assert session.scalars(select(SigningKey)).all() == []
        made = jwks(session)
    with ctx.db.read() as session:
        assert services.published_jwks(session) == made
