"""``civicauth db backup PATH``: a consistent copy of the SQLite database
made while others write to it; on PostgreSQL, one line pointing to pg_dump."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

import pytest
from sqlalchemy import func, select

from civicauth.accounts.models import AuditEvent
from tests.support import BACKEND, run_civicauth

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's online backup")


def one_line_error(result) -> str:
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def audit_rows(ctx) -> int:
    with ctx.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@sqlite_only
def test_a_backup_made_while_writing_opens_whole_with_the_rows(backend, ctx, tmp_path):
    stop, written = threading.Event(), [0]

    def write() -> None:
        while not stop.is_set() and written[0] < 100_000:
            with ctx.db.write_transaction() as session:
                session.add_all(
                    AuditEvent(event="backup_test", detail="x" * 200) for _ in range(20)
                )
            written[0] += 20

    with ctx.db.write_transaction() as session:
        session.add_all(AuditEvent(event="before_backup") for _ in range(50))
    before = audit_rows(ctx)
    writer = threading.Thread(target=write)
    writer.start()
    try:
        result = run_civicauth(backend, "db", "backup", str(tmp_path / "copy.sqlite3"))
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("backed up ")
    assert result.stdout.rstrip().endswith("integrity ok)")
    after = audit_rows(ctx)
    with closing(sqlite3.connect(tmp_path / "copy.sqlite3")) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = copy.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        marked = copy.execute(
            "SELECT count(*) FROM audit_events WHERE event = 'before_backup'"
        ).fetchone()[0]
        version = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert before <= copied <= after
    assert marked == 50
    assert version
    # A copy of a live database is whole transactions only: batches of 20.
    assert (copied - before) % 20 == 0
    assert written[0] > 0
    assert not list(tmp_path.glob(".*partial"))


@sqlite_only
def test_a_backup_never_overwrites_a_file(backend, tmp_path):
    target = tmp_path / "taken.sqlite3"
    target.write_bytes(b"precious")
    error = one_line_error(run_civicauth(backend, "db", "backup", str(target)))
    assert "exists" in error
    assert target.read_bytes() == b"precious"


@sqlite_only
def test_a_backup_into_a_missing_directory_is_one_line(backend, tmp_path):
    error = one_line_error(run_civicauth(backend, "db", "backup", str(tmp_path / "no" / "x.db")))
    assert "is not a directory" in error


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's answer")
def test_on_postgresql_it_says_to_use_pg_dump(backend, tmp_path):
    target = tmp_path / "copy"
    error = one_line_error(run_civicauth(backend, "db", "backup", str(target)))
    assert error.startswith("civicauth: error: ")
    assert "pg_dump" in error
    assert not target.exists()
