"""The bench's server handling: environment, command lines, database, idleness."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bench import server
from tests.support import BACKEND, POSTGRES_URL

BURN = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass\n"


def test_env_drops_inherited_settings_so_production_argon2_applies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIVICAUTH_ARGON2_MEMORY_COST", "64")
    monkeypatch.setenv("PATH_FOR_TEST", "kept")
    env = server.base_env("sqlite:///x.sqlite3", tmp_path, "redis://127.0.0.1:6379/9")
    assert "CIVICAUTH_ARGON2_MEMORY_COST" not in env
    assert env["PATH_FOR_TEST"] == "kept"
    assert env["CIVICAUTH_DATABASE_URL"] == "sqlite:///x.sqlite3"
    assert env["CIVICAUTH_REDIS_URL"] == "redis://127.0.0.1:6379/9"
    assert len(env["CIVICAUTH_SECRET_KEY"]) >= 32


def test_both_servers_are_started_as_in_production_on_loopback() -> None:
    uvicorn = server.server_argv("uvicorn", 8123, 3)
    granian = server.server_argv("granian", 8123, 3)
    for argv, kind in ((uvicorn, "uvicorn"), (granian, "granian")):
        assert argv[1:4] == ["-m", "civicauth", "serve"]
        assert argv[argv.index("--server") + 1] == kind
    for argv in (uvicorn, granian):
        assert argv[argv.index("--host") + 1] == "127.0.0.1"
        assert argv[argv.index("--port") + 1] == "8123"
        assert argv[argv.index("--workers") + 1] == "3"


def test_another_app_is_served_by_the_same_server_and_workers() -> None:
    granian = server.server_argv("granian", 8123, 3, app="bench.ceiling:app")
    uvicorn = server.server_argv("uvicorn", 8123, 3, app="bench.ceiling:app")
    assert granian[1:5] == ["-m", "granian", "--interface", "asgi"]
    assert uvicorn[1:3] == ["-m", "uvicorn"]
    for argv in (granian, uvicorn):
        assert argv[-1] == "bench.ceiling:app"
        assert argv[argv.index("--workers") + 1] == "3"
        assert argv[argv.index("--host") + 1] == "127.0.0.1"


def test_an_unknown_server_is_refused() -> None:
    with pytest.raises(server.ServerError, match="unknown server 'gunicorn'"):
        server.server_argv("gunicorn", 1, 1)


def test_scratch_database_is_fresh_and_dropped_afterwards(tmp_path: Path) -> None:
    """SQLite under the run's folder; on PostgreSQL a new database, dropped at the end."""
    given = POSTGRES_URL if BACKEND == "postgres" else None
    with server.scratch_database(given, tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            assert inspect(connection).get_table_names() == []
            connection.execute(text("CREATE TABLE probe (id INTEGER)"))
        engine.dispose()
    if given is None:
        assert make_url(url).database == str(tmp_path / "bench.sqlite3")
        return
    name = make_url(url).database
    assert name != make_url(POSTGRES_URL).database
    admin = create_engine(POSTGRES_URL)
    with admin.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        assert found.first() is None
    admin.dispose()


def test_only_postgresql_urls_are_taken(tmp_path: Path) -> None:
    with (
        pytest.raises(server.ServerError, match="postgresql"),
        server.scratch_database("mysql://x/y", tmp_path),
    ):
        pass


def test_idle_means_no_cpu_and_busy_means_some() -> None:
    sleep = [sys.executable, "-c", "import sys; sys.stdin.read()"]
    with subprocess.Popen(sleep, stdin=subprocess.PIPE) as sleeper:
        assert server.wait_until_idle(server.Server("", sleeper.pid), window_s=0.2)
        assert sleeper.stdin is not None
        sleeper.stdin.close()
    with subprocess.Popen([sys.executable, "-c", BURN]) as burner:
        busy = server.Server("", burner.pid)
        assert not server.wait_until_idle(busy, window_s=0.2, timeout_s=0.5)
        burner.kill()
