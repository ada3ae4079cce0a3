"""Database.write_transaction on SQLite: reads beside the other writers,
the write lock from the first write to the end, writers queued on a lock
file that other processes share, and commit or rollback as transaction()
does."""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from civicauth.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/test.sqlite3")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    yield database
    database.dispose()


def other_writer(tmp_path: Path) -> sqlite3.Connection:
    """Another connection that gives up at once if the write lock is taken."""
    return sqlite3.connect(tmp_path / "test.sqlite3", timeout=0, isolation_level=None)


def lock_file_is_free(tmp_path: Path) -> bool:
    """Whether another process could take the writers' turn now."""
    with (tmp_path / "test.sqlite3-writers.lock").open("ab") as lock_file:
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
        return True


def test_reads_before_the_first_write_hold_no_lock(db, tmp_path):
    other = other_writer(tmp_path)
    other.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock
    with db.write_transaction() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
        assert lock_file_is_free(tmp_path)
        other.execute("INSERT INTO t VALUES (7)")
        other.execute("COMMIT")
        # Each read before the first write sees the latest commit.
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
    other.close()


def test_the_write_lock_is_held_from_the_first_write_to_the_end(db, tmp_path):
    other = other_writer(tmp_path)
    with db.write_transaction() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.execute(text("SELECT count(*) FROM t"))
        assert not lock_file_is_free(tmp_path)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    assert lock_file_is_free(tmp_path)
    other.execute("BEGIN IMMEDIATE")  # free again once it committed
    other.execute("ROLLBACK")
    other.close()


def test_writers_of_other_processes_wait_on_the_lock_file(db, tmp_path):
    """A separate open of the lock file stands for another process: its
    flock conflicts with the one write_transaction holds once it writes."""
    with (tmp_path / "test.sqlite3-writers.lock").open("ab") as lock_file:
        with db.write_transaction() as session:
            session.execute(text("UPDATE t SET x = 1"))
            with pytest.raises(BlockingIOError):
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # released
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def test_it_commits_on_success_and_rolls_back_on_error(db):
    with db.write_transaction() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))

    def fail_after_writing() -> None:
        with db.write_transaction() as session:
            session.execute(text("INSERT INTO t VALUES (2)"))
            raise KeyError("fails")

    with pytest.raises(KeyError):
        fail_after_writing()
    with db.read() as session:
        assert session.execute(text("SELECT x FROM t")).scalars().all() == [1]
    with db.write_transaction() as session:  # the turn was given back
        session.execute(text("INSERT INTO t VALUES (3)"))


def test_an_in_memory_database_queues_its_writers_without_a_lock_file():
    database = Database("sqlite://")
    with database.write_transaction() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    database.dispose()
