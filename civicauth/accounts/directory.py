"""Finding accounts, for the operator console's user search."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from civicauth.accounts.models import User

SEARCH_LIMIT = 50


def _like(text: str) -> str:
    """``text`` as a LIKE pattern that matches it anywhere, its own ``%``,
    ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_users(session: Session, query: str, limit: int = SEARCH_LIMIT) -> list[User]:
    """Accounts whose email or name holds ``query`` (any case), by email;
    the newest accounts when ``query`` is blank. At most ``limit``."""
    statement = select(User)
    text = query.strip().lower()[:254]
    if text:
        pattern = _like(text)
        statement = statement.where(
            or_(
                User.email_canonical.like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        ).order_by(User.email_canonical)
    else:
        statement = statement.order_by(User.id.desc())
    return list(session.scalars(statement.limit(limit)))
