"""Signing, verifying and publishing with the signing keys; rotating and
retiring them. What OpenID Connect needs of keys, and nothing of HTTP.

``sign_jwt``, ``signing_key``, ``signing_jwk``, ``verify_jwt`` and ``jwks``
create the first key of each algorithm when there is none, in the caller's
transaction (so ``make run`` needs no step of its own): call them in one
that may write (``Database.write_transaction``, which on SQLite takes the
write lock first), and commit it. ``published_jwks`` only reads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, GuestProtocol, RSAKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicauth.db import utcnow
from civicauth.errors import CivicAuthError, NotFound
from civicauth.signing_keys.keyring import CACHE_SECONDS, Keyring, keyring_of
from civicauth.signing_keys.models import ALGORITHMS, ES256, RS256, SigningKey
from civicauth.signing_keys.schedule import KeyView, State

RSA_BITS = 2048  # RFC 7518 §3.3: at least 2048 bits for RS256


class UnsupportedAlgorithm(CivicAuthError):
    """An algorithm other than RS256 and ES256."""


class SigningKeyUnavailable(CivicAuthError):
    """No key can sign: the signing key's private part was sealed under a
    secret key this server no longer has."""


class RetireRefused(CivicAuthError):
    """The key may not be retired now; the message says why."""


@dataclass(frozen=True)
class KeyStatus:
    """A key as ``civicauth keys list`` shows it."""

    key: KeyView
    state: State
    published_until: datetime | None


def sign_jwt(session: Session, claims: dict[str, Any], alg: str = RS256) -> str:
    """``claims`` as a compact JWS (RFC 7515 §7.1) signed by the key that
    signs ``alg`` now, with ``kid`` and ``typ`` headers. Raises
    UnsupportedAlgorithm, or SigningKeyUnavailable."""
    view = _signer(session, alg)
    header = {"alg": alg, "kid": view.kid, "typ": "JWT"}
    return jwt.encode(header, claims, _private(keyring_of(session), view), algorithms=[alg])


def signing_key(session: Session, alg: str = RS256) -> RSAKey | ECKey:
    """The joserfc key that signs ``alg`` now, its ``kid`` set, imported
    once per process (an RSA import costs tens of milliseconds): what
    Authlib's ``resolve_client_private_key`` may return. Raises
    UnsupportedAlgorithm, or SigningKeyUnavailable."""
    return _private(keyring_of(session), _signer(session, alg))


def signing_jwk(session: Session, alg: str = RS256) -> dict[str, Any]:
    """The private JWK of the key that signs ``alg`` now, with ``kid`` and
    ``alg`` (for a library that signs by itself, such as Authlib's OpenID
    grants). Raises UnsupportedAlgorithm, or SigningKeyUnavailable."""
    return dict(signing_key(session, alg).as_dict(private=True))


def verify_jwt(
    session: Session, token: str, *, audience: str | None = None, allow_expired: bool = False
) -> dict[str, Any] | None:
    """The claims of ``token`` if a published key of ours signed it, its
    ``iss`` is our issuer, its ``aud`` holds ``audience`` (when given), and
    it has not expired (unless ``allow_expired``, as for an
    ``id_token_hint``: OpenID Connect RP-Initiated Logout 1.0 §2). None for
    anything else, however malformed."""
    ring = keyring_of(session)
    published = {k.kid: k for k in ring.schedule.published(_rows(session), utcnow())}

    def key_for(signature: GuestProtocol) -> RSAKey | ECKey:
        header = signature.headers()
        view = published.get(str(header.get("kid")))
        if view is None or header.get("alg") != view.alg:
            raise JoseError("not signed by a published key of this server")
        return ring.public_key(view)

    try:
        claims = jwt.decode(token, key_for, algorithms=list(ALGORITHMS)).claims
        if not isinstance(claims.get("exp"), int):
            return None  # every token we sign expires
        checked = {k: v for k, v in claims.items() if not (allow_expired and k == "exp")}
        _claims_rules(ring.issuer, audience).validate(checked)
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    return dict(claims)


def _claims_rules(issuer: str, audience: str | None) -> jwt.JWTClaimsRegistry:
    rules: dict[str, Any] = {"iss": {"essential": True, "value": issuer}}
    if audience is not None:
        rules["aud"] = {"essential": True, "value": audience}
    return jwt.JWTClaimsRegistry(leeway=0, **rules)


def jwks(session: Session) -> dict[str, Any]:
    """The JWK Set (RFC 7517 §5) of the published keys, public parts only;
    per algorithm the key that signs now comes first."""
    ring = keyring_of(session)
    return {"keys": [dict(k.public_jwk) for k in ring.schedule.published(_rows(session), utcnow())]}


def published_jwks(session: Session) -> dict[str, Any] | None:
    """``jwks``, reading only: None when the first keys are still to be made
    (then call ``jwks`` in a transaction that may write)."""
    ring = keyring_of(session)
    rows = ring.cached()
    if rows is None:
        read_at = time.monotonic()
        rows = _read(session)
        if _missing(rows):
            return None
        ring.remember(rows, read_at)
    return {"keys": [dict(k.public_jwk) for k in ring.schedule.published(rows, utcnow())]}


def list_keys(session: Session) -> list[KeyStatus]:
    """Every key row, oldest first, with its state now."""
    ring, now = keyring_of(session), utcnow()
    rows = _read(session)
    return [
        KeyStatus(k, ring.schedule.state(rows, k, now), ring.schedule.published_until(rows, k))
        for k in rows
    ]


def rotate(session: Session, alg: str = RS256) -> KeyView:
    """A new key for ``alg``: published at once, signing after the publish
    delay, and at once when no key of ``alg`` can sign (none yet, or its
    private part no longer opens). Raises UnsupportedAlgorithm; an
    IntegrityError when another rotation of ``alg`` committed meanwhile."""
    _check_alg(alg)
    ring, now = keyring_of(session), utcnow()
    rows = _read(session)
    starts = now + ring.publish_delay if _can_sign(ring, rows, alg, now) else now
    view = _insert(session, ring, alg, _next_generation(rows, alg), starts)
    ring.forget()
    return view


def retire(session: Session, kid: str, *, force: bool = False) -> KeyView:
    """Take the key ``kid`` out of the JWKS and destroy its private part.
    Raises NotFound; RetireRefused for the key that signs (or is about to),
    for one already retired, and, unless ``force``, for one whose tokens may
    still be valid."""
    ring, now = keyring_of(session), utcnow()
    row = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        raise NotFound(f"no signing key with the kid {kid}")
    rows = _read(session)
    view = next(k for k in rows if k.kid == kid)
    _check_retirable(ring, rows, view, now, force)
    row.retired_at, row.private_jwk_sealed = now, b""
    ring.forget()
    return _view(row)


def _check_retirable(
    ring: Keyring, rows: Sequence[KeyView], view: KeyView, now: datetime, force: bool
) -> None:
    state = ring.schedule.state(rows, view, now)
    if state is State.RETIRED:
        raise RetireRefused(f"signing key {view.kid} is already retired")
    if state is State.SIGNING:
        raise RetireRefused(
            f"signing key {view.kid} signs {view.alg} tokens now: rotate first, "
            "and retire it once its tokens have expired"
        )
    # A worker's cached rows may be CACHE_SECONDS old: one about to sign may
    # not have seen the retirement yet.
    if state is State.NEXT and (view.signs_from - now).total_seconds() < 2 * CACHE_SECONDS:
        raise RetireRefused(f"signing key {view.kid} starts signing in a few seconds")
    until = ring.schedule.published_until(rows, view)
    if state is State.PREVIOUS and not force and until is not None:
        raise RetireRefused(
            f"ID tokens signed by {view.kid} may be valid until {until:%Y-%m-%d %H:%M:%S} UTC "
            "(they would stop verifying): retire it after that, or pass --force"
        )


def _check_alg(alg: str) -> None:
    if alg not in ALGORITHMS:
        raise UnsupportedAlgorithm(f"unsupported signing algorithm {alg!r}: use RS256 or ES256")


def _signer(session: Session, alg: str) -> KeyView:
    _check_alg(alg)
    ring = keyring_of(session)
    view = ring.schedule.signer(_rows(session), alg, utcnow())
    if view is None:  # only when every key of alg was retired by hand meanwhile
        raise SigningKeyUnavailable(f"no {alg} signing key: run civicauth keys rotate --alg {alg}")
    return view


def _private(ring: Keyring, view: KeyView) -> RSAKey | ECKey:
    try:
        return ring.private_key(view)
    except (InvalidTag, ValueError) as exc:
        raise SigningKeyUnavailable(
            f"the {view.alg} signing key {view.kid} does not open under this secret key: "
            f"run civicauth keys rotate --alg {view.alg}"
        ) from exc


def _can_sign(ring: Keyring, rows: Sequence[KeyView], alg: str, now: datetime) -> bool:
    view = ring.schedule.signer(rows, alg, now)
    if view is None:
        return False
    try:
        ring.private_key(view)
    except (InvalidTag, ValueError):
        return False
    return True


def _rows(session: Session) -> tuple[KeyView, ...]:
    """The key rows, from this process's cache when fresh; creates the first
    key of each algorithm that has none (then nothing is cached, since the
    caller's transaction may yet roll back)."""
    ring = keyring_of(session)
    cached = ring.cached()
    if cached is not None:
        return cached
    read_at = time.monotonic()
    rows = _read(session)
    if _create_missing(session, ring, rows):
        return _read(session)
    ring.remember(rows, read_at)
    return rows


def _read(session: Session) -> tuple[KeyView, ...]:
    found = session.scalars(select(SigningKey).order_by(SigningKey.id))
    return tuple(_view(row) for row in found)


def _create_missing(session: Session, ring: Keyring, rows: Sequence[KeyView]) -> bool:
    """Insert a first key for each algorithm without a live one; True if any
    was inserted. Two workers racing here make one key each at most: the
    loser's insert breaks the (alg, generation) constraint, is undone alone
    (a savepoint), and it reads the winner's key instead."""
    now, created = utcnow(), False
    for alg in _missing(rows):
        created = True
        if session.get_bind().dialect.name == "sqlite":
            # One writer at a time: the other worker's insert and ours cannot
            # interleave. (And the driver would commit a savepoint begun
            # before any write when releasing it.)
            _insert(session, ring, alg, _next_generation(rows, alg), now)
            continue
        try:
            with session.begin_nested():
                _insert(session, ring, alg, _next_generation(rows, alg), now)
        except IntegrityError:
            pass  # the other worker's key: read it again
    return created


def _missing(rows: Sequence[KeyView]) -> list[str]:
    """The algorithms without a live key."""
    return [a for a in ALGORITHMS if not any(k.alg == a and k.retired_at is None for k in rows)]


def _next_generation(rows: Sequence[KeyView], alg: str) -> int:
    return 1 + max((k.generation for k in rows if k.alg == alg), default=0)


def _insert(
    session: Session, ring: Keyring, alg: str, generation: int, signs_from: datetime
) -> KeyView:
    key: RSAKey | ECKey
    if alg == ES256:
        key = ECKey.generate_key("P-256", private=True)  # RFC 7518 §3.4
    else:
        key = RSAKey.generate_key(RSA_BITS, private=True)
    kid = key.thumbprint()  # RFC 7638
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    published = utcnow()  # after the key was made, which takes a moment for RSA
    row = SigningKey(
        kid=kid,
        alg=alg,
        generation=generation,
        public_jwk=public,
        private_jwk_sealed=ring.seal(dict(key.as_dict(private=True)), kid),
        created_at=published,
        signs_from=max(signs_from, published),
    )
    session.add(row)
    session.flush()
    return _view(row)


def _view(row: SigningKey) -> KeyView:
    return KeyView(
        kid=row.kid,
        alg=row.alg,
        generation=row.generation,
        public_jwk=dict(row.public_jwk),
        private_jwk_sealed=bytes(row.private_jwk_sealed),
        created_at=row.created_at,
        signs_from=row.signs_from,
        retired_at=row.retired_at,
    )
