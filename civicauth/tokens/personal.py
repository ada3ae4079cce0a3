"""Personal access tokens: a user's own bearer tokens for API v2.

A token is shown once, when created, and stored only as its SHA-256 digest
(minted in ``tokens/secrets.py``). It carries the scopes it was created with
and an optional expiry; revoking it takes effect at the next lookup.
Services never commit: the request edge owns the transaction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicauth.accounts.models import User
from civicauth.clients.scopes import API_SCOPES
from civicauth.db import utcnow
from civicauth.errors import NotFound, ValidationFailed
from civicauth.mail import enqueue
from civicauth.tokens import secrets
from civicauth.tokens.models import PersonalAccessToken

NAME_MAX = 100
# Live tokens one user may hold: enough for every script, not a storage sink.
MAX_LIVE_TOKENS = 50
# Lifetimes offered, in days (None: never expires), keyed by the form value.
EXPIRY_CHOICES: dict[str, int | None] = {
    "7": 7,
    "30": 30,
    "90": 90,
    "365": 365,
    "never": None,
}
DEFAULT_EXPIRY = "30"


def _live(user_id: int) -> list[ColumnElement[bool]]:
    return [PersonalAccessToken.user_id == user_id, PersonalAccessToken.revoked_at.is_(None)]


def _name_errors(name: str) -> list[str]:
    if not name.strip():
        return ["can't be blank"]
    if len(name.strip()) > NAME_MAX:
        return [f"is too long (maximum is {NAME_MAX} characters)"]
    return []


def _scope_errors(scopes: list[str]) -> list[str]:
    if not scopes:
        return ["must include at least one scope"]
    if unknown := [s for s in scopes if s not in API_SCOPES]:
        return [f"include unknown scopes: {', '.join(unknown)}"]
    return []


def _count_live(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(PersonalAccessToken).where(*_live(user_id))
    return int(session.scalar(query) or 0)


def token_errors(
    session: Session, user_id: int, name: str, expires_in: str, scopes: list[str]
) -> dict[str, list[str]]:
    checks = {
        "name": _name_errors(name),
        "expires_in": [] if expires_in in EXPIRY_CHOICES else ["is not one of the choices"],
        "scopes": _scope_errors(scopes),
    }
    if not checks["name"] and _count_live(session, user_id) >= MAX_LIVE_TOKENS:
        checks["name"] = [f"cannot be added: revoke a token first (at most {MAX_LIVE_TOKENS})"]
    return {field: messages for field, messages in checks.items() if messages}


def create_personal_token(
    session: Session, user_id: int, *, name: str, expires_in: str, scopes: list[str]
) -> tuple[PersonalAccessToken, str]:
    """A new token and its secret (the only time it exists in clear).
    Raises ValidationFailed naming each bad field."""
    if errors := token_errors(session, user_id, name, expires_in, scopes):
        raise ValidationFailed(errors)
    secret = secrets.keys_of(session).mint(secrets.Kind.PERSONAL)
    days = EXPIRY_CHOICES[expires_in]
    now = utcnow()
    token = PersonalAccessToken(
        user_id=user_id,
        name=name.strip(),
        token_digest=secrets.digest(secret),
        display_prefix=secrets.display_prefix(secret),
        # Stored in the order of API_SCOPES so lists read the same everywhere.
        scope=" ".join(s for s in API_SCOPES if s in scopes),
        created_at=now,
        expires_at=now + timedelta(days=days) if days is not None else None,
    )
    session.add(token)
    session.flush()
    _notify_created(session, token)
    return token, secret


def _notify_created(session: Session, token: PersonalAccessToken) -> None:
    """Tell the owner a token exists (its name and shown prefix, never the secret)."""
    owner = session.get_one(User, token.user_id)
    enqueue(
        session,
        owner.email,
        "personal_token_created",
        name=owner.name,
        token_name=token.name,
        token_prefix=token.display_prefix,
        scopes=token.scope,
        expires=f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never",
    )


def personal_tokens_of(session: Session, user_id: int) -> list[PersonalAccessToken]:
    """The user's unrevoked tokens (expired ones included), newest first."""
    query = (
        select(PersonalAccessToken)
        .where(*_live(user_id))
        .order_by(PersonalAccessToken.created_at.desc(), PersonalAccessToken.id.desc())
    )
    return list(session.scalars(query))


def revoke_personal_token(session: Session, user_id: int, token_id: int) -> PersonalAccessToken:
    """Revoke one of the user's own tokens; raises NotFound for any other."""
    token = session.scalar(
        select(PersonalAccessToken).where(PersonalAccessToken.id == token_id, *_live(user_id))
    )
    if token is None:
        raise NotFound(f"personal access token {token_id}")
    token.revoked_at = utcnow()
    session.flush()
    return token


def revoked_rows() -> ColumnElement[bool]:
    """SQL for the tokens the upkeep deletes: revoked ones, which no list
    shows and no request can use (expired ones stay listed, marked expired,
    until their owner revokes them)."""
    return PersonalAccessToken.revoked_at.is_not(None)


def is_expired(token: PersonalAccessToken) -> bool:
    return token.expires_at is not None and token.expires_at <= utcnow()
