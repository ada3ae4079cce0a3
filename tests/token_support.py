"""Tokens for tests that this server did not mint: forged ones (the current
shape and a good checksum, but a mac under another key) and legacy ones (the
shape tokens had before they carried a mac, built here as the old code did,
so that a change to civicauth's own minting cannot hide a broken fallback)."""

from __future__ import annotations

import secrets as random
import zlib

from civicauth.tokens.secrets import Kind, TokenKeys

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def forged(kind: Kind) -> str:
    """A token of ``kind`` that passes every public check and that no test
    server minted: its mac is under a key of its own."""
    return TokenKeys("not the server's key " + random.token_hex(8)).mint(kind)


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def legacy(kind: Kind) -> str:
    """A token minted the way tokens were before they carried a mac:
    prefix, 32 base62 digits of randomness, CRC32 checksum in 6 digits."""
    body = _base62(int.from_bytes(random.token_bytes(24), "big"), 32)
    check = _base62(zlib.crc32((kind.value + body).encode()), 6)
    return kind.value + body + check
