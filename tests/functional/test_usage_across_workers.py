"""Usage counts are right with several workers and hosts: two servers on
one database, one with two workers, each flushing its own deltas; and a
server that stops flushes what it counted before it exits."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import func, select

from civicauth.usage.models import ApiUsage
from tests.support import live_server


def basic_count(ctx, user_id: int) -> int:
    with ctx.db.read() as session:
        total = session.scalar(
            select(func.sum(ApiUsage.count)).where(
                ApiUsage.user_id == user_id, ApiUsage.method == "basic"
            )
        )
    return int(total or 0)


def until_count(ctx, user_id: int, expected: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while basic_count(ctx, user_id) < expected:
        assert time.monotonic() < deadline, basic_count(ctx, user_id)
        time.sleep(0.05)  # the servers' periodic flush, in other processes


def directory(tmp_path, name: str):
    made = tmp_path / name
    made.mkdir()
    return made


def test_two_hosts_and_two_workers_add_up(backend, ctx, make_user, tmp_path):
    user_id, email, password = make_user()
    env = {**backend.env, "CIVICAUTH_USAGE_FLUSH_SECONDS": "0.2"}
    with (
        live_server(env, directory(tmp_path, "a"), workers=2) as first,
        live_server(env, directory(tmp_path, "b")) as second,
    ):
        for server, times in ((first, 30), (second, 20)):
            for _ in range(times):
                # A new connection each time, so both of the first's workers answer.
                answer = httpx.get(server.url + "/api/v2/profile", auth=(email, password))
                assert answer.status_code == 200
        until_count(ctx, user_id, 50)
    assert basic_count(ctx, user_id) == 50  # after every process flushed and stopped


def test_a_stopping_server_flushes_first(backend, ctx, make_user, tmp_path):
    user_id, email, password = make_user()
    env = {**backend.env, "CIVICAUTH_USAGE_FLUSH_SECONDS": "3600"}
    with live_server(env, directory(tmp_path, "c")) as server:
        for _ in range(5):
            assert (
                httpx.get(server.url + "/api/v2/profile", auth=(email, password)).status_code == 200
            )
        assert basic_count(ctx, user_id) == 0  # an hour's period: nothing flushed yet
    assert basic_count(ctx, user_id) == 5  # terminated: the shutdown flushed
