"""The purge: every kind of row that can no longer be used, deleted in
small batches.

Each domain says which of its rows are dead (a SQL condition); this module
only deletes them, the same way for all. A batch is at most ``batch`` rows,
picked by primary key in a read (no lock held while it looks), then deleted
in a write transaction of its own that checks the condition again, so a row
that came back to life meanwhile (a refresh, a page load) stays. On
PostgreSQL the delete skips rows another transaction holds (``FOR UPDATE
SKIP LOCKED``): the purge never waits on a request. On SQLite each batch
takes its turn in the writer queue like any short write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select

from civicauth.accounts.account_tokens import AccountToken, dead_links
from civicauth.accounts.web_sessions import WebSession, idle_rows
from civicauth.db import Base, Database, utcnow
from civicauth.mail.models import MailMessage
from civicauth.mail.outbox import sent_before
from civicauth.settings import Settings
from civicauth.tokens.codes import dead_codes
from civicauth.tokens.models import AuthorizationCode, OAuthToken, PersonalAccessToken
from civicauth.tokens.oauth_tokens import RefreshLifetimes, dead_rows, expired_refresh_rows
from civicauth.tokens.personal import revoked_rows
from civicauth.usage.models import ApiUsage
from civicauth.usage.reports import past_keeping

BATCH = 500
# A bound on one round's work per kind (BATCH * MAX_BATCHES rows); the next
# round goes on where this one stopped.
MAX_BATCHES = 2000


@dataclass(frozen=True)
class Kind:
    """One kind of dead row: its name (in reports), its table, and the SQL
    that says a row is dead at a moment."""

    name: str
    model: type[Base]
    dead: Callable[[datetime], ColumnElement[bool]]


def kinds(settings: Settings) -> list[Kind]:
    """Every kind, in the order they are purged (tokens before the codes
    they came from: fewer references to clear)."""
    lifetimes = RefreshLifetimes.from_settings(settings)
    idle = timedelta(days=settings.session_idle_days)
    keep_sent = timedelta(days=settings.mail_keep_sent_days)
    return [
        Kind("expired_refresh", OAuthToken, lambda now: expired_refresh_rows(lifetimes, now)),
        Kind("tokens", OAuthToken, dead_rows),
        Kind("codes", AuthorizationCode, dead_codes),
        Kind("personal_tokens", PersonalAccessToken, lambda now: revoked_rows()),
        Kind("links", AccountToken, dead_links),
        Kind("sessions", WebSession, lambda now: idle_rows(idle, now)),
        Kind("sent_mail", MailMessage, lambda now: sent_before(now - keep_sent)),
        Kind("usage", ApiUsage, lambda now: past_keeping(settings.usage_keep_days, now)),
    ]


KIND_NAMES = (
    "expired_refresh",
    "tokens",
    "codes",
    "personal_tokens",
    "links",
    "sessions",
    "sent_mail",
    "usage",
)


@dataclass(frozen=True)
class Purged:
    """How many rows of each kind a purge deleted (every kind named)."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def tokens(self) -> int:
        """OAuth token rows, those with an expired refresh token included."""
        return self.counts.get("tokens", 0) + self.counts.get("expired_refresh", 0)

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


def purge(
    db: Database,
    settings: Settings,
    only: Iterable[str] | None = None,
    *,
    batch: int = BATCH,
    stop: threading.Event | None = None,
    now: datetime | None = None,
) -> Purged:
    """Delete every dead row of the kinds named in ``only`` (default: all),
    ``batch`` rows per transaction at most; stops between batches once
    ``stop`` is set. Raises ValueError for an unknown kind."""
    chosen = kinds(settings)
    if only is not None:
        wanted = set(only)
        if unknown := wanted - set(KIND_NAMES):
            raise ValueError(f"unknown kind(s): {', '.join(sorted(unknown))}")
        chosen = [kind for kind in chosen if kind.name in wanted]
    moment = now or utcnow()
    counts = {kind.name: 0 for kind in chosen}
    for kind in chosen:
        counts[kind.name] = purge_kind(db, kind, moment, batch, stop or threading.Event())
    return Purged(counts)


def purge_kind(db: Database, kind: Kind, now: datetime, batch: int, stop: threading.Event) -> int:
    """Delete the dead rows of one kind, by ascending primary key, a batch
    per transaction; how many."""
    pk = kind.model.__table__.c.id
    deleted, after = 0, 0
    for _ in range(MAX_BATCHES):
        if stop.is_set():
            break
        with db.read() as session:
            query = select(pk).where(pk > after, kind.dead(now)).order_by(pk).limit(batch)
            ids = list(session.scalars(query))
        if not ids:
            break
        deleted += _delete(db, kind, ids, now)
        after = ids[-1]
        if len(ids) < batch:
            break
    return deleted


def _delete(db: Database, kind: Kind, ids: list[int], now: datetime) -> int:
    pk = kind.model.__table__.c.id
    still_dead = select(pk).where(pk.in_(ids), kind.dead(now)).with_for_update(skip_locked=True)
    with db.write_transaction() as session:
        result = session.execute(
            delete(kind.model)
            .where(pk.in_(still_dead))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
