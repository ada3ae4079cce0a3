"""Helpers for the OpenID Connect tests: apps registered for it, and an ID
token's claims read for inspection (the relying-party tests verify them
against the JWKS with real client libraries)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from joserfc import jws

from tests.functional.oauth_support import register_app

OPENID_SCOPES = "openid profile email public write"


def openid_app(ctx: Any, server_url: str, **changes: Any) -> Any:
    """An approved app that may ask for every scope, code and implicit flows."""
    values: dict[str, Any] = {
        "scopes": OPENID_SCOPES,
        "grant_types": ["authorization_code", "refresh_token", "implicit"],
        **changes,
    }
    return register_app(ctx, server_url, **values)


def claims_of(id_token: str) -> dict[str, Any]:
    """The payload of a compact JWS, unverified: for looking at, not trusting."""
    payload: dict[str, Any] = json.loads(jws.extract_compact(id_token.encode()).payload)
    return payload


def header_of(id_token: str) -> dict[str, Any]:
    return dict(jws.extract_compact(id_token.encode()).protected)


def half_hash(value: str) -> str:
    """OIDC Core §3.1.3.6 at_hash / §3.3.2.11 c_hash for RS256."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
