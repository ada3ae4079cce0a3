"""Who is signed in to the pages.

The session holds the user id and the user's security stamp at sign-in; a
password change replaces the stamp, which ends every other session.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from civicauth.accounts.models import User
from civicauth.context import AppContext

AnyConnection = ASGIConnection[Any, Any, Any, Any]


def signed_in_user(connection: AnyConnection, ctx: AppContext) -> User | None:
    """The signed-in user (loaded from the database), or None. Call from a thread."""
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        return None
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    with ctx.db.read() as db:
        user = db.get(User, user_id)
    if user is None or user.security_stamp != session.get("stamp"):
        connection.clear_session()
        return None
    return user


def sign_in(connection: AnyConnection, user: User) -> None:
    # A fresh session dict: nothing from before sign-in survives (fixation).
    connection.clear_session()
    connection.set_session({"uid": user.id, "stamp": user.security_stamp})


def refresh_stamp(connection: AnyConnection, user: User) -> None:
    """Keep this session alive after its own password change."""
    connection.set_session({"uid": user.id, "stamp": user.security_stamp})


def sign_out(connection: AnyConnection) -> None:
    # An empty session rather than none, so a flash message can follow.
    connection.set_session({})


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after sign-in; anything else is the default
    (no open redirects: absolute URLs, scheme-relative ``//host`` and
    backslash tricks are refused)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target
