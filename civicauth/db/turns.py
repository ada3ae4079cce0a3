"""One process at a time: a named lock that every process sharing a
database can take, for work that only one of them should do at once (the
background upkeep, civicauth/upkeep/; the migrations, civicauth/db/migrate.py).

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a
connection of its own. Advisory locks belong to the database, so every
worker and host on it contends for the same one, and a process that dies
(or loses its connection) lets go of it with its session.

SQLite: an advisory lock (flock) on a file beside the database, as the
writer queue does (civicauth/db/engine.py): the processes sharing an SQLite
file are on one host. An in-memory database is one process's alone.

``only_one`` never waits: whoever does not get the turn skips this round.
``in_turn`` waits for it: whoever comes second finds the work done.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from civicauth.db.engine import Database, make_engine

# Turns held by this process, by lock file: flock excludes other open files
# of the same path, but a second try from this process must fail too.
_held: set[str] = set()
_held_guard = threading.Lock()


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL's bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def only_one(db: Database, name: str) -> Iterator[bool]:
    """Try to take the turn called ``name``; yields whether this process has
    it, and lets it go when the block ends."""
    if db.engine.dialect.name == "postgresql":
        with _advisory(db, name) as held:
            yield held
        return
    database = make_url(db.url).database
    path = f"{database}-{name}.lock" if database and database != ":memory:" else f":memory:{name}"
    with _file_turn(path) as held:
        yield held


@contextmanager
def _advisory(db: Database, name: str) -> Iterator[bool]:
    key = advisory_key(name)
    # Autocommit: the lock is the session's, so no transaction (and no old
    # snapshot holding back VACUUM) need stay open while the turn lasts.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        held = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar())
        try:
            yield held
        finally:
            # A connection lost meanwhile (a database restart) took the lock with it.
            if held and not connection.invalidated:
                with suppress(DBAPIError):
                    connection.execute(select(func.pg_advisory_unlock(key)))


@contextmanager
def _file_turn(path: str) -> Iterator[bool]:
    with _held_guard:
        if path in _held:
            held_here = True
        else:
            _held.add(path)
            held_here = False
    if held_here:
        yield False
        return
    try:
        if path.startswith(":memory:"):
            yield True
            return
        with open(path, "ab") as file:  # its own descriptor: never one inherited through fork
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(file.fileno(), fcntl.LOCK_UN)
    finally:
        with _held_guard:
            _held.discard(path)


@contextmanager
def in_turn(url: str, name: str) -> Iterator[None]:
    """Wait for the turn called ``name`` on the database at ``url``, hold it
    for the block: for work every process may start but only one may do at
    a time (migrations, when several servers start at once)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = make_engine(url, poolclass=NullPool)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(select(func.pg_advisory_lock(advisory_key(name))))
                try:
                    yield
                finally:
                    with suppress(DBAPIError):
                        connection.execute(select(func.pg_advisory_unlock(advisory_key(name))))
        finally:
            engine.dispose()
        return
    if not parsed.database or parsed.database == ":memory:":
        yield
        return
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{parsed.database}-{name}.lock", "ab") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)  # released when the file closes
        yield
