"""The flush: every few seconds, and on shutdown, each process adds the
counts it gathered to ``api_usage`` with one upsert.

``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + excluded.count``
adds, so the deltas of every worker and host land whatever their order; no
process ever reads a count to write it back. A process that dies loses at
most its last few seconds of counts; a flush that fails keeps its deltas for
the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from anyio import to_thread
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from civicauth.db import Database
from civicauth.usage.counter import UsageCounter, UsageKey
from civicauth.usage.models import ApiUsage

log = logging.getLogger("civicauth.usage")

_TABLE: Table = ApiUsage.__table__  # type: ignore[assignment]
_KEY = ("day", "method", "client_id", "user_id", "agent")


def _upsert(dialect: str) -> Any:
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={"count": _TABLE.c.count + statement.excluded.count},
    )


def add_usage(session: Session, deltas: Mapping[UsageKey, int]) -> None:
    """Add ``deltas`` to the table, in one statement. The rows go in key
    order, so two flushes that touch the same rows lock them in the same
    order on PostgreSQL and cannot deadlock."""
    if not deltas:
        return
    rows = [
        {
            "day": key.date,
            "method": key.method,
            "client_id": key.client_id,
            "user_id": key.user_id,
            "agent": key.agent,
            "count": count,
        }
        for key, count in sorted(deltas.items())
    ]
    session.execute(_upsert(session.get_bind().dialect.name), rows)


class UsageFlusher:
    """Flushes one process's counter every ``every`` seconds and on stop."""

    def __init__(self, db: Database, counter: UsageCounter, every: float) -> None:
        self.db = db
        self.counter = counter
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> int:
        """Write what was counted since the last flush; returns how many
        rows it added to (0 when nothing was counted or the write failed)."""
        deltas = self.counter.take()
        if not deltas:
            return 0
        try:
            await to_thread.run_sync(self._write, deltas)
        except Exception:
            log.exception("could not flush API usage; kept for the next flush")
            self.counter.give_back(deltas)
            return 0
        return len(deltas)

    def _write(self, deltas: Mapping[UsageKey, int]) -> None:
        with self.db.write_transaction() as session:
            add_usage(session, deltas)

    async def _run(self) -> None:
        while True:
            # The period, not a wait for an event: there is none to wait for.
            await asyncio.sleep(self.every)
            await self.flush()
