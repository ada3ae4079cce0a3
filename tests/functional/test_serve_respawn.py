"""``civicauth serve --workers 2``: a worker killed outright (SIGKILL, as
the kernel's OOM killer does) is started again, and the server answers on."""

from __future__ import annotations

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


@pytest.mark.parametrize("server_kind", ["granian", "uvicorn"])
def test_a_killed_worker_is_started_again(backend, tmp_path, server_kind):
    args = ("--no-access-log", "--server", server_kind)
    with live_server(backend.env, tmp_path, workers=2, serve_args=args) as server:
        deadline = time.monotonic() + DEADLINE_S
        while len(before := workers_of(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # workers starting: no event to await from outside
        assert len(before) == 2
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        while time.monotonic() < deadline:
            now = workers_of(server.process.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.1)
        assert victim not in now
        assert len(now) == 2
        assert server.process.poll() is None
        answers = {httpx.get(server.url + "/healthz", timeout=10).status_code for _ in range(20)}
        assert answers == {200}
