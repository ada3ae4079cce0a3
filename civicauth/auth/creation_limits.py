"""Per-user limits on creating issues and comments, so one account (or a
script holding its token) cannot flood the city with reports.

Backed by ``limits`` on the same storage choice as the sign-in throttle:
in memory by default, Redis when CIVICAUTH_REDIS_URL is set, so every worker
and host counts together.
"""

from __future__ import annotations

import math
import time
from typing import Literal

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter

from civicauth.auth.throttle import make_storage
from civicauth.errors import RateLimited

Creation = Literal["issue", "comment"]


class CreationLimits:
    def __init__(
        self, issues: str, comments: str, redis_url: str | None, prefix: str = "civicauth"
    ) -> None:
        self._items = {"issue": parse(issues), "comment": parse(comments)}
        self.storage = make_storage(redis_url, prefix + ":creations")
        self._limiter = MovingWindowRateLimiter(self.storage)

    async def spend(self, kind: Creation, user_id: int) -> None:
        """Count one creation by the user; raises RateLimited, counting
        nothing, when the user has used up the limit."""
        item, key = self._items[kind], str(user_id)
        if not await self._limiter.hit(item, "create", kind, key):
            stats = await self._limiter.get_window_stats(item, "create", kind, key)
            raise RateLimited(kind, max(1, math.ceil(stats.reset_time - time.time())))

    async def reset(self) -> None:
        await self.storage.reset()
