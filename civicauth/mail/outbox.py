"""The outbox: ``enqueue`` inside the caller's transaction, and what the
sender needs to claim a due message, record how its attempt went, and report.

Services never commit: a mail queued in a transaction that rolls back is
never sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, event, func, or_, select, update
from sqlalchemy.orm import Session

from civicauth.mail import templates
from civicauth.mail.models import FAILED, PENDING, SENT, STATES, MailMessage
from civicauth.mail.seal import seal_of

WAKE_KEY = "civicauth.mail.enqueued"
# Senders in this process, woken when a transaction that queued mail commits.
_wakers: set[Callable[[], None]] = set()


def add_waker(callback: Callable[[], None]) -> None:
    _wakers.add(callback)


def remove_waker(callback: Callable[[], None]) -> None:
    _wakers.discard(callback)


def _wake(session: Session) -> None:
    session.info.pop(WAKE_KEY, None)
    for callback in list(_wakers):
        callback()


def enqueue(session: Session, to: str, template_name: str, **context: Any) -> MailMessage:
    """Queue the mail ``template_name`` (civicauth/mail/templates.py) to one
    address. It goes out after the caller's transaction commits; its context
    is stored sealed (civicauth/mail/seal.py). Raises ValueError for a bad
    address, an unknown template or a missing value, and RuntimeError when the
    session's Database has no mail seal."""
    seal = seal_of(session)
    if "@" not in to or "\n" in to or "\r" in to or "," in to:
        raise ValueError("a mail goes to exactly one address")
    values = {key: str(value) for key, value in context.items()}
    templates.check(template_name, values)
    sealed = seal.seal(values, to=to, template=template_name)
    message = MailMessage(to_address=to, template=template_name, context=sealed, state=PENDING)
    session.add(message)
    if not session.info.get(WAKE_KEY):
        session.info[WAKE_KEY] = True
        event.listen(session, "after_commit", _wake, once=True)
    return message


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    first_delay: float
    max_delay: float

    def delay(self, attempts: int) -> timedelta:
        """Exponential backoff: the first delay, doubled after each failure."""
        seconds = min(self.max_delay, self.first_delay * 2 ** min(attempts - 1, 32))
        return timedelta(seconds=seconds)


def _due(now: datetime, since: datetime, ignore_backoff: bool) -> list[ColumnElement[bool]]:
    due = [
        MailMessage.state == PENDING,
        or_(MailMessage.locked_until.is_(None), MailMessage.locked_until <= now),
        or_(MailMessage.last_attempt_at.is_(None), MailMessage.last_attempt_at < since),
    ]
    return due if ignore_backoff else [*due, MailMessage.next_attempt_at <= now]


def claim_next(
    session: Session,
    now: datetime,
    lease: timedelta,
    *,
    since: datetime | None = None,
    ignore_backoff: bool = False,
) -> MailMessage | None:
    """Take the next due message for one attempt, holding it until
    ``now + lease``; none attempted at or after ``since`` (one attempt per
    message in one pass, even with ``ignore_backoff``).

    One statement: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several
    senders claim side by side and never the same message; on SQLite the
    UPDATE holds the one write lock while it picks."""
    pick = (
        select(MailMessage.id)
        .where(*_due(now, since or now, ignore_backoff))
        .order_by(MailMessage.next_attempt_at, MailMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claim = (
        update(MailMessage)
        .where(MailMessage.id == pick)
        .values(locked_until=now + lease, attempts=MailMessage.attempts + 1, last_attempt_at=now)
        .returning(MailMessage.id)
        .execution_options(synchronize_session=False)
    )
    claimed = session.execute(claim).scalar()
    return None if claimed is None else session.get(MailMessage, claimed, populate_existing=True)


def record_sent(session: Session, message_id: int, now: datetime) -> None:
    message = session.get_one(MailMessage, message_id)
    message.state, message.sent_at, message.locked_until = SENT, now, None
    # The mail is out: what it said (a link's secret, sealed) need not stay.
    message.context = {}


def record_failure(
    session: Session,
    message_id: int,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    *,
    final: bool = False,
) -> MailMessage:
    """Keep the error; try again after the backoff, or mark the message
    failed after the last attempt, or at once when another attempt cannot
    go better (``final``). It stays listed, never deleted."""
    message = session.get_one(MailMessage, message_id)
    message.last_error, message.locked_until = error[:1000], None
    if final or message.attempts >= policy.max_attempts:
        message.state = FAILED
    else:
        message.next_attempt_at = now + policy.delay(message.attempts)
    return message


def next_due(session: Session) -> datetime | None:
    """When the earliest pending message may be tried (or its claim lapses)."""
    ready = case(
        (MailMessage.locked_until > MailMessage.next_attempt_at, MailMessage.locked_until),
        else_=MailMessage.next_attempt_at,
    )
    return session.scalar(select(func.min(ready)).where(MailMessage.state == PENDING))


def sent_before(moment: datetime) -> ColumnElement[bool]:
    """SQL for the mail the upkeep deletes: sent before ``moment`` (what it
    said is gone already; failed mail stays listed, never deleted)."""
    return (MailMessage.state == SENT) & (MailMessage.sent_at < moment)


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each state (every state named, even at 0)."""
    rows = session.execute(
        select(MailMessage.state, func.count()).group_by(MailMessage.state)
    ).all()
    found = {state: int(count) for state, count in rows}
    return {state: found.get(state, 0) for state in STATES}


def waiting(session: Session) -> dict[str, int]:
    """How many messages are pending and failed (the sent ones are not
    counted: the index on state keeps this cheap however many were sent)."""
    rows = session.execute(
        select(MailMessage.state, func.count())
        .where(MailMessage.state.in_((PENDING, FAILED)))
        .group_by(MailMessage.state)
    ).all()
    found = {state: int(count) for state, count in rows}
    return {state: found.get(state, 0) for state in (PENDING, FAILED)}


def troubled(session: Session, limit: int = 100) -> list[MailMessage]:
    """Messages not sent whose last attempt failed, oldest first."""
    query = (
        select(MailMessage)
        .where(MailMessage.state != SENT, MailMessage.last_error.is_not(None))
        .order_by(MailMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def requeue_failed(session: Session, now: datetime) -> int:
    """Give every failed message a fresh set of attempts, due now."""
    result = session.execute(
        update(MailMessage)
        .where(MailMessage.state == FAILED)
        .values(state=PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
