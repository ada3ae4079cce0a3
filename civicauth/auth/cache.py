"""A bounded, per-process map of recently verified credentials.

Entries are trusted for at most ``fresh_for`` seconds (one by default);
after that the resolver asks the database again, which is how a revocation
or a password change in another worker takes effect within that time.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from civicauth.auth.principal import Principal


@dataclass(slots=True)
class Entry:
    principal: Principal
    fresh_until: float  # monotonic
    verified_at: float  # monotonic; when argon2 last confirmed it (Basic)
    stamp: str = ""  # the user's security stamp when verified (Basic)
    # A right password of an account with a second factor: remembered so it
    # costs argon2 once, and refused each time (auth/resolver.py).
    needs_token: bool = False
    # A credential that matched but is refused: "locked" (the account) or the
    # token's app's status, "suspended" or "rejected" (auth/resolver.py).
    refusal: str = ""


class CredentialCache:
    def __init__(self, max_entries: int = 10_000, fresh_for: float = 1.0) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._max = max_entries
        # When each user's or client's credentials were last forgotten: a
        # lookup that read the database before that must not put them back
        # (auth/revocations.py). Kept for one freshness: older reads are
        # stale by then anyway.
        self._fresh_for = fresh_for
        self._forgotten: dict[int | str, float] = {}

    def get(self, key: str) -> Entry | None:
        return self._entries.get(key)

    def put(self, key: str, entry: Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)

    def forget_user(self, user_id: int) -> None:
        """Drop every entry of one user in this process, at once."""
        self._note_forgotten(user_id)
        for key in [k for k, e in self._entries.items() if e.principal.user_id == user_id]:
            del self._entries[key]

    def forget_client(self, client_id: str) -> None:
        """Drop every token entry of one application in this process, at once."""
        self._note_forgotten("client:" + client_id)
        for key in [k for k, e in self._entries.items() if e.principal.client_id == client_id]:
            del self._entries[key]

    def forgotten_since(self, principal: Principal, read_at: float) -> bool:
        """Whether ``principal``'s user or client was forgotten after
        ``read_at``: what was read then may already be revoked."""
        if not self._forgotten:
            return False
        user = self._forgotten.get(principal.user_id) if principal.user_id is not None else None
        client = self._forgotten.get("client:" + (principal.client_id or ""))
        return any(at is not None and at >= read_at for at in (user, client))

    def _note_forgotten(self, subject: int | str) -> None:
        at = now()
        self._forgotten = {k: t for k, t in self._forgotten.items() if at - t < self._fresh_for}
        self._forgotten[subject] = at

    def clear(self) -> None:
        self._entries.clear()


class KeyedLocks:
    """One asyncio lock per key, alive while anyone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, waiters = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, waiters + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiters = self._locks[key]
            if waiters == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, waiters - 1)


def now() -> float:
    return time.monotonic()
