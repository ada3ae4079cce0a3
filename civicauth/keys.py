"""Keys derived from the app's secret key, one per purpose, so that no two
uses (session ids, CSRF tokens, sealed mail) share a key; and AES-GCM
sealing under them, for secrets that must be recovered and so cannot be
stored as digests. Standard library and ``cryptography`` only: every layer
may import it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12  # the nonce size AES-GCM is built for (NIST SP 800-38D)


def derived_key(secret: str, purpose: str) -> bytes:
    """The 256-bit key for ``purpose`` under the app's ``secret`` (SHA-256 of
    both; HKDF would add nothing: the secret key is already high-entropy)."""
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


@dataclass(frozen=True)
class SealKeys:
    """The key that seals and the one that still opens what was sealed
    before the secret key was rotated (``CIVICAUTH_SECRET_KEY_PREVIOUS``)."""

    current: bytes
    previous: bytes | None = None

    @classmethod
    def derive(cls, secret: str, previous: str, purpose: str) -> SealKeys:
        """The keys for ``purpose`` under the secret key and the previous one (if any)."""
        older = derived_key(previous, purpose) if previous else None
        return cls(derived_key(secret, purpose), older)


# A single key, or the current and previous ones: seal and unseal take either.
SealingKey = bytes | SealKeys


def seal(key: SealingKey, plaintext: str, context: str) -> bytes:
    """Nonce (fresh and random) and ciphertext, always under the current key;
    ``context`` is bound as associated data, so a sealed value copied to
    another row does not open."""
    current = key.current if isinstance(key, SealKeys) else key
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(current).encrypt(nonce, plaintext.encode(), context.encode())


def unseal(key: SealingKey, sealed: bytes, context: str) -> str:
    """The plaintext, under the current key or else the previous one; raises
    cryptography's InvalidTag for a wrong key or context (or an altered
    value), ValueError for one too short to hold a nonce."""
    nonce, ciphertext = sealed[:_NONCE], sealed[_NONCE:]
    if not isinstance(key, SealKeys):
        return AESGCM(key).decrypt(nonce, ciphertext, context.encode()).decode()
    try:
        return unseal(key.current, sealed, context)
    except InvalidTag:
        if key.previous is None:
            raise
        return unseal(key.previous, sealed, context)
