"""The server under load: its environment, its database, its process.

The bench starts the server itself, as an operator would, on a free loopback
port, and stops it (and only it) when the scenarios that need it are done.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.cpu import tree_cpu_seconds

SERVERS = ("uvicorn", "granian")
REPOSITORY = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # load stays on loopback
START_TIMEOUT_S = 60.0
IDLE_TIMEOUT_S = 120.0
IDLE_CPU_SHARE = 0.1  # far below any load, far above an idle server's housekeeping


class ServerError(RuntimeError):
    """The server or a civicauth command failed; the message carries its output."""


def base_env(database_url: str, var_dir: Path, redis_url: str | None) -> dict[str, str]:
    """The process environment without any inherited CIVICAUTH_* setting, so
    the run uses production defaults (argon2id t=3, m=64 MiB, p=4) unless the
    bench itself says otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICAUTH_")}
    env.update(
        CIVICAUTH_DATABASE_URL=database_url,
        CIVICAUTH_VAR_DIR=str(var_dir),
        # One key for every worker and every server of the run.
        CIVICAUTH_SECRET_KEY=secrets.token_urlsafe(48),
    )
    if redis_url:
        env["CIVICAUTH_REDIS_URL"] = redis_url
    return env


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``civicauth ARGS`` in a subprocess; the caller judges the exit code."""
    return subprocess.run(
        [sys.executable, "-m", "civicauth", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def scratch_database(url: str | None, tmp: Path) -> Iterator[str]:
    """A fresh, empty database for one run: SQLite under ``tmp`` by default;
    with a PostgreSQL URL, a new database on that server, dropped afterwards,
    so the run never touches the data already there."""
    if url is None:
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ServerError("--database-url must be a postgresql+psycopg:// URL")
    name = f"civicauth_bench_{secrets.token_hex(4)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_argv(kind: str, port: int, workers: int, app: str | None = None) -> list[str]:
    """The command line that serves civicauth as in production (``civicauth
    serve``), or, given ``app`` ("module:attribute"), that ASGI app on the same
    server with the same workers."""
    if kind not in SERVERS:
        raise ServerError(f"unknown server {kind!r}; choose from {', '.join(SERVERS)}")
    common = f"--host {HOST} --port {port} --workers {workers} --no-access-log --log-level warning"
    if app is None:
        return [sys.executable, "-m", "civicauth", "serve", "--server", kind, *common.split()]
    interface = ["--interface", "asgi"] if kind == "granian" else []
    return [sys.executable, "-m", kind, *interface, *common.split(), app]


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(f"server exited {process.returncode}:\n{_tail(log)}")
            try:
                if client.get(url + "/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling a port that is not open yet
    raise ServerError(f"server not healthy after {START_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def wait_until_idle(
    server: Server, window_s: float = 0.5, timeout_s: float = IDLE_TIMEOUT_S
) -> bool:
    """Wait until the server has worked off what the last scenario left queued.

    wrk stops at its deadline, but the server goes on with the requests it
    had accepted: an argon2 backlog takes seconds, on some workers only.
    Asking it over HTTP is misleading (an idle worker wins every accept race),
    so watch its CPU instead: idle once the whole process tree uses under
    ``IDLE_CPU_SHARE`` of one core over a window. False if it never does.
    """
    deadline = time.monotonic() + timeout_s
    before = tree_cpu_seconds(server.pid)
    while time.monotonic() < deadline:
        time.sleep(window_s)  # a rate needs an interval to measure over
        after = tree_cpu_seconds(server.pid)
        if (after - before) / window_s < IDLE_CPU_SHARE:
            return True
        before = after
    return False


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the supervisor stop its workers; SIGKILL its group if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass(frozen=True)
class Server:
    url: str
    pid: int  # the supervisor; its workers are its children


@contextmanager
def running_server(
    kind: str, workers: int, env: dict[str, str], cwd: Path, app: str | None = None
) -> Iterator[Server]:
    """Serve civicauth (or ``app``, see ``server_argv``) until the block ends."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    log = cwd / f"server-{kind}-{port}.log"
    # The bench's own modules (the ceiling app) import from the repository.
    path = os.pathsep.join(p for p in (str(REPOSITORY), env.get("PYTHONPATH", "")) if p)
    with log.open("wb") as out:
        process = subprocess.Popen(
            server_argv(kind, port, workers, app),
            env={**env, "CIVICAUTH_ISSUER": url, "PYTHONPATH": path},
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, so a stuck worker can be ended with it
        )
    try:
        _wait_healthy(url, process, log)
        yield Server(url, process.pid)
    finally:
        _stop(process)
