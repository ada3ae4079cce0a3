"""What the provider answers, as data; routes and pages turn it into HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# RFC 6749 §5.1: token responses (and, here, every OAuth JSON answer) are
# never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class OAuthResponse:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    @location.setter
    def location(self, value: str) -> None:
        self.headers["Location"] = value


def json_error(status: int, error: str, description: str) -> OAuthResponse:
    body = {"error": error, "error_description": description}
    return OAuthResponse(status, body, {"Content-Type": "application/json", **NO_STORE})


def with_issuer(location: str, issuer: str) -> str:
    """RFC 9207 §2: every authorization response names the issuer, in the
    same component that carries the other parameters (the fragment for the
    implicit flow, where registered redirect URIs never have one)."""
    parts = urlsplit(location)
    if parts.fragment:
        fragment = urlencode([*parse_qsl(parts.fragment, keep_blank_values=True), ("iss", issuer)])
        return urlunsplit(parts._replace(fragment=fragment))
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("iss", issuer)])
    return urlunsplit(parts._replace(query=query))
