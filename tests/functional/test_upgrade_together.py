"""Several servers starting at once each migrate first: ``civicauth db
upgrade`` run by several processes together on a fresh database takes turns,
so every one of them succeeds and the schema is migrated once."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from civicauth.db.migrate import alembic_config
from tests.support import (
    BACKEND,
    CHEAP_ARGON2,
    create_postgres_database,
    drop_postgres_database,
    missing_service,
    reachable,
)

PROCESSES = 3


def head() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revision = script.get_current_head()
    assert revision is not None
    return revision


def test_upgrades_started_together_all_succeed(tmp_path):
    if BACKEND == "postgres":
        if not reachable("127.0.0.1", 5432):
            missing_service("PostgreSQL is not reachable on 127.0.0.1:5432")
        url = create_postgres_database()
    else:
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = {**os.environ, **CHEAP_ARGON2, "CIVICAUTH_DATABASE_URL": url}
    env["CIVICAUTH_VAR_DIR"] = str(tmp_path)
    try:
        running = [
            subprocess.Popen(
                [sys.executable, "-m", "civicauth", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        results = [process.communicate(timeout=300) for process in running]
        for process, (out, err) in zip(running, results, strict=True):
            assert process.returncode == 0, err
            assert out == "database is up to date\n"
        engine = create_engine(url)
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()
        assert [row[0] for row in versions] == [head()]
    finally:
        if BACKEND == "postgres":
            drop_postgres_database(url)
