"""The flush adds each process's deltas with one upsert, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, event, select

from civicauth.db import Database
from civicauth.usage.counter import UsageCounter
from civicauth.usage.flush import UsageFlusher, add_usage
from civicauth.usage.models import ApiUsage
from civicauth.usage.reports import daily_usage, past_keeping, period


def rows(ctx):
    with ctx.db.read() as session:
        found = session.execute(
            select(ApiUsage.method, ApiUsage.client_id, ApiUsage.user_id, ApiUsage.count)
        ).all()
    return {(m, c, u): n for m, c, u, n in found}


def clear(ctx):
    with ctx.db.transaction() as session:
        session.execute(ApiUsage.__table__.delete())


class Statements:
    """Every statement an engine runs while the block is open."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[str] = []

    def _record(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


async def test_counting_writes_nothing_and_a_flush_is_one_upsert(ctx):
    clear(ctx)
    counter = UsageCounter()
    flusher = UsageFlusher(ctx.db, counter, every=60)
    with Statements(ctx.db.engine) as statements:
        for _ in range(1000):
            counter.add("oauth", "app-a", 0)
            counter.add("basic", "", 5, "curl/8")
        assert statements.seen == []  # no write (nor read) per request
        assert await flusher.flush() == 2
    inserts = [s for s in statements.seen if "api_usage" in s]
    assert len(inserts) == 1
    assert "ON CONFLICT" in inserts[0]
    assert rows(ctx) == {("oauth", "app-a", 0): 1000, ("basic", "", 5): 1000}
    assert await flusher.flush() == 0  # nothing new, nothing written


async def test_two_processes_deltas_add_up(ctx, settings):
    """Two counters flushing through engines of their own, as two workers (or
    hosts) do: every delta lands once, whatever the order."""
    clear(ctx)
    other_db = Database(settings.database_url)
    try:
        first, second = UsageCounter(), UsageCounter()
        flushers = [UsageFlusher(ctx.db, first, 60), UsageFlusher(other_db, second, 60)]
        for round_ in range(3):
            for _ in range(10):
                first.add("oauth", "app-a", 0)
            for _ in range(round_ + 1):
                second.add("oauth", "app-a", 0)
                second.add("personal", "", 9)
            for flusher in flushers if round_ % 2 else reversed(flushers):
                await flusher.flush()
        assert rows(ctx) == {("oauth", "app-a", 0): 36, ("personal", "", 9): 6}
    finally:
        other_db.dispose()


def test_flushes_at_the_same_moment_lose_nothing(ctx, settings):
    """Concurrent upserts of the same keys from several connections."""
    clear(ctx)
    counters = [UsageCounter() for _ in range(4)]
    for counter in counters:
        for _ in range(25):
            counter.add("oauth", "app-a", 0)
            counter.add("oauth", "app-b", 0)
    databases = [Database(settings.database_url) for _ in counters]
    barrier = threading.Barrier(len(counters))
    errors: list[BaseException] = []

    def flush(db, counter):
        barrier.wait(timeout=30)
        try:
            with db.write_transaction() as session:
                add_usage(session, counter.take())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=flush, args=pair) for pair in zip(databases, counters, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for db in databases:
        db.dispose()
    assert errors == []
    assert rows(ctx) == {("oauth", "app-a", 0): 100, ("oauth", "app-b", 0): 100}


async def test_a_failed_flush_keeps_its_counts(ctx, settings, tmp_path):
    clear(ctx)
    counter = UsageCounter()
    broken = Database(f"sqlite:///{tmp_path / 'no-tables.sqlite3'}")  # no api_usage table
    try:
        counter.add("oauth", "app-a", 0)
        assert await UsageFlusher(broken, counter, 60).flush() == 0
    finally:
        broken.dispose()
    counter.add("oauth", "app-a", 0)
    assert await UsageFlusher(ctx.db, counter, 60).flush() == 1
    assert rows(ctx) == {("oauth", "app-a", 0): 2}


async def test_stop_flushes_what_is_left(ctx):
    clear(ctx)
    counter = UsageCounter()
    flusher = UsageFlusher(ctx.db, counter, every=3600)
    await flusher.start()
    counter.add("personal", "", 4)
    await flusher.stop()  # shutdown: the last counts go out
    assert rows(ctx) == {("personal", "", 4): 1}


def purge_past_keeping(ctx, keep_days: int, today: date) -> int:
    """Delete what the upkeep's purge would, at noon (UTC) of ``today``."""
    noon = datetime.combine(today, time(12), UTC)
    with ctx.db.transaction() as session:
        gone = session.execute(delete(ApiUsage).where(past_keeping(keep_days, noon)))
        return int(gone.rowcount)


def test_daily_usage_and_purge_keep_the_period(ctx):
    clear(ctx)
    today = date(2026, 12, 2)
    with ctx.db.transaction() as session:
        for age in (0, 1, 29, 30, 89, 90, 400):
            session.add(
                ApiUsage(
                    day=today - timedelta(days=age), method="oauth", client_id="a", count=age + 1
                )
            )
    with ctx.db.read() as session:
        usage = daily_usage(session, period(30, today))
    assert usage.of(today, "oauth") == 1
    assert usage.total("oauth") == 1 + 2 + 30  # days 0, 1 and 29 of the 30
    assert purge_past_keeping(ctx, keep_days=90, today=today) == 2  # 90 and 400 days old
    # Never fewer than the page's 30 days: days 0 to 29 stay.
    assert purge_past_keeping(ctx, keep_days=7, today=today) == 2  # 30 and 89 days old
    with ctx.db.read() as session:
        left = sorted(session.scalars(select(ApiUsage.day)))
    assert left == [today - timedelta(days=a) for a in (29, 1, 0)]
