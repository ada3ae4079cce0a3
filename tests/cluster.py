"""Several ``civicauth serve`` processes on one database (and Redis), as
several hosts behind a load balancer; and the bounded poll that measures how
soon one of them sees what another did.

The ``cluster`` fixture (tests/conftest.py) gives a module two processes of
two workers each on the module's backend. Each probe opens a new connection,
so the kernel hands probes to either worker of the process probed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.support import Backend, LiveServer, live_server

# DESIGN.md: a revocation is in force in every worker and host within a second.
WITHIN = 1.0
# Answers in a row that must agree before a poll counts as settled: with two
# workers per process taking new connections in turn, ten in a row have met both.
IN_A_ROW = 10


@dataclass
class Cluster:
    """Processes sharing one database and Redis; ``first`` and ``second``
    name the two a test acts through and checks on."""

    servers: tuple[LiveServer, ...]

    @property
    def first(self) -> LiveServer:
        return self.servers[0]

    @property
    def second(self) -> LiveServer:
        return self.servers[1]


@contextmanager
def cluster_of(
    backend: Backend, tmp: Path, processes: int = 2, workers: int = 2
) -> Iterator[Cluster]:
    """``processes`` servers of ``workers`` workers each, on separate ports,
    until the block ends."""
    with ExitStack() as stack:
        servers = []
        for n in range(processes):
            home = tmp / f"process-{n}"
            home.mkdir(parents=True)
            servers.append(stack.enter_context(live_server(backend.env, home, workers=workers)))
        yield Cluster(tuple(servers))


def needs_shared_redis(backend: Backend, what: str) -> None:
    """Skip on a backend without Redis, saying why: only Redis carries
    ``what`` between processes (SQLite deployments run one host)."""
    if "CIVICAUTH_REDIS_URL" not in backend.env:
        pytest.skip(f"{what} between processes needs Redis (CIVICAUTH_TEST_BACKEND=postgres)")


class News:
    """What the processes announce to each other on Redis (the revocations
    channel, civicauth/auth/revocations.py), heard by a test's own
    subscriber: shows a revocation went out as news, which a poll alone
    cannot tell from a cache entry ageing out within the same second."""

    def __init__(self, pubsub: redis.client.PubSub) -> None:
        self._pubsub = pubsub
        self._heard: list[str] = []

    def heard(self, message: str, timeout: float = 5.0) -> None:
        """Wait (bounded) for ``message``; fail naming what was heard instead."""
        deadline = time.monotonic() + timeout
        while message not in self._heard and (left := deadline - time.monotonic()) > 0:
            got = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if got is not None:
                self._heard.append(got["data"].decode())
        assert message in self._heard, f"{message!r} not announced; heard {self._heard}"


@contextmanager
def news_of(backend: Backend) -> Iterator[News]:
    """Listen to the revocations channel of ``backend``'s servers until the
    block ends (subscribed, and confirmed, before it begins)."""
    env = backend.env
    channel = env.get("CIVICAUTH_REDIS_PREFIX", "civicauth") + ":revocations"
    client = redis.Redis.from_url(env["CIVICAUTH_REDIS_URL"], socket_timeout=5)
    with client, client.pubsub() as pubsub:
        pubsub.subscribe(channel)
        confirmed = pubsub.get_message(timeout=5)
        assert confirmed is not None, "Redis did not confirm the subscription"
        assert confirmed["type"] == "subscribe", confirmed
        yield News(pubsub)


def settles_within(
    answer: Callable[[], bool], deadline: float = WITHIN, in_a_row: int = IN_A_ROW
) -> float:
    """Ask ``answer()`` until it has been true ``in_a_row`` times running,
    and fail unless the first of those answers was asked for within
    ``deadline`` seconds of the call. Returns those seconds: the poll is the
    measurement, so the caller starts it right after the change."""
    start = time.monotonic()
    streak_began = start
    streak = 0
    # Bounded: past the deadline only a streak already begun may finish.
    while streak < in_a_row:
        asked_at = time.monotonic()
        if asked_at - start >= deadline and streak == 0:
            break
        if answer():
            streak_began = asked_at if streak == 0 else streak_began
            streak += 1
        else:
            streak = 0
    settled = streak_began - start
    settled_in_time = streak >= in_a_row and settled < deadline
    assert settled_in_time, (
        f"not settled within {deadline} s ({streak} answers in a row, the last streak "
        f"from {settled:.3f} s)"
    )
    return settled


def status_of(server: LiveServer, path: str, **request: object) -> int:
    """The status of ``GET path`` on a new connection (any worker may take it)."""
    return httpx.get(server.url + path, timeout=5, **request).status_code  # type: ignore[arg-type]
