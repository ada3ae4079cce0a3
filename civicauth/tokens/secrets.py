"""The ONLY place bearer secrets are minted, recognised and hashed.

A token reads ``<prefix><body><checksum>``: the prefix says what it is (and
lets secret scanners find leaked ones), the body is 190 bits of randomness in
base62, and the checksum (CRC32 of prefix and body, 6 base62 digits) lets a
mistyped or made-up token be refused without a database read. Tokens are
stored only as SHA-256 digests: they are high-entropy, so a fast hash is safe.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from enum import StrEnum

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LEN = 32
_CHECK_LEN = 6


class Kind(StrEnum):
    ACCESS = "cva_"
    REFRESH = "cvr_"
    CODE = "cvc_"
    PERSONAL = "cvp_"
    CLIENT_SECRET = "cvs_"
    # The single-use links mailed to a resident (password reset, email
    # confirmation): never a credential the API accepts.
    ACCOUNT_LINK = "cvl_"


_KINDS = {kind.value: kind for kind in Kind}
_TOKEN_LEN = 4 + _BODY_LEN + _CHECK_LEN


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def _checksum(prefix_and_body: str) -> str:
    return _base62(zlib.crc32(prefix_and_body.encode()), _CHECK_LEN)


def _assemble(kind: Kind, entropy: bytes) -> str:
    body = _base62(int.from_bytes(entropy, "big"), _BODY_LEN)
    return f"{kind.value}{body}{_checksum(kind.value + body)}"


def mint(kind: Kind) -> str:
    """A new random token of this kind."""
    return _assemble(kind, secrets.token_bytes(24))


def derive(kind: Kind, key: bytes, material: str) -> str:
    """A token determined by ``key`` and ``material`` (HMAC-SHA256).

    Used where the same secret must be produced twice without being stored,
    e.g. the pair a rotated refresh token turns into during the grace window.
    """
    entropy = hmac.new(key, material.encode(), hashlib.sha256).digest()[:24]
    return _assemble(kind, entropy)


def kind_of(token: str) -> Kind | None:
    """The kind of a well-formed token, or None: no database needed."""
    if len(token) != _TOKEN_LEN:
        return None
    kind = _KINDS.get(token[:4])
    if kind is None:
        return None
    body, check = token[4 : 4 + _BODY_LEN], token[4 + _BODY_LEN :]
    if not all(c in _ALPHABET for c in body):
        return None
    if not hmac.compare_digest(check, _checksum(token[:4] + body)):
        return None
    return kind


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, safe to show in lists."""
    return token[:12]


def keyed_digest(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of parts under a server key: cache keys for credentials."""
    message = "\x00".join(parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def new_client_id() -> str:
    """A public application id (not a secret, so no prefix or checksum)."""
    return _base62(int.from_bytes(secrets.token_bytes(24), "big"), _BODY_LEN)
