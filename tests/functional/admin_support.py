"""Driving the operator console over HTTP: make an operator, sign them in,
post an action the way its page does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from civicauth.accounts.models import User
from civicauth.accounts.web_sessions import WebSession
from civicauth.db import utcnow
from tests.functional.pages import csrf_of, signed_in
from tests.support import LiveServer


def make_operator(ctx: Any, make_user: Any) -> tuple[int, str, str]:
    """A new user with the operator role: (id, email, password)."""
    user_id, email, password = make_user(name="Olive Operator")
    with ctx.db.transaction() as session:
        session.execute(update(User).where(User.id == user_id).values(is_operator=True))
    return user_id, email, password


def operator_client(server: LiveServer, ctx: Any, make_user: Any) -> tuple[httpx.Client, int]:
    """A signed-in operator's client (its password just entered) and their id."""
    user_id, email, password = make_operator(ctx, make_user)
    return signed_in(server, email, password), user_id


def password_long_ago(ctx: Any, user_id: int, minutes: int = 11) -> None:
    """Move the user's sessions' last password entry into the past."""
    with ctx.db.transaction() as session:
        session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id)
            .values(password_confirmed_at=utcnow() - timedelta(minutes=minutes))
        )


def act(client: httpx.Client, client_id: str, action: str, /, **fields: str) -> httpx.Response:
    """Post one of the app page's actions with that page's CSRF token."""
    token = csrf_of(client.get(f"/admin/apps/{client_id}").text)
    return client.post(f"/admin/apps/{client_id}/{action}", data={**fields, "_csrf_token": token})
