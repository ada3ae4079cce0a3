"""Rate limits on failed sign-ins, on sign-ups, and on what users create.

Backed by ``limits``: in memory by default, Redis when CIVICAUTH_REDIS_URL is
set so every worker and host shares the counts.

While Redis is unreachable the limits count in this process's memory
instead, with a logged warning, and go back to Redis once it answers again:
sign-in and the API keep working through an outage, each process still
stops guessing at its own limit (so a deployment of N processes allows at
most N times the limit meanwhile), and every password check still waits for
a bounded argon2 slot. Failing closed instead would lock every resident out
of signing in while Redis is down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from civicauth.errors import RateLimited
from civicauth.metrics import count_throttled

log = logging.getLogger("civicauth.limits")

T = TypeVar("T")

# Short, so a Redis that stopped answering costs a request at most this once
# per ``_RETRY_SECONDS``, not on every request.
REDIS_TIMEOUT = 0.5
_RETRY_SECONDS = 5.0


class LimitStore:
    """Where the counts live: Redis (shared) when configured, with this
    process's memory standing in while Redis is unreachable."""

    def __init__(self, shared: Storage | None) -> None:
        self._shared = MovingWindowRateLimiter(shared) if shared is not None else None
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._retry_at = 0.0  # monotonic; while ahead, Redis is not asked
        self._down = False

    @property
    def shared(self) -> bool:
        """Whether the counts are shared (Redis, and it answers)."""
        return self._shared is not None and not self._down

    async def run(self, step: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        """``step`` on Redis if configured and up, else on this process's memory."""
        if self._shared is not None and time.monotonic() >= self._retry_at:
            try:
                result = await step(self._shared)
            except Exception as exc:  # any failure of Redis: count here instead
                self._went_down(exc)
            else:
                if self._down:
                    self._down = False
                    log.warning("Redis answers again: rate limits are shared again")
                return result
        return await step(self._memory)

    def _went_down(self, exc: Exception) -> None:
        self._retry_at = time.monotonic() + _RETRY_SECONDS
        if not self._down:
            log.warning(
                "Redis unreachable (%s: %s): rate limits count in this process's memory "
                "until it is back",
                type(exc).__name__,
                exc,
            )
        self._down = True

    async def reset(self) -> None:
        for limiter in (self._shared, self._memory):
            if limiter is not None:
                await limiter.storage.reset()


def make_storage(redis_url: str | None, prefix: str) -> LimitStore:
    if not redis_url:
        return LimitStore(None)
    redis = RedisStorage(
        "async+" + redis_url,
        implementation="redispy",
        key_prefix=prefix,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )
    return LimitStore(redis)


class NamedLimits:
    """Named limits over one store, each counting under its own keys."""

    def __init__(self, storage: LimitStore, namespace: str) -> None:
        self.storage = storage
        self._namespace = namespace

    async def wait(self, item: RateLimitItem, key: str) -> int | None:
        """Seconds until ``key`` may go again under ``item``, or None if it may now."""

        async def step(limiter: MovingWindowRateLimiter) -> int | None:
            if await limiter.test(item, self._namespace, key):
                return None
            return await self._reset_in(limiter, item, key)

        return await self.storage.run(step)

    async def take(self, item: RateLimitItem, key: str) -> int | None:
        """Count one for ``key`` if the limit allows it (atomically, so parallel
        requests cannot all pass); else the seconds until it would."""

        async def step(limiter: MovingWindowRateLimiter) -> int | None:
            if await limiter.hit(item, self._namespace, key):
                return None
            return await self._reset_in(limiter, item, key)

        return await self.storage.run(step)

    async def count(self, item: RateLimitItem, key: str) -> None:
        await self.storage.run(lambda limiter: limiter.hit(item, self._namespace, key))

    async def _reset_in(
        self, limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str
    ) -> int:
        stats = await limiter.get_window_stats(item, self._namespace, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        await self.storage.reset()


class FailedAuthThrottle(NamedLimits):
    """Failed password checks, counted three ways.

    Per (account, address) is the tight limit: one place guessing one
    account is stopped early while the resident elsewhere goes on. Per
    account, across addresses, is a much higher cap against distributed
    guessing; per address, across accounts, stops one place trying many.
    """

    def __init__(
        self, storage: LimitStore, *, per_account_address: str, per_account: str, per_address: str
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


class SignupThrottle(NamedLimits):
    """Sign-ups per client address: each one pays argon2 and adds a row."""

    def __init__(self, storage: LimitStore, *, per_address: str) -> None:
        super().__init__(storage, "signup")
        self._item = parse(per_address)

    async def admit(self, address: str) -> int | None:
        """Count one sign-up from ``address``; None if allowed, else seconds to wait."""
        wait = await self.take(self._item, "addr:" + address)
        if wait is not None:
            count_throttled("signup")
        return wait


Creation = Literal["issue", "comment"]


class CreationLimits(NamedLimits):
    """Issues and comments per user, so one account (or a script holding its
    token) cannot flood the city with reports."""

    def __init__(self, storage: LimitStore, *, issues: str, comments: str) -> None:
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
