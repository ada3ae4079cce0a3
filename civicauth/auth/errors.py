"""API authentication failures, rendered per RFC 6750 §3 and RFC 7617."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

REALM = "API v2"
# The authentication schemes API v2 accepts, as WWW-Authenticate names them.
Scheme = Literal["Basic", "Bearer"]
BASIC: Scheme = "Basic"
BEARER: Scheme = "Bearer"
# RFC 6750 §3.1: the codes that belong in a Bearer challenge.
RFC6750_ERRORS = frozenset({"invalid_request", "invalid_token", "insufficient_scope"})


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class AuthFailure(Exception):
    status: int
    error: str
    description: str
    # The schemes the client used, the one the failure is about first; empty
    # when it sent no credentials we understand.
    schemes: tuple[Scheme, ...] = ()
    scope: str | None = None
    retry_after: int | None = None

    def challenge(self, scheme: Scheme, *, with_error: bool) -> str:
        params = [f"realm={_quote(REALM)}"]
        if scheme == BASIC:
            params.append('charset="UTF-8"')  # RFC 7617 §2.1: how we decode it
        if with_error and (scheme == BASIC or self.error in RFC6750_ERRORS):
            params.append(f"error={_quote(self.error)}")
            params.append(f"error_description={_quote(self.description)}")
            if self.scope:
                params.append(f"scope={_quote(self.scope)}")
        return f"{scheme} {', '.join(params)}"

    def challenges(self) -> list[str]:
        """RFC 7235 §4.1, one challenge per scheme. The scheme the client used
        comes first and alone carries the error (RFC 6750 §3); Bearer is always
        offered; Basic only where it was tried or nothing usable was sent. With
        no credentials there is no error code (RFC 6750 §3.1)."""
        used = self.schemes[0] if self.schemes else None
        found = [self.challenge(used, with_error=True)] if used else []
        for scheme in (BASIC, BEARER):
            if scheme != used and (scheme == BEARER or scheme in self.schemes or not used):
                found.append(self.challenge(scheme, with_error=False))
        return found

    def headers(self) -> dict[str, str]:
        headers = {"WWW-Authenticate": ", ".join(self.challenges())}
        if self.status == 429:
            headers["Retry-After"] = str(self.retry_after or 1)
        return headers

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str, *schemes: Scheme) -> AuthFailure:
    return AuthFailure(400, "invalid_request", description, schemes)


def invalid_token(
    description: str = "The access token is invalid, expired or revoked.",
) -> AuthFailure:
    return AuthFailure(401, "invalid_token", description, (BEARER,))


def invalid_credentials() -> AuthFailure:
    return AuthFailure(401, "invalid_credentials", "Wrong email or password.", (BASIC,))


def password_needs_token() -> AuthFailure:
    """The password was right, but the account has a second factor, which
    HTTP Basic cannot ask for (as GitHub and PyPI do)."""
    return AuthFailure(
        401,
        "invalid_credentials",
        "This account has a second factor, so its password does not work over HTTP Basic. "
        "Use a personal access token instead: as the Basic password (user name __token__ "
        "or your email) or as a bearer token.",
        (BASIC,),
    )


LOCKED = (
    "This account is locked by the people who run this service: it cannot sign in or use "
    "the API (password, personal access tokens or app tokens) until they unlock it."
)


def account_locked(scheme: Scheme) -> AuthFailure:
    """A locked account's credentials, whatever they are: the password (after
    it was checked) or any token (RFC 6750 §3.1 invalid_token for a bearer)."""
    error = "invalid_token" if scheme == BEARER else "invalid_credentials"
    return AuthFailure(401, error, LOCKED, (scheme,))


def app_not_usable(status: str) -> AuthFailure:
    """A token of an app an operator suspended or rejected (RFC 6750 §3.1)."""
    if status == "suspended":
        return invalid_token(
            "The application holding this token is suspended by the people who run this "
            "service; its tokens are refused while it is."
        )
    return invalid_token("The application holding this token is not approved.")


def unauthorized(description: str) -> AuthFailure:
    """No credentials (or none we understand): both challenges, no error code."""
    return AuthFailure(401, "unauthorized", description)


def insufficient_scope(scope: str, scheme: Scheme = BEARER) -> AuthFailure:
    return AuthFailure(
        403,
        "insufficient_scope",
        f"This request needs the {scope!r} scope.",
        (scheme,),
        scope=scope,
    )


def throttled(retry_after: int) -> AuthFailure:
    return AuthFailure(
        429,
        "too_many_attempts",
        "Too many failed sign-in attempts; try again later.",
        (BASIC,),
        retry_after=retry_after,
    )
