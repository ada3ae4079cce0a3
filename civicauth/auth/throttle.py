"""Rate limits on failed sign-ins, per account and per client address.

Backed by ``limits``: in memory by default, Redis when CIVICAUTH_REDIS_URL is
set so every worker and host shares the counts.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


def make_storage(redis_url: str | None, prefix: str) -> Storage:
    if redis_url:
        return RedisStorage("async+" + redis_url, implementation="redispy", key_prefix=prefix)
    return MemoryStorage()


class FailedAuthThrottle:
    def __init__(
        self, per_account: str, per_address: str, redis_url: str | None, prefix: str = "civicauth"
    ) -> None:
        self._account = parse(per_account)
        self._address = parse(per_address)
        self.storage = make_storage(redis_url, prefix + ":limits")
        self._limiter = MovingWindowRateLimiter(self.storage)

    async def retry_after(self, account: str, address: str) -> int | None:
        """Seconds until another attempt is allowed, or None if allowed now."""
        waits = []
        for item, key in (
            (self._account, "account:" + account),
            (self._address, "addr:" + address),
        ):
            if not await self._limiter.test(item, "failed-auth", key):
                stats = await self._limiter.get_window_stats(item, "failed-auth", key)
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        return max(waits) if waits else None

    async def record_failure(self, account: str, address: str) -> None:
        await self._limiter.hit(self._account, "failed-auth", "account:" + account)
        await self._limiter.hit(self._address, "failed-auth", "addr:" + address)

    async def reset(self) -> None:
        await self.storage.reset()
