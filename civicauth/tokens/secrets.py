"""The ONLY place bearer secrets are minted, recognised and hashed.

A token reads ``<prefix><body><mac><checksum>``: the prefix says what it is
(and lets secret scanners find leaked ones), the body is 190 bits of
randomness in base62, the mac is HMAC-SHA256 of prefix and body under a key
derived from the app's secret key (88 bits, 15 base62 digits), and the
checksum (CRC32 of everything before it, 6 base62 digits) lets a scanner or a
mistyped token be refused without any key. The checksum is public, so anyone
can make a token that passes it; the mac is not, so a token this server never
minted is refused (``TokenKeys.kind_of``) without a database read. Tokens are
stored only as SHA-256 digests: they are high-entropy, so a fast hash is safe.

Tokens minted before the mac was added read ``<prefix><body><checksum>``
(42 characters, not 57) and are looked up as before while
``CIVICAUTH_LEGACY_TOKENS`` is on (the default). That fallback is needed for
the longest lifetime of a token minted before the upgrade: codes 10 minutes,
access tokens ``CIVICAUTH_ACCESS_TOKEN_TTL`` (2 hours), account links a day,
refresh tokens up to ``CIVICAUTH_REFRESH_TOKEN_MAX_TTL`` (a year), personal
access tokens until they expire, which may be never. The server cannot tell
by itself when none are left (only digests are stored), so the operator turns
it off; until then a made-up token of the old shape still costs a lookup.
Client secrets keep that shape and no mac (see ``_UNKEYED``), whatever the
setting says.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from civicauth.db.engine import given
from civicauth.keys import derived_key
from civicauth.settings import Settings

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = frozenset(_ALPHABET)
_BODY_LEN = 32
_MAC_LEN = 15
_MAC_BYTES = 11  # 88 bits: 62**15 > 2**88, so base62 keeps them all
_CHECK_LEN = 6
_PURPOSE = "token-mac"


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
# A client secret is checked against the row its client_id already fetched,
# so a mac would spare no read; and it lives as long as the app, which a
# change of the server's secret key must not lock out. It keeps the old shape.
_UNKEYED = frozenset({Kind.CLIENT_SECRET})
_LEGACY_LEN = 4 + _BODY_LEN + _CHECK_LEN
_TOKEN_LEN = 4 + _BODY_LEN + _MAC_LEN + _CHECK_LEN


# Every two-digit numeral, so that _base62 divides half as often: it runs
# four times for each token minted and twice for each one checked.
_PAIRS = tuple(high + low for high in _ALPHABET for low in _ALPHABET)


def _base62(number: int, width: int) -> str:
    """The last ``width`` base62 digits of ``number``, most significant first."""
    digits = []
    for _ in range(width // 2):
        number, rest = divmod(number, 3844)
        digits.append(_PAIRS[rest])
    if width % 2:
        digits.append(_ALPHABET[number % 62])
    return "".join(reversed(digits))


def _checksum(prefix_and_body: str) -> str:
    return _base62(zlib.crc32(prefix_and_body.encode()), _CHECK_LEN)


def _mac(key: bytes, prefix_and_body: str) -> str:
    # hmac.digest is the one-shot C path: this runs on every bearer request.
    mac = hmac.digest(key, prefix_and_body.encode(), "sha256")
    return _base62(int.from_bytes(mac[:_MAC_BYTES], "big"), _MAC_LEN)


def _body(entropy: bytes) -> str:
    return _base62(int.from_bytes(entropy, "big"), _BODY_LEN)


def mint_client_secret() -> str:
    """A new client secret (``cvs_``): random body and checksum, no mac."""
    body = _body(secrets.token_bytes(24))
    prefix_and_body = Kind.CLIENT_SECRET.value + body
    return prefix_and_body + _checksum(prefix_and_body)


def kind_of(token: str) -> Kind | None:
    """The kind of a well-formed token (either shape, good checksum), or
    None. No key and no database: the mac is NOT checked, so this only sorts
    what a request carries (``TokenKeys.kind_of`` says whether we minted it)."""
    if len(token) not in (_TOKEN_LEN, _LEGACY_LEN):
        return None
    kind = _KINDS.get(token[:4])
    if kind is None:
        return None
    if kind in _UNKEYED and len(token) != _LEGACY_LEN:
        return None  # a client secret never carries a mac
    head, check = token[:-_CHECK_LEN], token[-_CHECK_LEN:]
    if not _DIGITS.issuperset(head[4:]):
        return None
    if not hmac.compare_digest(check, _checksum(head)):
        return None
    return kind


class TokenKeys:
    """Mints tokens with a mac under the current secret key and recognises
    those minted under it or under the previous one (a key rotation does not
    sign anyone out). Built once per app from settings."""

    def __init__(self, secret: str, previous: str | None = None, *, legacy: bool = True) -> None:
        self._key = derived_key(secret, _PURPOSE)
        self._keys = (self._key,) + ((derived_key(previous, _PURPOSE),) if previous else ())
        self._legacy = legacy

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenKeys:
        return cls(
            settings.resolved_secret_key(),
            settings.secret_key_previous or None,
            legacy=settings.legacy_tokens,
        )

    def __repr__(self) -> str:
        return "TokenKeys(...)"

    def _assemble(self, kind: Kind, entropy: bytes) -> str:
        if kind in _UNKEYED:
            raise ValueError(f"{kind.name} tokens carry no mac: use mint_client_secret()")
        prefix_and_body = kind.value + _body(entropy)
        head = prefix_and_body + _mac(self._key, prefix_and_body)
        return head + _checksum(head)

    def mint(self, kind: Kind) -> str:
        """A new random token of this kind, with its mac under the current key."""
        return self._assemble(kind, secrets.token_bytes(24))

    def derive(self, kind: Kind, key: bytes, material: str) -> str:
        """A token determined by ``key`` and ``material`` (HMAC-SHA256).

        Used where the same secret must be produced twice without being stored,
        e.g. the pair a rotated refresh token turns into during the grace window.
        """
        return self._assemble(kind, hmac.new(key, material.encode(), hashlib.sha256).digest()[:24])

    def kind_of(self, token: str) -> Kind | None:
        """The kind of a token this server may have minted, or None for one it
        cannot have: malformed, or a mac that opens under neither key (or a
        token of the old shape when those are no longer accepted). Either way
        no database read is needed to refuse it."""
        kind = kind_of(token)
        if kind is None or kind in _UNKEYED:
            return kind
        if len(token) == _LEGACY_LEN:
            # Minted before the mac: only its row can tell (a lookup, as before).
            return kind if self._legacy else None
        prefix_and_body = token[: 4 + _BODY_LEN]
        mac = token[4 + _BODY_LEN : -_CHECK_LEN]
        for key in self._keys:
            if hmac.compare_digest(mac, _mac(key, prefix_and_body)):
                return kind
        return None


TOKEN_KEYS = "civicauth.tokens.keys"


def session_info(keys: TokenKeys) -> dict[str, Any]:
    """``Session.info`` entries for a Database whose sessions mint or look up tokens."""
    return {TOKEN_KEYS: keys}


def keys_of(session: Session) -> TokenKeys:
    """The token keys the session's Database was given (they travel in
    ``Session.info``, like the mail seal, so lookups keep their signatures).
    Raises RuntimeError when it has none: a programming error."""
    builder = "civicauth.tokens.secrets.session_info(settings)"
    return given(session, TOKEN_KEYS, TokenKeys, "token keys", builder)


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
