"""``civicauth serve --workers 2``: a worker killed outright (SIGKILL, as
the kernel's OOM killer does) is started again, and the server answers on."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support import live_server

DEADLINE_S = 60.0


def workers_of(pid: int) -> set[int]:
    """The serving children of the supervisor (not multiprocessing's helpers)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue  # gone meanwhile
            if b"resource_tracker" not in cmdline:
                found.add(int(child))
    return found


def end_if_left(pid: int, port: str) -> None:
    """SIGKILL ``pid`` if it is still a worker of the server on ``port``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return  # gone, as it should be
    if b"serve" in cmdline and port.encode() in cmdline:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("server_kind", ["granian", "uvicorn"])
def test_a_killed_worker_is_started_again(backend, tmp_path, server_kind):
    args = ("--no-access-log", "--server", server_kind)
    seen: set[int] = set()
    port = ""
    try:
        with live_server(backend.env, tmp_path, workers=2, serve_args=args) as server:
            port = server.url.rsplit(":", 1)[1]
            deadline = time.monotonic() + DEADLINE_S
            while len(before := workers_of(server.process.pid)) < 2:
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.1)  # workers starting: no event to await from outside
            seen |= before
            victim = min(before)
            os.kill(victim, signal.SIGKILL)
            now = workers_of(server.process.pid)
            while len(now) < 2 or victim in now:
                assert time.monotonic() < deadline, f"no new worker: {now}"
                time.sleep(0.1)
                now = workers_of(server.process.pid)
            seen |= now
            assert server.process.poll() is None
            answers = {
                httpx.get(server.url + "/healthz", timeout=10).status_code for _ in range(20)
            }
            assert answers == {200}
    finally:
        # A supervisor that had to be killed (a slow shutdown on a busy
        # machine) leaves its workers behind: end them here.
        for pid in seen:
            end_if_left(pid, port)
