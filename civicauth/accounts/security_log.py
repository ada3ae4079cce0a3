"""The operator's view of the security log: search, pages, export.

Pages are keyset pages on the event id, newest first, not offsets: the log
only grows, so an offset page shifts under the reader as events arrive (the
same event on two pages, or one never shown), and page 500 of a year's log
would read and throw away 25,000 rows to show 50. An id cursor reads one
index range whatever the depth. Ids grow in the order events are written,
which is the log's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from civicauth.accounts.audit import EVENTS
from civicauth.accounts.models import AuditEvent, User
from civicauth.accounts.validation import normalize_email
from civicauth.errors import ValidationFailed

PAGE_SIZE = 50
EXPORT_BATCH = 500


@dataclass(frozen=True)
class LogFilter:
    """What the operator searches by; empty fields match everything. The
    dates are whole UTC days, both included."""

    email: str = ""
    client_id: str = ""
    event: str = ""
    since: date | None = None
    until: date | None = None


def _day(field: str, value: str, errors: dict[str, list[str]]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = ["is not a date (YYYY-MM-DD)"]
        return None


def log_filter(
    *, email: str = "", client_id: str = "", event: str = "", since: str = "", until: str = ""
) -> LogFilter:
    """The filter of a search form's fields; raises ValidationFailed naming
    each bad field."""
    errors: dict[str, list[str]] = {}
    if event and event not in EVENTS:
        errors["event"] = ["is not a known event"]
    if len(email) > 254:
        errors["email"] = ["is too long"]
    if len(client_id) > 64:
        errors["client_id"] = ["is too long"]
    first, last = _day("since", since, errors), _day("until", until, errors)
    if first and last and first > last:
        errors["until"] = ["is before the first day"]
    if errors:
        raise ValidationFailed(errors)
    return LogFilter(normalize_email(email), client_id.strip(), event, first, last)


@dataclass(frozen=True)
class LogEntry:
    id: int
    created_at: datetime
    event: str
    user_id: int | None
    email: str | None  # None: no user, or the account is gone
    client_id: str | None
    address: str | None
    detail: str
    operator_id: int | None  # the operator who did it, for the console's actions

    @property
    def description(self) -> str:
        return EVENTS.get(self.event, self.event)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# The columns of a LogEntry, in its order.
_Matching = Select[int, datetime, str, int | None, str, str | None, str | None, str, int | None]


def _matching(spec: LogFilter) -> _Matching:
    query = select(
        AuditEvent.id,
        AuditEvent.created_at,
        AuditEvent.event,
        AuditEvent.user_id,
        User.email,
        AuditEvent.client_id,
        AuditEvent.address,
        AuditEvent.detail,
        AuditEvent.operator_id,
    ).outerjoin(User, User.id == AuditEvent.user_id)
    if spec.email:
        # The account's id, so the user index serves the search.
        account = select(User.id).where(User.email_canonical == spec.email).scalar_subquery()
        query = query.where(AuditEvent.user_id == account)
    if spec.client_id:
        query = query.where(AuditEvent.client_id == spec.client_id)
    if spec.event:
        query = query.where(AuditEvent.event == spec.event)
    if spec.since:
        query = query.where(AuditEvent.created_at >= _midnight(spec.since))
    if spec.until:
        query = query.where(AuditEvent.created_at < _midnight(spec.until + timedelta(days=1)))
    return query


def _entries(session: Session, query: _Matching) -> list[LogEntry]:
    return [LogEntry(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    older: int | None  # the cursor (``before``) of the next older page, if any
    newer: int | None  # the cursor (``after``) of the next newer page, if any


def search_events(
    session: Session,
    spec: LogFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> LogPage:
    """One page of matching events, newest first: the newest page, the one
    just older than event ``before``, or the one just newer than ``after``.
    One more row than the page is read to know whether there is another."""
    query = _matching(spec)
    if after is not None:
        rows = _entries(
            session, query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(limit + 1)
        )
        more_newer = len(rows) > limit
        entries = rows[:limit][::-1]
        older = entries[-1].id if entries else None  # event ``after`` at least
        return LogPage(entries, older, entries[0].id if more_newer else None)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = _entries(session, query.order_by(AuditEvent.id.desc()).limit(limit + 1))
    entries = rows[:limit]
    older = entries[-1].id if len(rows) > limit else None
    newer = entries[0].id if before is not None and entries else None
    return LogPage(entries, older, newer)


def export_events(
    sessions: Callable[[], AbstractContextManager[Session]],
    spec: LogFilter,
    batch: int = EXPORT_BATCH,
) -> Iterator[LogEntry]:
    """Every matching event, newest first, read ``batch`` at a time: each
    batch is one keyset query in a short session of its own, so a year of
    events never sits in memory and no transaction stays open for the
    length of a download."""
    before: int | None = None
    while True:
        query = _matching(spec).order_by(AuditEvent.id.desc()).limit(batch)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        with sessions() as session:
            entries = _entries(session, query)
        yield from entries
        if len(entries) < batch:
            return
        before = entries[-1].id
