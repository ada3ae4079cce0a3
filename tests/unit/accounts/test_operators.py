"""The operator role and account locks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civicauth.accounts import web_sessions
from civicauth.accounts.models import AuditEvent, User
from civicauth.accounts.operators import is_locked, lock_user, set_operator, unlock_user
from civicauth.accounts.services import register_user
from civicauth.errors import ValidationFailed


def new_user(ctx, session, email: str) -> User:  # type: ignore[no-untyped-def]
    return register_user(
        session, ctx.passwords, name="Rita Resident", email=email, password="a long password!"
    )


def events_of(session, user_id: int) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    query = select(AuditEvent.event, AuditEvent.operator_id).where(AuditEvent.user_id == user_id)
    return [(event, operator) for event, operator in session.execute(query)]


def test_granting_twice_records_once(ctx):
    with ctx.db.transaction() as session:
        user = new_user(ctx, session, "role@example.com")
        assert set_operator(session, user, True)
        assert not set_operator(session, user, True)
        assert set_operator(session, user, False)
        assert events_of(session, user.id) == [
            ("operator_granted", None),
            ("operator_revoked", None),
        ]


def test_lock_ends_sessions_and_unlock_restores(ctx):
    with ctx.db.transaction() as session:
        operator = new_user(ctx, session, "op@example.com")
        user = new_user(ctx, session, "locked@example.com")
        session.add(web_sessions.WebSession(user_id=user.id, digest="d" * 64, data=b""))
        session.flush()
        assert lock_user(session, user, operator, "phished")
        assert is_locked(session, user.id)
        assert user.lock_reason == "phished"
        left = select(web_sessions.WebSession).where(web_sessions.WebSession.user_id == user.id)
        assert session.scalars(left).all() == []  # every browser signed out
        assert not lock_user(session, user, operator, "again")  # locked already
        assert unlock_user(session, user, operator)
        assert not is_locked(session, user.id)
        assert not unlock_user(session, user, operator)
        assert events_of(session, user.id) == [
            ("account_locked", operator.id),
            ("account_unlocked", operator.id),
        ]


def test_a_lock_needs_a_reason(ctx):
    with ctx.db.transaction() as session:
        user = new_user(ctx, session, "reason@example.com")
        with pytest.raises(ValidationFailed):
            lock_user(session, user, None, " ")
        assert not is_locked(session, user.id)
