"""Operators for the console's tests: an account with the role, signed in."""

from __future__ import annotations

import httpx

from civicauth.accounts.models import User
from civicauth.accounts.operators import set_operator
from tests.functional.pages import csrf_of, signed_in
from tests.support import LiveServer


def make_operator(ctx, make_user) -> tuple[int, str, str]:
    user_id, email, password = make_user(name="Olive Operator")
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        assert user is not None
        set_operator(session, user, True)
    return user_id, email, password


def operator_client(server: LiveServer, ctx, make_user) -> tuple[httpx.Client, int]:
    """A signed-in operator (the password was entered just now), and their id."""
    user_id, email, password = make_operator(ctx, make_user)
    return signed_in(server, email, password), user_id


def act(client: httpx.Client, page: str, action: str, **fields: str) -> httpx.Response:
    """Post one of ``page``'s operator actions with that page's CSRF token."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**fields, "_csrf_token": token})
