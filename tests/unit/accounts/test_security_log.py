"""The security log's search, keyset pages and streamed export."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from civicauth.accounts.audit import record_event
from civicauth.accounts.models import AuditEvent
from civicauth.accounts.security_log import (
    LogFilter,
    export_events,
    log_filter,
    search_events,
)
from civicauth.errors import ValidationFailed


@pytest.fixture(scope="module")
def log(ctx):
    """Two residents' events, oldest first: 30 sign-ins of A on 1 and 2 March,
    then 5 of B's token events for app-x on 3 March."""
    from civicauth.accounts.services import register_user

    with ctx.db.transaction() as session:
        a = register_user(
            session, ctx.passwords, name="Resident A", email="a@example.com", password="pw-aaaaaaaa"
        )
        b = register_user(
            session, ctx.passwords, name="Resident B", email="b@example.com", password="pw-bbbbbbbb"
        )
        session.execute(AuditEvent.__table__.delete())
        for n in range(30):
            record_event(session, "sign_in", user_id=a.id, address="192.0.2.1", detail=f"n{n}")
        for _ in range(5):
            record_event(session, "token_issued", user_id=b.id, client_id="app-x")
        session.flush()
        ids = sorted(
            session.scalars(AuditEvent.__table__.select().with_only_columns(AuditEvent.id))
        )
        days = [date(2026, 3, 1)] * 15 + [date(2026, 3, 2)] * 15 + [date(2026, 3, 3)] * 5
        for event_id, day in zip(ids, days, strict=True):
            at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            session.execute(
                update(AuditEvent).where(AuditEvent.id == event_id).values(created_at=at)
            )
    return {"a": a.id, "b": b.id, "ids": ids}


def test_filters_by_user_app_event_and_days(ctx, log):
    with ctx.db.read() as session:

        def count(**fields):
            return len(search_events(session, log_filter(**fields), limit=100).entries)

        assert count() == 35
        assert count(email="A@EXAMPLE.COM") == 30
        assert count(email="nobody@example.com") == 0
        assert count(client_id="app-x") == 5
        assert count(event="token_issued") == 5
        assert count(email="a@example.com", event="token_issued") == 0
        assert count(since="2026-03-02") == 20
        assert count(until="2026-03-01") == 15
        assert count(since="2026-03-02", until="2026-03-02") == 15
        entry = search_events(session, log_filter(client_id="app-x"), limit=1).entries[0]
    assert (entry.email, entry.client_id, entry.event) == ("b@example.com", "app-x", "token_issued")
    assert entry.description == "Token issued to an application"


def test_bad_fields_are_named():
    with pytest.raises(ValidationFailed) as caught:
        log_filter(event="no_such_event", since="yesterday", until="2026-13-01")
    assert caught.value.errors == {
        "event": ["is not a known event"],
        "since": ["is not a date (YYYY-MM-DD)"],
        "until": ["is not a date (YYYY-MM-DD)"],
    }
    with pytest.raises(ValidationFailed) as caught:
        log_filter(since="2026-03-02", until="2026-03-01")
    assert caught.value.errors == {"until": ["is before the first day"]}


def test_keyset_pages_walk_back_and_forth_without_gaps(ctx, log):
    spec = LogFilter()
    seen: list[int] = []
    with ctx.db.read() as session:
        page = search_events(session, spec, limit=10)
        assert page.newer is None
        pages = [page]
        while page.older is not None:
            page = search_events(session, spec, before=page.older, limit=10)
            pages.append(page)
        for each in pages:
            seen += [e.id for e in each.entries]
        assert seen == sorted(log["ids"], reverse=True)  # every event once, newest first
        assert [len(p.entries) for p in pages] == [10, 10, 10, 5]
        # And forward again from the oldest page.
        back = search_events(session, spec, after=pages[-1].newer, limit=10)
        assert [e.id for e in back.entries] == [e.id for e in pages[-2].entries]
        assert back.older == pages[-2].older
        assert back.newer == pages[-2].newer


def test_export_is_read_lazily_in_batches(ctx, log):
    opened: list[int] = []

    @contextmanager
    def sessions():
        opened.append(1)
        with ctx.db.read() as session:
            yield session

    events = export_events(sessions, LogFilter(), batch=10)
    assert opened == []  # nothing read before the first row is asked for
    first = next(events)
    assert first.id == max(log["ids"])
    assert len(opened) == 1  # one batch of 10 read, not the 35
    rest = list(events)
    assert len(opened) == 4  # 10 + 10 + 10 + 5: the short batch ends it
    assert [first.id] + [e.id for e in rest] == sorted(log["ids"], reverse=True)
    assert len(list(export_events(sessions, LogFilter(client_id="app-x"), batch=10))) == 5
