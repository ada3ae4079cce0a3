"""The half-signed-in state between the password and the second factor:
short-lived, and dead once the password changes."""

from __future__ import annotations

import time
from typing import Any

from civicauth.accounts.services import get_user
from civicauth.web.second_factor import _pending


class Connection:
    """Just what ``_pending`` reads and writes of a request: its session."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.scope: dict[str, Any] = {"session": {"second_factor": state}}

    def set_session(self, value: dict[str, Any]) -> None:
        self.scope["session"] = value


def state(ctx, user_id: int, age: float, **changes: Any) -> dict[str, Any]:
    with ctx.db.read() as session:
        stamp = get_user(session, user_id).security_stamp
    return {"uid": user_id, "stamp": stamp, "at": time.time() - age, "next": "/x", **changes}


def test_a_fresh_state_names_the_user_and_the_target(ctx, make_user):
    user_id, _, _ = make_user()
    pending = _pending(Connection(state(ctx, user_id, age=10)), ctx)  # type: ignore[arg-type]
    assert pending is not None
    assert (pending.user.id, pending.target) == (user_id, "/x")


def test_an_old_a_future_or_a_stale_stamped_state_is_dropped(ctx, make_user):
    user_id, _, _ = make_user()
    timeout = ctx.settings.second_factor_timeout_seconds
    for bad in (
        state(ctx, user_id, age=timeout + 1),
        state(ctx, user_id, age=-60),
        state(ctx, user_id, age=0, stamp="an older stamp"),
    ):
        connection = Connection(bad)
        assert _pending(connection, ctx) is None  # type: ignore[arg-type]
        assert connection.scope["session"] == {}  # dropped: sign in again
    not_an_id = Connection(state(ctx, user_id, age=0, uid=str(user_id)))
    assert _pending(not_an_id, ctx) is None  # type: ignore[arg-type]
