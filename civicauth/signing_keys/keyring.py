"""What one process holds of the signing keys: the seal that opens their
private parts, and the rows it read last, for a few seconds.

The cache only spares a database read per signature; it never decides which
key signs (civicauth/signing_keys/schedule.py does, from the rows and the
time). It may be stale for ``CACHE_SECONDS``: a rotation publishes a key long
before it signs (the publish delay), so every worker has read the new row
before the moment it must sign with it.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

from joserfc.jwk import ECKey, RSAKey, import_key
from sqlalchemy.orm import Session

from civicauth import keys
from civicauth.db.engine import given
from civicauth.settings import Settings
from civicauth.signing_keys.schedule import KeyView, Schedule

KEYRING = "civicauth.signing_keys.keyring"
CACHE_SECONDS = 5.0
_PURPOSE = "oidc-signing-key"

AnyKey = RSAKey | ECKey


class Keyring:
    """One process's view of the signing keys. Built once per app from settings."""

    def __init__(
        self,
        secret: str,
        previous: str = "",
        *,
        issuer: str,
        id_token_ttl: int = 3600,
        publish_delay: int = 900,
        jwks_max_age: int = 600,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._seal = keys.SealKeys.derive(secret, previous, _PURPOSE)
        self.issuer = issuer
        self.schedule = Schedule(timedelta(seconds=id_token_ttl))
        self.publish_delay = timedelta(seconds=publish_delay)
        self.jwks_max_age = jwks_max_age
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._rows: tuple[KeyView, ...] | None = None
        self._read_at = 0.0
        self._private: dict[str, AnyKey] = {}
        self._public: dict[str, AnyKey] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        return cls(
            settings.resolved_secret_key(),
            settings.secret_key_previous,
            issuer=settings.issuer,
            id_token_ttl=settings.id_token_ttl,
            publish_delay=settings.signing_key_publish_delay,
            jwks_max_age=settings.jwks_max_age,
        )

    def __repr__(self) -> str:
        return "Keyring(...)"

    def seal(self, private_jwk: dict[str, Any], kid: str) -> bytes:
        """The stored form of a private JWK, bound to its kid (a sealed key
        copied to another row does not open)."""
        return keys.seal(self._seal, json.dumps(private_jwk, sort_keys=True), kid)

    def cached(self) -> tuple[KeyView, ...] | None:
        """The rows read less than CACHE_SECONDS ago, or None."""
        with self._lock:
            fresh = time.monotonic() - self._read_at < self._cache_seconds
            return self._rows if fresh else None

    def remember(self, rows: tuple[KeyView, ...], read_at: float) -> None:
        """Keep rows that a committed state showed (never rows this process
        inserted in a transaction that may yet roll back)."""
        with self._lock:
            if read_at >= self._read_at:
                self._rows, self._read_at = rows, read_at

    def forget(self) -> None:
        """Read the rows again next time (after this process changed them)."""
        with self._lock:
            self._rows, self._read_at = None, 0.0

    def private_key(self, view: KeyView) -> AnyKey:
        """The key that signs as ``view``. Raises cryptography's InvalidTag
        when its seal does not open (sealed under a secret key this server
        no longer has), ValueError when it was retired."""
        found = self._private.get(view.kid)
        if found is None:
            if not view.private_jwk_sealed:
                raise ValueError(f"signing key {view.kid} was retired")
            opened = json.loads(keys.unseal(self._seal, view.private_jwk_sealed, view.kid))
            named = {**opened, "kid": view.kid, "alg": view.alg, "use": "sig"}
            found = self._private.setdefault(view.kid, _imported(named))
        return found

    def public_key(self, view: KeyView) -> AnyKey:
        """The key that verifies what ``view`` signed."""
        found = self._public.get(view.kid)
        if found is None:
            found = self._public.setdefault(view.kid, _imported(view.public_jwk))
        return found


def _imported(jwk: dict[str, Any]) -> AnyKey:
    key = import_key(jwk)
    if not isinstance(key, RSAKey | ECKey):
        raise ValueError(f"a signing key must be RSA or EC, not {jwk.get('kty')}")
    return key


def session_info(settings: Settings) -> dict[str, Any]:
    """``Session.info`` entries for a Database whose sessions sign or verify ID tokens."""
    return {KEYRING: Keyring.from_settings(settings)}


def keyring_of(session: Session) -> Keyring:
    """The keyring the session's Database was given. Raises RuntimeError when
    it has none: a programming error."""
    builder = "civicauth.signing_keys.keyring.session_info(settings)"
    return given(session, KEYRING, Keyring, "signing keyring", builder)
