"""Recovery codes: ten at a time, shown once, stored as SHA-256 digests,
each single-use. 50 random bits each: a digest is safe at that entropy
behind the sign-in limits, and a fast hash keeps the check cheap."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from civicauth.accounts.factors.models import RecoveryCode
from civicauth.db import utcnow

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def _normalized(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(_normalized(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(_normalized(code)) == 10


def _new_code() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def replace_codes(session: Session, user_id: int) -> list[str]:
    """Ten new codes for the user (the old ones die); the codes, to show once."""
    delete_codes(session, user_id)
    codes = [_new_code() for _ in range(COUNT)]
    session.add_all(RecoveryCode(user_id=user_id, digest=_digest(code)) for code in codes)
    session.flush()
    return codes


def delete_codes(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def use_code(session: Session, user_id: int, code: str) -> bool:
    """Spend an unused code of the user's; False if it is not one. The spend is
    one conditional UPDATE, so two requests with the same code cannot both win."""
    if not looks_like_recovery_code(code):
        return False
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.digest == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return bool(spent.rowcount)  # type: ignore[attr-defined]


def codes_left(session: Session, user_id: int) -> int:
    query = select(func.count()).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
    )
    return int(session.scalar(query) or 0)
