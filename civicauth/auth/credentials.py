"""The one parser of API credentials: Authorization (RFC 7617 Basic, RFC 6750
Bearer), the ``Authentication: Bearer`` header the SeeClickFix docs print,
and the ``access_token`` form and query parameters (RFC 6750 §2.2, §2.3).

Hand-written because it is the hot path and must turn every malformed input
into a precise 400/401 rather than an exception: base64 with ``validate``,
strict UTF-8, the password split at the first colon only (RFC 7617 §2).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from civicauth.auth.errors import BASIC, BEARER, Scheme, invalid_request, unauthorized

# Far above any real credential; refuses the 64 KB header before any work.
MAX_CREDENTIALS_LENGTH = 4096
# RFC 6750 §2.1 b64token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# RFC 5234 CTL, which RFC 7617 §2 forbids in the user-id and the password
# (and PostgreSQL cannot store NUL in text).
_CTL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class BasicCredentials:
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class BearerCredentials:
    token: str
    source: str  # "header", "body" or "query"


Credentials = BasicCredentials | BearerCredentials


def scheme_of(credentials: Credentials) -> Scheme:
    """The WWW-Authenticate scheme these credentials were sent under."""
    return BASIC if isinstance(credentials, BasicCredentials) else BEARER


def parse_basic(token68: str) -> BasicCredentials:
    try:
        raw = base64.b64decode(token68, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_request("Basic credentials are not valid base64.", BASIC) from None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("Basic credentials are not valid UTF-8.", BASIC) from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise invalid_request("Basic credentials must be 'user:password'.", BASIC)
    if _CTL.search(decoded):
        raise invalid_request("Basic credentials must not hold control characters.", BASIC)
    return BasicCredentials(username, password)


def parse_bearer(token: str, source: str) -> BearerCredentials:
    if not _B64TOKEN.fullmatch(token):
        raise invalid_request("The bearer token is malformed.", BEARER)
    return BearerCredentials(token, source)


def parse_header(value: str, *, bearer_only: bool = False) -> Credentials:
    """Parse an ``Authorization`` (or ``Authentication``) header value."""
    scheme, _, rest = value.strip().partition(" ")
    scheme = scheme.lower()
    rest = rest.strip()
    if scheme == "basic" and not bearer_only:
        if len(value) > MAX_CREDENTIALS_LENGTH:
            raise invalid_request("The credentials are too long.", BASIC)
        if not rest:
            raise invalid_request("Basic credentials are empty.", BASIC)
        return parse_basic(rest)
    if scheme == "bearer":
        if len(value) > MAX_CREDENTIALS_LENGTH:
            raise invalid_request("The credentials are too long.", BEARER)
        if not rest:
            raise invalid_request("The bearer token is empty.", BEARER)
        return parse_bearer(rest, "header")
    # RFC 6750 §3.1: an unsupported method gets a challenge without an error code.
    raise unauthorized("Use HTTP Basic or a Bearer token.")


def extract(
    authorization: list[str],
    authentication: list[str],
    query_tokens: list[str],
    body_tokens: list[str],
) -> Credentials | None:
    """The one set of credentials in a request, or None.

    RFC 6750 §3.1: more than one method in one request is invalid_request.
    """
    found: list[Credentials] = [parse_header(v) for v in authorization]
    found += [parse_header(v, bearer_only=True) for v in authentication]
    found += [parse_bearer(t, "query") for t in query_tokens]
    found += [parse_bearer(t, "body") for t in body_tokens]
    if len(found) > 1:
        # The error is RFC 6750's when a token was among them (§3.1).
        used = {scheme_of(c) for c in found}
        schemes = [scheme for scheme in (BEARER, BASIC) if scheme in used]
        raise invalid_request("Send credentials by exactly one method.", *schemes)
    return found[0] if found else None
