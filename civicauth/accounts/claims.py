"""What an OpenID Connect relying party may learn of a resident, per scope
(OIDC Core §5.1, §5.4): the one place that turns an account into claims, for
ID tokens and userinfo alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civicauth.accounts.models import User

# Every account has the same default picture for now (as API v2's avatar).
DEFAULT_AVATAR_PATH = "/static/no-avatar-100.png"


def subject_of(user_id: int) -> str:
    """The public subject identifier (OIDC Core §8): the account's id, the
    same for every app, as API v2 shows it."""
    return str(user_id)


def claims_for(user: User, scopes: set[str], issuer: str) -> dict[str, Any]:
    """``sub`` and the claims the scopes grant: ``profile`` name, picture and
    updated_at (seconds since the epoch); ``email`` the address and whether
    the resident confirmed it (an address changed but not yet confirmed is
    not shown: the old one stays until the link is used)."""
    claims: dict[str, Any] = {"sub": subject_of(user.id)}
    if "profile" in scopes:
        claims["name"] = user.name
        claims["picture"] = issuer + DEFAULT_AVATAR_PATH
        claims["updated_at"] = int(user.updated_at.timestamp())
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified_at is not None
    return claims


def user_claims(session: Session, user_id: int, scopes: set[str], issuer: str) -> dict[str, Any]:
    """The claims of the account ``user_id`` (only ``sub`` if it is gone)."""
    user = session.get(User, user_id)
    if user is None:
        return {"sub": subject_of(user_id)}
    return claims_for(user, scopes, issuer)
