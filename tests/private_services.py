"""A PostgreSQL and a Redis of a test's own, on free ports, for tests that
stop and start them (the shared ones on 5432 and 6379 are never touched).

PostgreSQL runs as the ``postgres`` OS user when the tests run as root
(initdb refuses root), from a data directory under a temporary folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.support import free_port, missing_service, reachable


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _await_port(port: int, up: bool, what: str, seconds: float = 30) -> None:
    """Until ``port`` takes connections (or, ``up=False``, refuses them)."""
    deadline = time.monotonic() + seconds
    while reachable("127.0.0.1", port) != up:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not {'start' if up else 'stop'} in {seconds} s")
        time.sleep(0.05)  # a server starting or stopping: no event to await


class PrivatePostgres:
    """``initdb`` once; ``start`` and ``stop`` as often as a test likes."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self.bin = bin_dir
        self.home = home
        self.data = home / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60, cwd=self.home)

    def init(self) -> None:
        if self._as_postgres:
            shutil.chown(self.home, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.home / "log"), "-o", options, "-w",
            "start",
        )  # fmt: skip
        _await_port(self.port, True, "PostgreSQL")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        _await_port(self.port, False, "PostgreSQL")

    @property
    def running(self) -> bool:
        return reachable("127.0.0.1", self.port)


class PrivateRedis:
    """``redis-server`` without persistence on a free port."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.home)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _await_port(self.port, True, "Redis")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
        _await_port(self.port, False, "Redis")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL of this test's own, running, stopped and removed at the end."""
    bin_dir = _postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        missing_service("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    assert bin_dir is not None
    home = Path(tempfile.mkdtemp(prefix="civicauth-pg-"))
    server = PrivatePostgres(bin_dir, home)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with suppress(Exception):
            if server.running:
                server.stop()
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of this test's own, running, stopped at the end."""
    if shutil.which("redis-server") is None:
        missing_service("redis-server is not installed")
    home = Path(tempfile.mkdtemp(prefix="civicauth-redis-"))
    server = PrivateRedis(home)
    try:
        server.start()
        yield server
    finally:
        with suppress(Exception):
            server.stop()
        shutil.rmtree(home, ignore_errors=True)
