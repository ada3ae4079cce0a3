"""Rate limits on failed sign-ins, on sign-ups, and on what users create.

Backed by ``limits``: in memory by default, Redis when CIVICAUTH_REDIS_URL is
set so every worker and host shares the counts.
"""

from __future__ import annotations

import math
import time
from typing import Literal

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from civicauth.errors import RateLimited
from civicauth.metrics import count_throttled


def make_storage(redis_url: str | None, prefix: str) -> Storage:
    if redis_url:
        return RedisStorage("async+" + redis_url, implementation="redispy", key_prefix=prefix)
    return MemoryStorage()


class _Limits:
    """Named limits over one storage, each counting under its own keys."""

    def __init__(self, storage: Storage, namespace: str) -> None:
        self.storage = storage
        self._namespace = namespace
        self._limiter = MovingWindowRateLimiter(storage)

    async def wait(self, item: RateLimitItem, key: str) -> int | None:
        """Seconds until ``key`` may go again under ``item``, or None if it may now."""
        if await self._limiter.test(item, self._namespace, key):
            return None
        return await self._reset_in(item, key)

    async def take(self, item: RateLimitItem, key: str) -> int | None:
        """Count one for ``key`` if the limit allows it (atomically, so parallel
        requests cannot all pass); else the seconds until it would."""
        if await self._limiter.hit(item, self._namespace, key):
            return None
        return await self._reset_in(item, key)

    async def count(self, item: RateLimitItem, key: str) -> None:
        await self._limiter.hit(item, self._namespace, key)

    async def _reset_in(self, item: RateLimitItem, key: str) -> int:
        stats = await self._limiter.get_window_stats(item, self._namespace, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        await self.storage.reset()


class FailedAuthThrottle(_Limits):
    """Failed password checks, counted three ways.

    Per (account, address) is the tight limit: one place guessing one
    account is stopped early while the resident elsewhere goes on. Per
    account, across addresses, is a much higher cap against distributed
    guessing; per address, across accounts, stops one place trying many.
    """

    def __init__(
        self, storage: Storage, *, per_account_address: str, per_account: str, per_address: str
    ) -> None:
        super().__init__(storage, "failed-auth")
        self._items = (parse(per_account_address), parse(per_account), parse(per_address))

    def _keyed(self, account: str, address: str) -> zip[tuple[RateLimitItem, str]]:
        keys = (f"account-addr:{account}|{address}", "account:" + account, "addr:" + address)
        return zip(self._items, keys, strict=True)

    async def retry_after(self, account: str, address: str) -> int | None:
        """Seconds until another attempt is allowed, or None if allowed now."""
        waits = [await self.wait(item, key) for item, key in self._keyed(account, address)]
        return max((w for w in waits if w is not None), default=None)

    async def record_failure(self, account: str, address: str) -> None:
        for item, key in self._keyed(account, address):
            await self.count(item, key)


class SignupThrottle(_Limits):
    """Sign-ups per client address: each one pays argon2 and adds a row."""

    def __init__(self, storage: Storage, *, per_address: str) -> None:
        super().__init__(storage, "signup")
        self._item = parse(per_address)

    async def admit(self, address: str) -> int | None:
        """Count one sign-up from ``address``; None if allowed, else seconds to wait."""
        wait = await self.take(self._item, "addr:" + address)
        if wait is not None:
            count_throttled("signup")
        return wait


Creation = Literal["issue", "comment"]


class CreationLimits(_Limits):
    """Issues and comments per user, so one account (or a script holding its
    token) cannot flood the city with reports."""

    def __init__(self, storage: Storage, *, issues: str, comments: str) -> None:
        super().__init__(storage, "create")
        self._items: dict[Creation, RateLimitItem] = {
            "issue": parse(issues),
            "comment": parse(comments),
        }

    async def spend(self, kind: Creation, user_id: int) -> None:
        """Count one creation by the user; raises RateLimited, counting
        nothing, when the user has used up the limit."""
        if (wait := await self.take(self._items[kind], f"{kind}:{user_id}")) is not None:
            count_throttled(kind)
            raise RateLimited(kind, wait)
