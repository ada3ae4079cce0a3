"""Keys derived from the app's secret key, one per purpose, so that no two
uses (session ids, CSRF tokens, sealed mail) share a key; and AES-GCM
sealing under them, for secrets that must be recovered and so cannot be
stored as digests. Standard library and ``cryptography`` only: every layer
may import it."""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12  # the nonce size AES-GCM is built for (NIST SP 800-38D)


def derived_key(secret: str, purpose: str) -> bytes:
    """The 256-bit key for ``purpose`` under the app's ``secret`` (SHA-256 of
    both; HKDF would add nothing: the secret key is already high-entropy)."""
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def seal(key: bytes, plaintext: str, context: str) -> bytes:
    """Nonce (fresh and random) and ciphertext; ``context`` is bound as
    associated data, so a sealed value copied to another row does not open."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())


def unseal(key: bytes, sealed: bytes, context: str) -> str:
    """The plaintext; raises cryptography's InvalidTag for a wrong key or
    context (or an altered value), ValueError for one too short to hold a nonce."""
    nonce, ciphertext = sealed[:_NONCE], sealed[_NONCE:]
    return AESGCM(key).decrypt(nonce, ciphertext, context.encode()).decode()
