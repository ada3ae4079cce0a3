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

from civicauth.issues import listing, search
from civicauth.issues.geo import BoundingBox
from civicauth.issues.listing import IssueQuery
from civicauth.issues.models import Issue

BOX = BoundingBox(41.30, -72.95, 41.31, -72.93)
TERMS = search.search_terms("pothole")


def explain(session: Session, statement, values=None) -> str:
    """The plan of the statement with these parameters (lists expanded)."""
    dialect = session.get_bind().dialect
    bound = statement.params(values) if values else statement
    options = {"literal_binds": True, "render_postcompile": True}
    sql = str(bound.compile(dialect=dialect, compile_kwargs=options))
    prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in session.execute(text(prefix + sql)))


def statements(session: Session, q: IssueQuery):
    dialect = session.get_bind().dialect.name
    values = listing.parameters(dialect, q) | {"offset": 0, "limit": 20}
    return listing.statements(listing.shape(dialect, q)), values


def page_plan(session: Session, q: IssueQuery) -> str:
    built, values = statements(session, q)
    return explain(session, built.page, values)


def count_plan(session: Session, q: IssueQuery) -> str:
    built, values = statements(session, q)
    return explain(session, built.total, values)


def condition_plan(session: Session, *where, values) -> str:
    return explain(session, select(func.count()).select_from(Issue).where(*where), values)


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
    # The statuses asked for are seeks too: the others' entries are not read.
    q = IssueQuery(area=BOX)
    if is_sqlite(session):
        covering = (
            "COVERING INDEX ix_issues_band_status (lat_band=? AND status=? AND lng>? AND lng<?)"
        )
        assert covering in page_plan(session, q)
        assert covering in count_plan(session, q)
    else:
        plan = count_plan(session, q)
        assert "Index Only Scan using ix_issues_band_status" in plan
        assert "Index Cond: ((lat_band = ANY" in plan
        assert "(status)::text = ANY" in plan


def test_search_uses_the_text_index(session):
    if is_sqlite(session):
        q = IssueQuery(terms=TERMS)
        assert "issues_search VIRTUAL TABLE INDEX" in page_plan(session, q)
    else:
        shape = search.term_shape("postgresql", TERMS)
        found = condition_plan(
            session, search.matching(shape), values=search.term_params("postgresql", TERMS)
        )
        assert "ix_issues_summary_trgm" in found
        assert "ix_issues_description_trgm" in found
