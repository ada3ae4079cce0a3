"""Client authentication at the token, revocation and introspection
endpoints (RFC 6749 §2.3): HTTP Basic, body parameters, or none for public
clients. Authlib's own Basic parser lets undecodable input through as an
exception; this one turns every malformed header into invalid_client."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError

from civicauth.oauth2.inputs import PRINTABLE_ASCII

MAX_HEADER_LENGTH = 1024


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) from ``Authorization: Basic``, or None.

    RFC 6749 §2.3.1: both are form-urlencoded before base64 (RFC 7617).
    """
    if not header or len(header) > MAX_HEADER_LENGTH:
        return None
    scheme, _, token68 = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token68.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    client_id, colon, secret = decoded.partition(":")
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if not colon or not client_id:
        return None
    if not PRINTABLE_ASCII.fullmatch(client_id) or not PRINTABLE_ASCII.fullmatch(secret):
        return None  # never looked up: no such client can exist
    return client_id, secret


def authenticate_client_secret_basic(
    query_client: Callable[[str], Any], request: Any
) -> Any | None:
    credentials = basic_credentials(request.headers.get("Authorization"))
    if credentials is None:
        return None
    client = query_client(credentials[0])
    if client is not None and client.check_client_secret(credentials[1]):
        return client
    return None


def refuse_two_methods(request: Any) -> None:
    """RFC 6749 §2.3: a client MUST NOT use more than one authentication
    method in one request."""
    header = request.headers.get("Authorization") or ""
    if header.strip().lower().startswith("basic") and "client_secret" in request.payload.data:
        raise InvalidRequestError("Authenticate with HTTP Basic or with client_secret, not both.")


class ClientAuthenticationFailed(InvalidClientError):
    """RFC 6749 §5.2 invalid_client, always 401 with a Basic challenge that
    names its realm (RFC 7617 §2), whichever way the client tried."""

    status_code = 401
    description = "Client authentication failed: unknown client, wrong secret or wrong method."

    def get_headers(self) -> list[tuple[str, str]]:
        headers = [(k, v) for k, v in super().get_headers() if k != "WWW-Authenticate"]
        challenge = f'Basic realm="OAuth", error="{self.error}"'
        return [*headers, ("WWW-Authenticate", challenge)]
