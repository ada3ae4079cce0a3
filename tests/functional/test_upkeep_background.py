"""The running service purges by itself, every CIVICAUTH_PURGE_INTERVAL
seconds (short here), and its upkeep task stops cleanly with the app."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from civicauth.settings import Settings
from civicauth.upkeep.background import Upkeep
from tests.functional.oauth_support import register_app
from tests.functional.upkeep_support import add, code, dead_rows, live_rows, present

SETTINGS = {"CIVICAUTH_PURGE_INTERVAL": "0.2"}
DEADLINE_S = 30.0


def test_a_live_server_purges_dead_rows_by_itself(server, ctx, make_user):
    user_id, _, _ = make_user()
    client_pk = register_app(ctx).pk
    dead = add(ctx, dead_rows(client_pk, user_id))
    live = add(ctx, live_rows(client_pk, user_id))
    deadline = time.monotonic() + DEADLINE_S
    while present(ctx, dead) and time.monotonic() < deadline:
        time.sleep(0.1)  # the server's next round: nothing here to await
    assert present(ctx, dead) == set()
    assert present(ctx, live) == live
    # It keeps going: rows that die later go in a later round.
    later = add(ctx, [code(client_pk, user_id, -timedelta(seconds=1))])
    while present(ctx, later) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert present(ctx, later) == set()
    assert server.process.poll() is None


async def test_the_task_stops_promptly_on_shutdown(ctx, backend):
    upkeep = Upkeep(ctx.db, Settings(database_url=backend.database_url, purge_interval=3600))
    await upkeep.start()
    assert upkeep._task is not None
    await asyncio.wait_for(upkeep.stop(), 10)
    assert upkeep._task is None


async def test_an_interval_of_zero_starts_nothing(ctx, backend):
    upkeep = Upkeep(ctx.db, Settings(database_url=backend.database_url, purge_interval=0))
    await upkeep.start()
    assert upkeep._task is None
    await upkeep.stop()
