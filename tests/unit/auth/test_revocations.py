"""The revocation news between processes: what a message drops, that a read
begun before a revocation is not put back, and a real round trip over Redis
between two buses (as two processes have)."""

from __future__ import annotations

import asyncio
import uuid

from civicauth.auth.cache import CredentialCache, Entry, now
from civicauth.auth.principal import ALL_SCOPES, Principal
from civicauth.auth.revocations import RevocationBus, apply
from tests.support import REDIS_URL, missing_service, reachable


def entry(user_id: int | None, client_id: str | None = None) -> Entry:
    principal = Principal(user_id, ALL_SCOPES, "bearer", client_id=client_id)
    return Entry(principal, now() + 60, now())


def filled() -> CredentialCache:
    cache = CredentialCache()
    cache.put("a", entry(1, "app-1"))
    cache.put("b", entry(2, "app-1"))
    cache.put("c", entry(2, "app-2"))
    return cache


def test_a_user_message_drops_that_users_entries_only():
    cache = filled()
    apply(cache, "user:2")
    assert [cache.get(k) is not None for k in "abc"] == [True, False, False]


def test_a_client_message_drops_that_apps_tokens_only():
    cache = filled()
    apply(cache, "client:app-1")
    assert [cache.get(k) is not None for k in "abc"] == [False, False, True]


def test_a_message_of_another_shape_changes_nothing():
    cache = filled()
    for message in ("user:", "user:x", "client:", "everything", "", "user:-1"):
        apply(cache, message)
    assert all(cache.get(k) is not None for k in "abc")


def test_a_read_begun_before_the_revocation_is_not_remembered():
    cache = CredentialCache()
    read_at = now()
    cache.forget_user(7)
    assert cache.forgotten_since(entry(7).principal, read_at)
    assert not cache.forgotten_since(entry(8).principal, read_at)
    assert not cache.forgotten_since(entry(7).principal, now())


def test_a_read_begun_before_an_apps_suspension_is_not_remembered():
    cache = CredentialCache()
    read_at = now()
    cache.forget_client("app-1")
    assert cache.forgotten_since(entry(None, "app-1").principal, read_at)
    assert not cache.forgotten_since(entry(None, "app-2").principal, read_at)


def test_without_redis_a_revocation_is_forgotten_here_and_told_nobody():
    cache = filled()
    bus = RevocationBus(cache, None, "unused")
    bus.user_revoked(1)
    assert cache.get("a") is None
    assert not bus.enabled


async def test_a_revocation_on_one_bus_reaches_the_other_over_redis():
    if not reachable("127.0.0.1", 6379):
        missing_service("Redis is not reachable on 127.0.0.1:6379")
    channel = "civicauth-test-" + uuid.uuid4().hex + ":revocations"
    here, there = filled(), filled()
    sender = RevocationBus(here, REDIS_URL, channel)
    receiver = RevocationBus(there, REDIS_URL, channel)
    arrived = asyncio.Event()
    applied = receiver._on_message

    def noted(message):
        applied(message)
        arrived.set()

    receiver._on_message = noted  # type: ignore[method-assign]
    await sender.start()
    await receiver.start()
    try:
        assert there.get("a") is None  # subscribing starts clean: news may have been missed
        there.put("a", entry(1, "app-1"))
        there.put("c", entry(2, "app-2"))
        sender.user_revoked(1)
        assert here.get("a") is None
        async with asyncio.timeout(5):
            await arrived.wait()
        assert there.get("a") is None
        assert there.get("c") is not None
    finally:
        await sender.stop()
        await receiver.stop()
