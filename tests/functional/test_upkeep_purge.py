"""The purge the background upkeep runs: dead rows of every kind go, live
ones stay, no transaction deletes more than one batch, and of two processes
on one database only one purges at a time."""

from __future__ import annotations

import logging
import os
import selectors
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event

from civicauth.db import Database, utcnow
from civicauth.db.turns import advisory_key, only_one
from civicauth.upkeep import purge as upkeep
from civicauth.upkeep.background import TURN, describe, purge_round
from tests.functional.oauth_support import register_app
from tests.functional.upkeep_support import add, code, dead_rows, live_rows, present
from tests.support import ROOT


@pytest.fixture(scope="module")
def owner(ctx, make_user_once):
    return make_user_once, register_app(ctx).pk


@pytest.fixture(scope="module")
def make_user_once(ctx):
    from civicauth.accounts.services import register_user

    with ctx.db.transaction() as session:
        user = register_user(
            session, ctx.passwords, name="Upkeep", email="upkeep@example.com", password="pw pw pw 1"
        )
        return user.id


def clear(ctx, settings):
    upkeep.purge(ctx.db, settings)


def test_dead_rows_of_every_kind_go_and_live_ones_stay(ctx, settings, owner):
    user_id, client_pk = owner
    clear(ctx, settings)
    dead = add(ctx, dead_rows(client_pk, user_id))
    live = add(ctx, live_rows(client_pk, user_id))
    purged = upkeep.purge(ctx.db, settings)
    assert present(ctx, dead) == set()
    assert present(ctx, live) == live
    assert purged.counts == {
        "expired_refresh": 1,
        "tokens": 2,
        "codes": 1,
        "personal_tokens": 1,
        "links": 1,
        "sessions": 1,
        "sent_mail": 1,
        "usage": 1,
    }
    assert purged.tokens == 3
    assert describe(purged) == (
        "3 tokens (1 with an expired refresh token), 1 authorization codes, "
        "1 revoked personal access tokens, 1 mailed links, 1 idle sessions, 1 sent mails, "
        "1 API usage rows past their keeping"
    )


def test_no_transaction_deletes_more_than_one_batch(ctx, settings, owner):
    user_id, client_pk = owner
    clear(ctx, settings)
    dead = add(ctx, [code(client_pk, user_id, -timedelta(seconds=1)) for _ in range(23)])
    live = add(ctx, [code(client_pk, user_id, timedelta(minutes=5)) for _ in range(3)])
    deletes: list[int] = []
    commits: list[int] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(cursor.rowcount)

    event.listen(ctx.db.engine, "after_cursor_execute", seen)
    event.listen(ctx.db.engine, "commit", lambda conn: commits.append(len(deletes)))
    try:
        purged = upkeep.purge(ctx.db, settings, ("codes",), batch=5)
    finally:
        event.remove(ctx.db.engine, "after_cursor_execute", seen)
    assert purged["codes"] == 23
    assert deletes == [5, 5, 5, 5, 3]
    # Each delete was committed before the next began: one batch per transaction.
    assert [n for n in commits if n] == [1, 2, 3, 4, 5]
    assert present(ctx, dead) == set()
    assert present(ctx, live) == live


def test_a_row_that_came_back_to_life_is_not_deleted(ctx, settings, owner):
    """The delete checks the condition again: a row picked as dead that was
    refreshed (or whose session was used) meanwhile stays."""
    user_id, client_pk = owner
    (live,) = add(ctx, [code(client_pk, user_id, timedelta(minutes=5))])
    kind = next(k for k in upkeep.kinds(settings) if k.name == "codes")
    assert upkeep._delete(ctx.db, kind, [live[1]], utcnow()) == 0
    assert present(ctx, {live}) == {live}


def test_a_stopped_purge_deletes_nothing_more(ctx, settings, owner):
    user_id, client_pk = owner
    clear(ctx, settings)
    dead = add(ctx, [code(client_pk, user_id, -timedelta(seconds=1))])
    stop = threading.Event()
    stop.set()
    assert upkeep.purge(ctx.db, settings, stop=stop).total == 0
    assert present(ctx, dead) == dead


def test_an_unknown_kind_is_refused(ctx, settings):
    assert [kind.name for kind in upkeep.kinds(settings)] == list(upkeep.KIND_NAMES)
    with pytest.raises(ValueError, match="unknown kind"):
        upkeep.purge(ctx.db, settings, ("tokens", "passwords"))


def test_two_engines_never_hold_the_turn_at_once(backend):
    first, second = Database(backend.database_url), Database(backend.database_url)
    try:
        with only_one(first, TURN) as mine:
            assert mine
            with only_one(second, TURN) as theirs:
                assert not theirs
        with only_one(second, TURN) as theirs:
            assert theirs
    finally:
        first.dispose()
        second.dispose()


HOLDER = """
import sys
from civicauth.db import Database
from civicauth.db.turns import only_one
db = Database(sys.argv[1])
with only_one(db, sys.argv[2]) as held:
    print("held" if held else "missed", flush=True)
    sys.stdin.readline()
db.dispose()
"""


def _line(process: subprocess.Popen[str], timeout: float = 30) -> str:
    with selectors.DefaultSelector() as selector:
        assert process.stdout is not None
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            pytest.fail("the holder process said nothing")
        return process.stdout.readline().strip()


def test_while_another_process_holds_the_turn_this_one_skips_the_round(
    ctx, settings, backend, owner
):
    user_id, client_pk = owner
    clear(ctx, settings)
    dead = add(ctx, dead_rows(client_pk, user_id))
    env = {**os.environ, **backend.env, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, backend.database_url, TURN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert _line(holder) == "held"
        assert purge_round(ctx.db, settings, threading.Event()) is None
        assert present(ctx, dead) == dead
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    done = purge_round(ctx.db, settings, threading.Event())
    assert done is not None
    assert done.total == len(dead)
    assert present(ctx, dead) == set()


def test_a_round_that_purged_something_says_so_in_one_log_line(ctx, settings, owner, caplog):
    user_id, client_pk = owner
    clear(ctx, settings)
    caplog.set_level(logging.INFO, logger="civicauth.upkeep")
    assert purge_round(ctx.db, settings, threading.Event()) is not None
    assert not caplog.records  # nothing purged: nothing said
    add(ctx, [code(client_pk, user_id, -timedelta(seconds=1)) for _ in range(2)])
    purge_round(ctx.db, settings, threading.Event())
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("upkeep: purged 0 tokens (0 with an expired refresh token), ")
    assert "2 authorization codes in " in line


def test_advisory_keys_are_stable_bigints():
    key = advisory_key("upkeep")
    assert key == advisory_key("upkeep") != advisory_key("other")
    assert -(2**63) <= key < 2**63
