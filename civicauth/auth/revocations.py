"""Revocations told to every process at once, over Redis pub/sub.

Each worker keeps verified credentials for up to a second (auth/cache.py),
which alone bounds how long a revoked one keeps working elsewhere. That bound
is the guarantee; this is the fast path: the process that commits a
revocation publishes it, and every subscribed process drops the credentials
concerned as soon as the message arrives (milliseconds), instead of letting
them age out.

A message lost while a subscriber is disconnected costs nothing but speed:
the subscriber clears its whole cache when it (re)subscribes, and the
one-second freshness covers the gap. Redis being down never fails the
revocation itself, which is already committed in the database.

Messages: ``user:<id>`` (every credential of a user: a password change or
reset, a revoked grant or personal access token, a locked account) and
``client:<client_id>`` (every token of an application: the app suspended,
rejected or reinstated, or a token of its own, without a user, revoked).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import suppress
from typing import Any

import redis
import redis.asyncio as aioredis

from civicauth.auth.cache import CredentialCache
from civicauth.settings import Settings

log = logging.getLogger("civicauth.revocations")

# Short: a publish runs after the commit and must not hold the answer up
# when Redis is away; the cache's freshness is the fallback.
_TIMEOUT = 0.5
_RETRY_SECONDS = 1.0


def _message_of(kind: str, subject: object) -> str:
    return f"{kind}:{subject}"


def apply(cache: CredentialCache, message: str) -> None:
    """Drop what ``message`` names from this process's cache; ignores
    anything it does not understand (another version's message)."""
    kind, _, subject = message.partition(":")
    if kind == "user" and subject.isdigit():
        cache.forget_user(int(subject))
    elif kind == "client" and subject:
        cache.forget_client(subject)


class RevocationBus:
    """Publishes this process's revocations and applies everyone's."""

    def __init__(self, cache: CredentialCache, redis_url: str | None, channel: str) -> None:
        self.cache = cache
        self._url = redis_url
        self._channel = channel
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: aioredis.Redis | None = None
        self._subscribed = asyncio.Event()
        self._sync_lock = threading.Lock()
        self._publishing: set[asyncio.Task[None]] = set()

    @classmethod
    def of(cls, settings: Settings, cache: CredentialCache | None = None) -> RevocationBus:
        """The bus on the configured Redis and channel; without a cache (the
        command line, which holds no credentials) it only publishes."""
        channel = settings.redis_prefix + ":revocations"
        return cls(cache or CredentialCache(), settings.redis_url, channel)

    @property
    def enabled(self) -> bool:
        return self._url is not None

    # -- publishing ----------------------------------------------------------

    def user_revoked(self, user_id: int) -> None:
        """A user's credentials were revoked (committed): forget them here at
        once, and tell the others."""
        self.cache.forget_user(user_id)
        self._publish(_message_of("user", user_id))

    def client_revoked(self, client_id: str) -> None:
        """Every token of an application stops or starts working (the app
        suspended, rejected or reinstated), or one of its tokens without a
        user was revoked: every process reads its tokens again."""
        self.cache.forget_client(client_id)
        self._publish(_message_of("client", client_id))

    def _publish(self, message: str) -> None:
        if self._url is None:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # From the event loop or a worker thread alike: the publish runs
            # on the loop, so neither blocks on Redis.
            loop.call_soon_threadsafe(self._publish_soon, message)
            return
        self._publish_sync(message)  # outside a server (the command line)

    def _publish_soon(self, message: str) -> None:
        # The loop holds tasks weakly: keep each until it is done.
        task = asyncio.get_running_loop().create_task(self._publish_async(message))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish_async(self, message: str) -> None:
        try:
            assert self._client is not None
            await self._client.publish(self._channel, message)
        except Exception as exc:  # Redis away: the one-second freshness holds
            log.warning("could not publish a revocation over Redis: %s", exc)

    def _publish_sync(self, message: str) -> None:
        assert self._url is not None
        with self._sync_lock:
            try:
                client = redis.Redis.from_url(
                    self._url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT
                )
                with client:
                    client.publish(self._channel, message)
            except Exception as exc:
                log.warning("could not publish a revocation over Redis: %s", exc)

    # -- subscribing ---------------------------------------------------------

    async def start(self) -> None:
        """Subscribe (waiting up to a second, so a server that answers
        /healthz already hears revocations) and keep listening."""
        if self._url is None:
            return
        self._loop = asyncio.get_running_loop()
        self._client = aioredis.Redis.from_url(
            self._url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT
        )
        self._task = asyncio.create_task(self._listen(), name="civicauth-revocations")
        with suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=1.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._loop = None

    async def _listen(self) -> None:
        warned = False
        while True:
            try:
                await self._subscribe_and_apply()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._subscribed.clear()
                if not warned:
                    log.warning(
                        "revocations over Redis unavailable (%s); other processes' "
                        "revocations take up to a second here until it is back",
                        exc,
                    )
                    warned = True
                await asyncio.sleep(_RETRY_SECONDS)  # reconnect backoff, no event to await
            else:
                warned = False

    async def _subscribe_and_apply(self) -> None:
        # Its own connection without a read timeout: a quiet channel is normal.
        client: aioredis.Redis = aioredis.Redis.from_url(
            self._url or "", socket_connect_timeout=_TIMEOUT, health_check_interval=10
        )
        async with client, client.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(self._channel)
            # What was published while we were not listening is lost: start clean.
            self.cache.clear()
            if not self._subscribed.is_set():
                log.info("listening for revocations on Redis")
            self._subscribed.set()
            async for message in pubsub.listen():
                self._on_message(message)

    def _on_message(self, message: dict[str, Any]) -> None:
        data = message.get("data")
        if isinstance(data, bytes):
            apply(self.cache, data.decode("utf-8", "replace"))
