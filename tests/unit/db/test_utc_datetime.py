"""Times come back from either database as aware UTC datetimes, as stored."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from civicauth.db.base import UTCDateTime, utc_from_sqlite

MOMENTS = [
    datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
    datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),  # stored as 12:30 UTC
]


@pytest.fixture
def table(ctx):
    metadata = MetaData()
    times = Table(
        "utc_times", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime())
    )
    metadata.create_all(ctx.db.engine)
    yield times
    metadata.drop_all(ctx.db.engine)


def test_times_read_back_equal_and_in_utc(ctx, table):
    with ctx.db.transaction() as session:
        session.execute(insert(table), [{"at": moment} for moment in MOMENTS] + [{"at": None}])
    with ctx.db.read() as session:
        read = session.scalars(select(table.c.at).order_by(table.c.id)).all()
    assert read[:3] == MOMENTS
    assert all(moment.utcoffset() == timedelta(0) for moment in read[:3])
    assert read[3] is None


def test_a_naive_time_is_refused(ctx, table):
    with pytest.raises(Exception, match="naive datetime"), ctx.db.transaction() as session:
        session.execute(insert(table).values(at=datetime(2024, 5, 1)))


def test_sqlite_text_with_or_without_an_offset_is_read_as_utc():
    assert utc_from_sqlite("2024-05-01 12:00:00.000000") == MOMENTS[0]
    assert utc_from_sqlite("2024-05-01 12:00:00") == MOMENTS[0]  # CURRENT_TIMESTAMP's shape
    assert utc_from_sqlite("2024-05-01T14:00:00+02:00") == MOMENTS[0]
    assert utc_from_sqlite("2024-05-01 12:00:00").tzinfo is UTC
    assert utc_from_sqlite(None) is None
    with pytest.raises(ValueError):
        utc_from_sqlite("yesterday")


def test_a_time_written_by_hand_with_an_offset_is_read_as_utc(ctx, table):
    # SQLite keeps the text as written; PostgreSQL converts it on the way in.
    with ctx.db.transaction() as session:
        session.execute(text("INSERT INTO utc_times (at) VALUES ('2024-05-01 14:00:00+02:00')"))
    with ctx.db.read() as session:
        assert session.scalar(select(table.c.at)) == MOMENTS[0]
