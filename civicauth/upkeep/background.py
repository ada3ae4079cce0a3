"""The purge as the running service does it: every
``CIVICAUTH_PURGE_INTERVAL`` seconds each worker tries to take the upkeep
turn (civicauth/db/turns.py); the one that gets it purges, the others skip
the round. No cron needed. ``start`` / ``stop`` run on the app's startup and
shutdown, like the mail sender.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from contextlib import suppress

from civicauth.db import Database
from civicauth.db.turns import only_one
from civicauth.settings import Settings
from civicauth.upkeep.purge import Purged, purge

log = logging.getLogger("civicauth.upkeep")
TURN = "upkeep"

LABELS = {
    "expired_refresh": "with an expired refresh token",
    "codes": "authorization codes",
    "personal_tokens": "revoked personal access tokens",
    "links": "mailed links",
    "sessions": "idle sessions",
    "sent_mail": "sent mails",
    "usage": "API usage rows past their keeping",
}


def describe(purged: Purged) -> str:
    """``12 tokens (3 with an expired refresh token), 4 authorization codes``:
    the kinds that had rows, for a log line."""
    parts = [f"{purged.tokens} tokens ({purged['expired_refresh']} {LABELS['expired_refresh']})"]
    parts += [
        f"{count} {LABELS[name]}"
        for name, count in purged.counts.items()
        if count and name not in ("tokens", "expired_refresh")
    ]
    return ", ".join(parts)


def purge_round(db: Database, settings: Settings, stop: threading.Event) -> Purged | None:
    """One round, if this process gets the turn (None when another has it)."""
    with only_one(db, TURN) as mine:
        if not mine:
            return None
        started = time.monotonic()
        purged = purge(db, settings, stop=stop)
    if purged.total:
        log.info("upkeep: purged %s in %.2f s", describe(purged), time.monotonic() - started)
    return purged


class Upkeep:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.interval = settings.purge_interval
        self._stopping = threading.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            if self._stopping.is_set():
                break
            try:
                await asyncio.to_thread(purge_round, self.db, self.settings, self._stopping)
            except Exception:
                # The database may be away for a moment; what is dead stays dead.
                log.exception("upkeep: a purge round failed; trying again next round")

    async def start(self) -> None:
        if self.interval <= 0:
            log.info("upkeep: off (CIVICAUTH_PURGE_INTERVAL=0)")
            return
        self._stopping.clear()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="civicauth upkeep")

    async def stop(self) -> None:
        """Let a batch in progress finish (never cut in half), then end."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
