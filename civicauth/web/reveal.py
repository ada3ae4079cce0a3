"""A new secret, shown exactly once on the page the form redirects to.

The secret waits for that page in the session's server-side record, sealed
under a key only the browser's session cookie can derive (never in the cookie,
never in plain text in the table; web/session_store.py), and is dropped from
it when shown; redirecting after the POST means reloading the page never
creates a second secret.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

AnyConnection = ASGIConnection[Any, Any, Any, Any]
_KEY = "reveal"


def reveal_once(connection: AnyConnection, label: str, secret: str) -> None:
    """Keep ``secret`` for the next page that asks for ``label``."""
    session = connection.scope.get("session")
    current = session if isinstance(session, dict) else {}
    connection.set_session({**current, _KEY: {"label": label, "secret": secret}})


def take_revealed(connection: AnyConnection, label: str) -> str | None:
    """The secret kept under ``label``, removed from the session; or None."""
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        return None
    kept = session.get(_KEY)
    if not isinstance(kept, dict) or kept.get("label") != label:
        return None
    del session[_KEY]
    return str(kept.get("secret", ""))
