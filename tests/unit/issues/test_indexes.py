"""Lists, bounding boxes and search are answered from indexes (point 7 of
the issue): the query plans, read with EXPLAIN on the test database.

SQLite plans from the statistics migration 0004 ships, before any ANALYZE,
so the whole list query is checked. PostgreSQL plans from statistics that
tiny test tables do not have, so there each condition is checked alone,
with sequential scans forbidden, to see that an index serves it.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from civicauth.issues import search
from civicauth.issues.geo import BoundingBox
from civicauth.issues.models import Issue
from civicauth.issues.queries import IssueQuery, _conditions, _in_box, _ordered

BOX = BoundingBox(41.30, -72.95, 41.31, -72.93)
TERMS = search.search_terms("pothole")


def explain(session: Session, statement) -> str:
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in session.execute(text(prefix + sql)))


def page_plan(session: Session, q: IssueQuery) -> str:
    where = _conditions(session.get_bind().dialect.name, q)
    return explain(session, _ordered(select(Issue.id).where(*where), q).limit(20))


def count_plan(session: Session, *where) -> str:
    return explain(session, select(func.count()).select_from(Issue).where(*where))


@pytest.fixture
def session(ctx) -> Iterator[Session]:
    with ctx.db.read() as session:
        if not ctx.settings.is_sqlite:
            session.execute(text("SET LOCAL enable_seqscan = off"))
        yield session


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def test_default_list_walks_created_at_in_order(session):
    page = page_plan(session, IssueQuery())
    if is_sqlite(session):
        assert "SCAN issues USING INDEX ix_issues_created_at" in page
        assert "TEMP B-TREE" not in page
    else:
        newest = select(Issue.id).order_by(Issue.created_at.desc()).limit(20)
        assert "Index Scan Backward using ix_issues_created_at" in explain(session, newest)


def test_bounding_box_is_read_band_by_band_from_the_index_alone(session):
    # One range of longitudes in each latitude band: the index holds every
    # filter and sort key, so neither the count nor the page reads a row.
    q = IssueQuery(area=BOX)
    if is_sqlite(session):
        covering = "COVERING INDEX ix_issues_lat_band (lat_band=? AND lng>? AND lng<?)"
        assert covering in page_plan(session, q)
        assert covering in count_plan(session, *_conditions("sqlite", q))
    else:
        plan = count_plan(session, *_in_box(BOX))
        assert "Index Only Scan using ix_issues_lat_band" in plan
        assert "Index Cond: ((lat_band = ANY" in plan


def test_search_uses_the_text_index(session):
    if is_sqlite(session):
        q = IssueQuery(terms=TERMS)
        assert "issues_search VIRTUAL TABLE INDEX" in page_plan(session, q)
    else:
        found = count_plan(session, search.matching("postgresql", TERMS))
        assert "ix_issues_summary_trgm" in found
        assert "ix_issues_description_trgm" in found
