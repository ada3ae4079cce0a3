from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from civicauth.auth.errors import BEARER, Scheme

# Basic credentials and personal access tokens act as the user themself.
ALL_SCOPES = frozenset({"public", "write"})

Method = Literal["basic", "bearer", "personal_token"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The outcome of authenticating one API request."""

    user_id: int | None  # None for a client acting for itself (client_credentials)
    scopes: frozenset[str]
    method: Method
    client_id: str | None = None
    # A snapshot of the user's public profile, read at most a second ago.
    profile: dict[str, Any] = field(default_factory=dict, compare=False)
    # How the credentials came: a personal access token may be a Bearer token
    # or a Basic password, and a refusal answers in the scheme the client used.
    scheme: Scheme = BEARER

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
