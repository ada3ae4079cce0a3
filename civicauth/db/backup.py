"""``civicauth db backup PATH``: a consistent copy of the SQLite database
while the server runs, through SQLite's online backup API.

The copy is made in one step, inside one read transaction of the source:
in WAL mode writers go on meanwhile, and the copy is the database as it was
when the step began (a stepwise copy would start over after every write from
another process). It is written beside PATH and renamed into place once
checked, so PATH is whole or absent. PostgreSQL has pg_dump for this.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from civicauth.errors import CivicAuthError

PG_DUMP_HINT = (
    "db backup copies an SQLite database; for PostgreSQL use pg_dump "
    "(e.g. pg_dump --format=custom --file=civicauth.dump DATABASE)"
)


@dataclass(frozen=True)
class Copied:
    source: Path
    target: Path
    pages: int
    bytes: int


def backup(database_url: str, target: Path) -> Copied:
    """Copy the database of ``database_url`` to ``target`` (a new file).
    Raises CivicAuthError, whose one line says what is wrong."""
    source = _sqlite_file(database_url)
    if target.exists():
        raise CivicAuthError(f"{target} exists: give a new file name")
    if not target.parent.is_dir():
        raise CivicAuthError(f"{target.parent} is not a directory")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        pages = _copy(source, partial)
        os.link(partial, target)  # fails, rather than replaces, if PATH appeared meanwhile
    except FileExistsError:
        raise CivicAuthError(f"{target} exists: give a new file name") from None
    except (sqlite3.Error, OSError) as exc:
        raise CivicAuthError(f"backup failed: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Copied(source, target, pages, target.stat().st_size)


def _sqlite_file(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise CivicAuthError(PG_DUMP_HINT)
    if not url.database or url.database == ":memory:":
        raise CivicAuthError("an in-memory database has nothing to back up")
    source = Path(url.database)
    if not source.is_file():
        raise CivicAuthError(f"no database at {source}")
    return source


def _copy(source: Path, target: Path) -> int:
    """Back ``source`` up into ``target``, check the copy; its page count."""
    # Read-only: the backup must never write to (or create) the live database.
    with contextlib.closing(
        sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    ) as src:
        src.execute("PRAGMA busy_timeout=5000")
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst, pages=0)  # all pages in one step: one consistent snapshot
            # One self-contained file (no -wal beside it); WAL comes back when
            # a restored copy is served (civicauth/db/engine.py sets it).
            dst.execute("PRAGMA journal_mode=DELETE")
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"the copy failed its integrity check: {verdict}")
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            dst.commit()
    return pages
