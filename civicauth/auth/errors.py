"""API authentication failures, rendered per RFC 6750 §3 and RFC 7617."""

from __future__ import annotations

from dataclasses import dataclass

REALM = "API v2"
# RFC 6750 §3.1: the codes that belong in a Bearer challenge.
RFC6750_ERRORS = frozenset({"invalid_request", "invalid_token", "insufficient_scope"})


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class AuthFailure(Exception):
    status: int
    error: str
    description: str
    # Which challenges go into WWW-Authenticate; the error code rides on Bearer.
    basic_tried: bool = False
    scope: str | None = None
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        if self.status == 429:
            return {"Retry-After": str(self.retry_after or 1)}
        bearer = f"Bearer realm={_quote(REALM)}"
        if self.error in RFC6750_ERRORS:
            bearer += f", error={_quote(self.error)}, error_description={_quote(self.description)}"
        if self.scope:
            bearer += f", scope={_quote(self.scope)}"
        if self.status == 401 or self.basic_tried:
            return {"WWW-Authenticate": f"Basic realm={_quote(REALM)}, {bearer}"}
        return {"WWW-Authenticate": bearer}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> AuthFailure:
    return AuthFailure(400, "invalid_request", description)


def invalid_token(
    description: str = "The access token is invalid, expired or revoked.",
) -> AuthFailure:
    return AuthFailure(401, "invalid_token", description)


def invalid_credentials() -> AuthFailure:
    return AuthFailure(401, "invalid_credentials", "Wrong email or password.", basic_tried=True)


def insufficient_scope(scope: str) -> AuthFailure:
    return AuthFailure(
        403, "insufficient_scope", f"This request needs the {scope!r} scope.", scope=scope
    )


def throttled(retry_after: int) -> AuthFailure:
    return AuthFailure(
        429,
        "too_many_attempts",
        "Too many failed sign-in attempts; try again later.",
        retry_after=retry_after,
    )
