from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout waits for the
    # write lock instead of failing at once when several workers write.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# A PostgreSQL engine's pool: connections kept open, and how many more it
# may open while every kept one is busy.
POOL_SIZE = 10
MAX_OVERFLOW = 20


def make_engine(url: str, **options: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if "poolclass" not in options:
        # pre_ping: a connection the database dropped (a restart) is replaced
        # at checkout, so the service recovers by itself when it returns.
        # pool_timeout: with every connection busy, a request waits this long
        # for one, then is answered 503 rather than queueing without end.
        options.update(
            pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_timeout=5
        )
    # A database host that does not answer is given up on after this long,
    # not after the operating system's TCP timeout (minutes).
    options.setdefault("connect_args", {}).setdefault("connect_timeout", CONNECT_TIMEOUT)
    return create_engine(url, **options)


# Seconds to wait for a PostgreSQL connection to open (libpq's connect_timeout).
CONNECT_TIMEOUT = 3


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached just now (stopped,
    restarting, refusing connections, every pooled connection busy, SQLite
    locked too long), as opposed to a statement that is wrong."""
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    # SQLite says OperationalError for a missing table too: only its lock is
    # a matter of waiting. PostgreSQL's are connection and server states.
    if type(exc.orig).__module__.startswith("sqlite3"):
        return "locked" in str(exc.orig)
    return True


T = TypeVar("T")


class WriterQueue:
    """Where the writers of one SQLite database wait their turn: behind a
    lock of this process, then behind an advisory lock (flock) on a file
    beside the database, which every worker process on the host shares.

    SQLite's own write lock is what keeps the data right; this only makes
    the wait prompt. SQLite's busy handler waits by sleeping and trying
    again, up to 100 ms between tries, so the writer that has waited longest
    tries least often: with many writers its p99 is seconds. A writer
    blocked on these locks is woken the moment the holder ends (the kernel
    promises no order, but no one sleeps through a free lock).
    """

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}-writers.lock" if database else None
        self._file: IO[bytes] | None = None
        self._pid = 0

    @contextmanager
    def process_turn(self) -> Iterator[None]:
        """The turn among this process's writers, for the block."""
        with self._threads:
            yield

    @contextmanager
    def host_turn(self) -> Iterator[None]:
        """The turn among the host's processes (with the process turn held)."""
        if self._path is None:  # an in-memory database: one process
            yield
            return
        fd = self._descriptor()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _descriptor(self) -> int:
        # Opened in each process: a descriptor inherited through fork would
        # share one lock between parent and child, excluding neither.
        if self._file is None or self._pid != os.getpid():
            assert self._path is not None
            self._file = open(self._path, "ab")  # noqa: SIM115 (kept open to lock)
            self._pid = os.getpid()
        return self._file.fileno()


# What Python's sqlite3 begins a transaction for (the rest run in autocommit).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class FirstWrite:
    """Takes the writer turn and SQLite's write lock just before the first
    write of a write_transaction in this thread, and gives both back when
    it ends (after its COMMIT or ROLLBACK)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def armed(self, writers: WriterQueue) -> Iterator[None]:
        with ExitStack() as held:
            self._local.pending = (writers, held)
            try:
                yield
            finally:
                self._local.pending = None

    def before_execute(self, conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        pending = getattr(self._local, "pending", None)
        if pending is None or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        self._local.pending = None
        writers, held = pending
        held.enter_context(writers.host_turn())
        # The driver would BEGIN (deferred) before this statement; beginning
        # it ourselves takes the lock now, so every statement from here on
        # runs under it.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def given(session: Session, key: str, kind: type[T], what: str, builder: str) -> T:
    """What the session's Database was given under ``key`` (``Database(url,
    info=...)``), e.g. the mail seal or the token keys. Raises RuntimeError
    when it is missing: a programming error, never a reason to go on without."""
    found = session.info.get(key)
    if not isinstance(found, kind):
        raise RuntimeError(f"this session has no {what}: build its Database with info={builder}")
    return found


class Database:
    """One engine and its session factory; the request edge owns transactions."""

    def __init__(self, url: str, info: dict[str, Any] | None = None) -> None:
        """``info`` is copied into every session's ``Session.info`` (the mail
        seal, civicauth/mail/seal.py, travels there)."""
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._sqlite = self.engine.dialect.name == "sqlite"
        database = make_url(url).database
        in_memory = not database or database == ":memory:"
        self._writers = WriterQueue(None if in_memory else database) if self._sqlite else None
        self._first_write = FirstWrite()
        self._threads: CapacityLimiter | None = None
        if self._sqlite:
            event.listen(self.engine, "before_cursor_execute", self._first_write.before_execute)

    async def run(self, call: Callable[[], T]) -> T:
        """Run a request's short, blocking database work. On SQLite on the
        event loop: the database runs inside this process, its statements
        take microseconds and wait on no network, and the hop to a worker
        thread and back cost more CPU than a token grant or a page of
        issues. On PostgreSQL in a worker thread, at most as many at once as
        the pool keeps connections, so a burst queues here rather than for a
        connection (where it would time out into 503s). Work that may take
        long (a text search) belongs in a thread on either, not here."""
        if self._sqlite:
            return call()
        if self._threads is None:  # made in the event loop, at first use
            self._threads = CapacityLimiter(POOL_SIZE)
        return await to_thread.run_sync(call, limiter=self._threads)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def write_transaction(self) -> Iterator[Session]:
        """A transaction that will write, committed on success and rolled
        back on any error; for short ones that write whatever happens (the
        token endpoint), not for one that may wait on something else.

        On SQLite it takes the database's one write lock (BEGIN IMMEDIATE)
        just before its first write, after waiting its turn in the
        WriterQueue rather than in SQLite's busy handler, and holds both
        until it ends. What it reads before that runs beside the other
        writers, each statement on the latest commit, as under PostgreSQL's
        READ COMMITTED; what must not change between a read and a write is
        guarded by the write itself (a conditional UPDATE). On PostgreSQL it
        is transaction().
        """
        if self._writers is None:
            with self.transaction() as session:
                yield session
            return
        # One writer per process at a time, from the start: threads of one
        # process would only contend for the GIL. Across processes, only the
        # writes wait: a token request reads its client (and its code or
        # refresh token) first, 65% of the CPU time it held the lock for
        # when the lock was taken at BEGIN, while the other worker queued.
        with (
            self._writers.process_turn(),
            self._first_write.armed(self._writers),
            self.transaction() as session,
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers is not None:
            self._writers.close()
