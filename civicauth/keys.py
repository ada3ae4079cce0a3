"""Keys derived from the app's secret key, one per purpose, so that no two
uses (session ids, CSRF tokens, sealed mail) ever share a key. Standard
library only: every layer may import it."""

from __future__ import annotations

import hashlib


def derived_key(secret: str, purpose: str) -> bytes:
    """The 32-byte key for ``purpose`` under ``secret`` (SHA-256 of both)."""
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
