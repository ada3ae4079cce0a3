"""Secrets that must be recovered (a TOTP seed), sealed with AES-GCM under a
key derived from the app's secret key, never stored in plain text."""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


def derive_key(app_secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from the app's secret key
    (HKDF would add nothing here: the secret key is already high-entropy)."""
    return hashlib.sha256(f"civicauth-{purpose}:{app_secret}".encode()).digest()


def seal(key: bytes, plaintext: str, context: str) -> bytes:
    """Nonce and ciphertext; ``context`` (e.g. the owner's id) is bound as
    associated data, so a sealed value copied to another row does not open."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())


def unseal(key: bytes, sealed: bytes, context: str) -> str:
    """The plaintext; raises cryptography's InvalidTag for a wrong key or context."""
    nonce, ciphertext = sealed[:_NONCE], sealed[_NONCE:]
    return AESGCM(key).decrypt(nonce, ciphertext, context.encode()).decode()
