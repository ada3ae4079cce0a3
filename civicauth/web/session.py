"""Who is signed in to the pages.

The session (a server-side record, web/session_store.py) holds the user id
and the user's security stamp at sign-in. A password change deletes the
user's session records and replaces the stamp: either alone ends every
other session. Signing in or out gives the browser a new session id.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from litestar.connection import ASGIConnection

from civicauth.accounts import amr as methods
from civicauth.accounts.models import User
from civicauth.context import AppContext
from civicauth.db import utcnow
from civicauth.logs import note_user
from civicauth.web.session_store import handle_of

AnyConnection = ASGIConnection[Any, Any, Any, Any]
_FACTOR_AT = "factor_at"


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
    # A locked account's sessions were ended when it was locked; one that
    # got through anyway (a sign-in racing the lock) ends here.
    if user is None or user.security_stamp != session.get("stamp") or user.locked_at is not None:
        connection.clear_session()
        return None
    note_user(user.id)
    return user


def sign_in(
    connection: AnyConnection,
    user: User,
    *,
    password_entered: bool = True,
    amr: tuple[str, ...] = methods.PASSWORD,
) -> None:
    """Sign ``user`` in to this browser: a new session (and session id), a
    mail when the user signed in from other browsers before but never from
    this one, and the password counted as just entered (unless told not).
    ``amr`` says how (accounts/amr.py), for the ID tokens of this sign-in."""
    # A fresh session dict and id: nothing from before sign-in survives (fixation).
    connection.clear_session()
    connection.set_session({"uid": user.id, "stamp": user.security_stamp, "amr": list(amr)})
    note_user(user.id)
    handle = handle_of(connection)
    handle.renew, handle.keep_created, handle.signed_in = True, False, True
    handle.password_entered = password_entered


def refresh_stamp(connection: AnyConnection, user: User) -> None:
    """Keep this session alive after its own password change (which deleted
    every session record of the user): it goes on under a new id, with the
    time it signed in (and how) kept."""
    session = connection.scope.get("session")
    amr = session.get("amr") if isinstance(session, dict) else None
    connection.set_session({"uid": user.id, "stamp": user.security_stamp, "amr": amr or []})
    handle = handle_of(connection)
    handle.renew, handle.keep_created, handle.password_entered = True, True, True


def sign_in_facts(connection: AnyConnection) -> tuple[datetime | None, tuple[str, ...]]:
    """When and how this browser's resident signed in: the session row's
    creation (every sign-in starts a new row, and a password change keeps
    it) and the methods recorded at sign-in (OIDC Core §2 ``auth_time``,
    ``amr``). A session from before methods were recorded has none."""
    session = connection.scope.get("session")
    stored = session.get("amr") if isinstance(session, dict) else None
    return handle_of(connection).created_at, methods.parse(stored)


def sign_out(connection: AnyConnection) -> None:
    """End this session on the server. An empty session rather than none,
    so a flash message can follow (under a new id)."""
    connection.set_session({})
    handle_of(connection).renew = True


def password_entered(connection: AnyConnection) -> None:
    """The resident just entered the password again (re-authentication)."""
    handle_of(connection).password_entered = True


def password_age(connection: AnyConnection) -> float | None:
    """Seconds since the password was last entered in this session, or None
    when it never was (or there is no session record)."""
    handle = handle_of(connection)
    if handle.password_entered:
        return 0.0
    if handle.password_confirmed_at is None:
        return None
    return (utcnow() - handle.password_confirmed_at).total_seconds()


def factor_entered(connection: AnyConnection) -> None:
    """The signed-in user just proved a second factor (at sign-in, or again
    for an operator action): when, kept in the server-side session."""
    session = connection.scope.get("session")
    current = session if isinstance(session, dict) else {}
    connection.set_session({**current, _FACTOR_AT: time.time()})


def factor_age(connection: AnyConnection) -> float | None:
    """Seconds since this session last proved a second factor; None if never."""
    session = connection.scope.get("session")
    when = session.get(_FACTOR_AT) if isinstance(session, dict) else None
    return time.time() - float(when) if isinstance(when, int | float) else None


def current_session_id(connection: AnyConnection) -> int | None:
    """The row id of this browser's session record, if it has one."""
    return handle_of(connection).row_id


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after sign-in; anything else is the default
    (no open redirects: absolute URLs, scheme-relative ``//host`` and
    backslash tricks are refused)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target
