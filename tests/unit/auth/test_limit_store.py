"""While Redis is unreachable, limits count in this process's memory (with
one warning), and go back to Redis once it answers."""

from __future__ import annotations

import logging

from limits import parse
from limits.aio.storage import MemoryStorage

from civicauth.auth import throttle
from civicauth.auth.throttle import FailedAuthThrottle, LimitStore


class Flaky(MemoryStorage):
    """A shared storage that can be switched off, as Redis stopping is."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def acquire_entry(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.down:
            raise ConnectionError("Connection refused")
        return await super().acquire_entry(*args, **kwargs)

    async def get_moving_window(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.down:
            raise ConnectionError("Connection refused")
        return await super().get_moving_window(*args, **kwargs)


def gate(store: LimitStore) -> FailedAuthThrottle:
    return FailedAuthThrottle(
        store, per_account_address="3/minute", per_account="100/minute", per_address="100/minute"
    )


async def test_redis_away_counts_here_with_a_warning(caplog):
    shared = Flaky()
    store = LimitStore(shared)
    limits = gate(store)
    shared.down = True
    with caplog.at_level(logging.WARNING, "civicauth.limits"):
        for _ in range(3):
            assert await limits.retry_after("a@example.com", "10.0.0.1") is None
            await limits.record_failure("a@example.com", "10.0.0.1")
        assert await limits.retry_after("a@example.com", "10.0.0.1") is not None
    assert not store.shared
    warnings = [r for r in caplog.records if "memory" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per request


async def test_redis_back_is_used_again(monkeypatch):
    shared = Flaky()
    store = LimitStore(shared)
    shared.down = True
    item = parse("1/minute")
    assert await store.run(lambda limiter: limiter.hit(item, "k")) is True
    shared.down = False
    monkeypatch.setattr(throttle, "_RETRY_SECONDS", 0.0)
    store._retry_at = 0.0
    # Memory has used up the limit; Redis has not: this answer is Redis's.
    assert await store.run(lambda limiter: limiter.hit(item, "k")) is True
    assert store.shared


async def test_without_redis_memory_is_the_store():
    store = throttle.make_storage(None, "prefix")
    assert not store.shared
