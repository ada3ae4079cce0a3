"""A PostgreSQL cluster and a Redis of the soak's own, on free loopback
ports in a temporary directory: the soak restarts its database on purpose,
and the shared ones on the machine must never be stopped.

PostgreSQL comes from the newest ``/usr/lib/postgresql/*/bin`` (initdb and
pg_ctl); it refuses to run as root, so under root its commands run as the
``postgres`` OS user. Everything started here is stopped by its context
manager, also on an error or Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.server import HOST, ServerError, free_port

START_TIMEOUT_S = 60


def postgres_bin() -> Path:
    """The bin directory of the newest PostgreSQL installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise ServerError("no PostgreSQL server found under /usr/lib/postgresql/*/bin")
    return found[-1].parent


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class PrivatePostgres:
    bin: Path
    data: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres"

    def _ctl(self, *args: str, timeout: float = START_TIMEOUT_S) -> None:
        argv = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]
        done = subprocess.run(
            _as_postgres(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise ServerError(f"pg_ctl {args[0]} failed: {done.stderr.strip() or done.stdout}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data.parent} -c listen_addresses={HOST} "
            "-c max_connections=200 -c shared_buffers=64MB"
        )
        self._ctl("start", "-w", "-t", str(START_TIMEOUT_S), "-o", options)

    def restart(self) -> float:
        """Stop it (fast: every session ends), start it again; seconds it took."""
        started = time.monotonic()
        self._ctl("restart", "-m", "fast", "-w", "-t", str(START_TIMEOUT_S))
        return time.monotonic() - started

    def stop(self) -> None:
        try:
            self._ctl("stop", "-m", "fast", "-w", "-t", "30")
        except (ServerError, subprocess.TimeoutExpired):
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():  # pg_ctl failed: end the postmaster itself
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)


@contextmanager
def private_postgres(tmp: Path) -> Iterator[PrivatePostgres]:
    """A fresh cluster under ``tmp`` (trust auth on loopback), until the block ends."""
    home = tmp / "postgres"
    home.mkdir()
    if os.geteuid() == 0:
        os.chmod(tmp, 0o711)  # the postgres user passes through, reads nothing
        shutil.chown(home, "postgres", "postgres")
    cluster = PrivatePostgres(postgres_bin(), home / "data", free_port(), home / "server.log")
    initdb = [str(cluster.bin / "initdb"), "-D", str(cluster.data), "-U", "postgres"]
    done = subprocess.run(
        _as_postgres([*initdb, "--auth=trust", "-E", "UTF8", "--no-sync"]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise ServerError(f"initdb failed: {done.stderr.strip()}")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def private_redis(tmp: Path) -> Iterator[str]:
    """A redis-server with no persistence on a free port; yields its URL."""
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    with (tmp / f"redis-{port}.log").open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    url = f"redis://{HOST}:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ServerError("redis-server did not start") from None
                time.sleep(0.05)  # a port that is not open yet
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
