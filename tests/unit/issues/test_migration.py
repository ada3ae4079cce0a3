"""Migration 0004 builds the text search index, and its downgrade removes it."""

from sqlalchemy import create_engine, inspect, text

from civicauth.db.migrate import downgrade, upgrade
from civicauth.migrations.hand_made import is_search_index


def search_objects(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        names = set(inspector.get_table_names())
        if "issues" in names:
            names |= {index["name"] for index in inspector.get_indexes("issues")}
        return {name for name in names if is_search_index(name)}
    finally:
        engine.dispose()


def sqlite_statistics(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'issues' ORDER BY idx"
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def test_search_index_comes_and_goes_with_the_migration(backend):
    url = backend.database_url
    upgrade(url)
    if url.startswith("sqlite"):
        assert search_objects(url) >= {"issues_search"}
        assert ("ix_issues_lat_lng", "100000 1 1 1 1 1 1") in sqlite_statistics(url)
    else:
        assert search_objects(url) == {"ix_issues_summary_trgm", "ix_issues_description_trgm"}
    downgrade(url, "0003")
    assert search_objects(url) == set()
    if url.startswith("sqlite"):
        assert sqlite_statistics(url) == []
    upgrade(url)
    assert search_objects(url)
