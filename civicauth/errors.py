"""Domain errors. They carry no HTTP; the edges map them to responses."""

from __future__ import annotations


class CivicAuthError(Exception):
    """Base of every error the domain raises on purpose."""


class ValidationFailed(CivicAuthError):
    """Input broke one or more rules; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class NotFound(CivicAuthError):
    """The named thing does not exist (or is not the caller's to see)."""


class PermissionDenied(CivicAuthError):
    """The caller is known but may not do this."""


class InvalidCredentials(CivicAuthError):
    """Wrong email or password; ``user_id`` is the account's, None for an unknown email."""

    def __init__(self, user_id: int | None = None) -> None:
        super().__init__("wrong email or password")
        self.user_id = user_id


class RateLimited(CivicAuthError):
    """The caller used up a rate limit on ``what``; may try again after
    ``retry_after`` seconds."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"too many {what}s; try again in {retry_after} s")
        self.what = what
        self.retry_after = retry_after
