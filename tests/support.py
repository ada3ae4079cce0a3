"""Test helpers: backends, settings, a live server in a subprocess."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKEND = os.environ.get("CIVICAUTH_TEST_BACKEND", "sqlite")
REQUIRE_SERVICES = os.environ.get("CIVICAUTH_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get(
    "CIVICAUTH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CIVICAUTH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Every test server's /metrics asks for this bearer token (``scrape``).
METRICS_TOKEN = "test-metrics-token-" + uuid.uuid4().hex

# Cheap argon2 for tests (the production defaults cost ~50 ms a hash).
CHEAP_ARGON2 = {
    "CIVICAUTH_ARGON2_TIME_COST": "1",
    "CIVICAUTH_ARGON2_MEMORY_COST": "64",
    "CIVICAUTH_ARGON2_PARALLELISM": "1",
}


def missing_service(reason: str) -> None:
    """Skip for a missing service, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def create_postgres_database(template: str | None = None) -> str:
    """A new database of its own: modules (and parallel runs) never collide.
    Empty, or a copy of ``template`` (a database's name)."""
    name = "civicauth_test_" + uuid.uuid4().hex[:12]
    _postgres_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# A module's database is dropped behind the tests that follow: PostgreSQL
# takes a second or more per DROP DATABASE (it waits for a checkpoint), time
# no test needs to wait for. ``finish`` waits for the last of them.
_DROPS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
_dropping: list[Future[None]] = []


def drop_later(url: str) -> None:
    _dropping.append(_DROPS.submit(drop_postgres_database, url))


@functools.cache
def _migrated_postgres() -> str:
    """The name of a database migrated once per run: each module's database
    is a copy of it (CREATE DATABASE ... TEMPLATE copies it in a fraction of
    the migrations' time)."""
    from civicauth.db.migrate import upgrade

    url = create_postgres_database()
    upgrade(url)
    return url.rsplit("/", 1)[1]


@functools.cache
def _migrated_sqlite() -> Path:
    """A SQLite file migrated once per run, copied for each module."""
    from civicauth.db.migrate import upgrade

    path = Path(tempfile.mkdtemp(prefix="civicauth-template-")) / "civicauth.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _copy_sqlite(source: Path, target: Path) -> None:
    # SQLite's online backup: a whole, consistent copy, whatever its journal mode.
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def finish() -> None:
    """At the end of a run: wait for the drops, then remove the templates."""
    for future in _dropping:
        future.result()
    _DROPS.shutdown()
    if _migrated_postgres.cache_info().currsize:
        drop_postgres_database(POSTGRES_URL.rsplit("/", 1)[0] + "/" + _migrated_postgres())
    if _migrated_sqlite.cache_info().currsize:
        shutil.rmtree(_migrated_sqlite().parent, ignore_errors=True)


@dataclass
class Backend:
    """The database (and Redis) one module's tests run against."""

    env: dict[str, str]

    @property
    def database_url(self) -> str:
        return self.env["CIVICAUTH_DATABASE_URL"]

    def close(self) -> None:
        if self.database_url.startswith("postgresql"):
            drop_later(self.database_url)


def run_civicauth(backend: Backend, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``civicauth ARGS`` as an operator runs it, in its own process, on the
    module's database (``env`` adds settings); the caller judges the exit."""
    return subprocess.run(
        [sys.executable, "-m", "civicauth", *args],
        env={**os.environ, **backend.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def make_backend(tmp: Path, migrated: bool = False) -> Backend:
    """A database of its own for one module, empty or ``migrated`` to the
    newest schema (a copy of one migration run), with the settings to match."""
    env = {
        **CHEAP_ARGON2,
        # No background purge unless a module asks for one (SETTINGS): tests
        # that age rows by hand then count them must not race the upkeep.
        "CIVICAUTH_PURGE_INTERVAL": "0",
        "CIVICAUTH_VAR_DIR": str(tmp),
        "CIVICAUTH_SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "CIVICAUTH_METRICS_TOKEN": METRICS_TOKEN,
    }
    if BACKEND == "postgres":
        if not reachable("127.0.0.1", 5432):
            missing_service("PostgreSQL is not reachable on 127.0.0.1:5432")
        if not reachable("127.0.0.1", 6379):
            missing_service("Redis is not reachable on 127.0.0.1:6379")
        template = _migrated_postgres() if migrated else None
        env["CIVICAUTH_DATABASE_URL"] = create_postgres_database(template)
        env["CIVICAUTH_REDIS_URL"] = REDIS_URL
        env["CIVICAUTH_REDIS_PREFIX"] = "civicauth-test-" + uuid.uuid4().hex[:12]
    else:
        path = tmp / "civicauth.sqlite3"
        if migrated:
            _copy_sqlite(_migrated_sqlite(), path)
        env["CIVICAUTH_DATABASE_URL"] = f"sqlite:///{path}"
    return Backend(env)


@contextmanager
def settings_env(env: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)  # type: ignore[arg-type]

    def scrape(self) -> str:
        """The server's /metrics, with the test token."""
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        answer = httpx.get(self.url + "/metrics", headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text[:300]
        return answer.text


@contextmanager
def live_server(
    env: dict[str, str],
    tmp: Path,
    workers: int = 1,
    serve_args: tuple[str, ...] = (),
    public_host: str = "127.0.0.1",
) -> Iterator[LiveServer]:
    """``civicauth serve`` in a subprocess on a free port, until the block ends.
    ``public_host`` names it in its public URL (WebAuthn needs a domain such
    as ``localhost``: an IP address cannot be a relying party id)."""
    port = free_port()
    url = f"http://{public_host}:{port}"
    log = tmp / f"server-{port}.log"
    full_env = {**os.environ, **env, "CIVICAUTH_ISSUER": env.get("CIVICAUTH_ISSUER", url)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "civicauth",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                *(serve_args or ("--no-access-log",)),
            ],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    try:
        _wait_healthy(url, process, log)
        yield LiveServer(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)  # polling a starting process: there is no event to await
    raise RuntimeError(f"server did not start: {log.read_text()}")
