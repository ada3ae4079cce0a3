"""The one gate every password check goes through: HTTP Basic, the sign-in
page, the current password of a password change (and, later, second
factors), so none of them can be guessed faster than the others.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

from civicauth.auth.cache import KeyedLocks
from civicauth.auth.throttle import FailedAuthThrottle
from civicauth.metrics import ARGON2_SLOTS, argon2_slot_held, argon2_slot_wait, count_throttled

T = TypeVar("T")


class Throttled(Exception):
    """Too many failed checks for this account or address; try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after} s")
        self.retry_after = retry_after


class PasswordGate:
    def __init__(self, throttle: FailedAuthThrottle) -> None:
        self.throttle = throttle
        self._locks = KeyedLocks()
        self._slots: CapacityLimiter | None = None

    @property
    def hash_slots(self) -> CapacityLimiter:
        """How many argon2 computations (verifications and new hashes) run at
        once in this process: one per core, so a flood queues instead of
        taking every thread and 64 MiB of memory per hash."""
        if self._slots is None:
            self._slots = CapacityLimiter(os.cpu_count() or 2)
            ARGON2_SLOTS.inc(self._slots.total_tokens)
        return self._slots

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """A hash slot, counted while waited for and while held (the
        argon2 queue and work in the metrics)."""
        borrower = object()  # as anyio's to_thread does: any task may hold several
        with argon2_slot_wait():
            await self.hash_slots.acquire_on_behalf_of(borrower)
        try:
            with argon2_slot_held():
                yield
        finally:
            self.hash_slots.release_on_behalf_of(borrower)

    async def hashing(self, work: Callable[[], T]) -> T:
        """Run ``work`` (which hashes a password) in a worker thread, in a slot."""
        async with self._slot():
            # The slot is held already: the default thread limiter is enough here.
            return await to_thread.run_sync(work)

    async def check(self, account: str, address: str, verify: Callable[[], T | None]) -> T | None:
        """Run ``verify`` (a blocking password check: None when the password is
        wrong) unless the throttle refuses; count a None as a failure.

        Raises Throttled. The test of the limits, the check and the count of
        its failure happen one at a time per account in this process, and
        inside a hash slot: a burst of parallel guesses cannot all pass the
        test before the first failure is counted.
        """
        async with self._locks.hold(account), self._slot():
            if (wait := await self.throttle.retry_after(account, address)) is not None:
                count_throttled("sign_in")
                raise Throttled(wait)
            # The slot is held already: the default thread limiter is enough here.
            result = await to_thread.run_sync(verify)
            if result is None:
                await self.throttle.record_failure(account, address)
        return result
