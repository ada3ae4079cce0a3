"""Migration 0004 builds the text search index, and its downgrade removes it;
migration 0011 gives existing issues their latitude bands; migration 0016
moves the status to second place in the band index, statistics included."""

import math

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
        assert ("ix_issues_band_status", "100000 1000 250 1 1 1 1 1") in sqlite_statistics(url)
    else:
        assert search_objects(url) == {"ix_issues_summary_trgm", "ix_issues_description_trgm"}
    downgrade(url, "0010")
    if url.startswith("sqlite"):
        assert ("ix_issues_lat_lng", "100000 1 1 1 1 1 1") in sqlite_statistics(url)
    downgrade(url, "0003")
    assert search_objects(url) == set()
    if url.startswith("sqlite"):
        assert sqlite_statistics(url) == []
    upgrade(url)
    assert search_objects(url)


def issue_indexes(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {index["name"] for index in inspect(engine).get_indexes("issues")}
    finally:
        engine.dispose()


LATITUDES = (41.3083, 41.30999, -0.0005, -33.8688, 0.0, 89.9999, -90.0)


def test_existing_issues_get_the_floor_of_their_latitude_as_band(backend):
    url = backend.database_url
    upgrade(url)
    downgrade(url, "0010")
    assert "ix_issues_lat_band" not in issue_indexes(url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            user = connection.execute(
                text(
                    "INSERT INTO users (email, email_canonical, name, password_hash,"
                    " security_stamp, created_at, updated_at) VALUES ('band@example.com',"
                    " 'band@example.com', 'Band', 'x', 's', :now, :now) RETURNING id"
                ),
                {"now": "2024-01-01 00:00:00"},
            ).scalar_one()
            for lat in LATITUDES:
                connection.execute(
                    text(
                        "INSERT INTO issues (summary, description, status, lat, lng, address,"
                        " reporter_id, created_at, updated_at, vote_count, comment_count)"
                        " VALUES ('s', '', 'open', :lat, 1.0, 'a', :user, :now, :now, 0, 0)"
                    ),
                    {"lat": lat, "user": user, "now": "2024-01-01 00:00:00"},
                )
        upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT lat, lat_band FROM issues ORDER BY id")).all()
            connection.execute(text("DELETE FROM issues WHERE reporter_id = :id"), {"id": user})
            connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": user})
            connection.commit()
    finally:
        engine.dispose()
    assert [band for _, band in rows] == [math.floor(lat * 1000) for lat in LATITUDES]
    assert "ix_issues_band_status" in issue_indexes(url)
    assert "ix_issues_lat_lng" not in issue_indexes(url)


def band_index_columns(url: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    try:
        indexes = inspect(engine).get_indexes("issues")
    finally:
        engine.dispose()
    wanted = {"ix_issues_lat_band", "ix_issues_band_status"}
    return {index["name"]: index["column_names"] for index in indexes if index["name"] in wanted}


def test_the_band_index_gains_the_status_second_and_gives_it_back(backend):
    url = backend.database_url
    upgrade(url)
    assert band_index_columns(url) == {
        "ix_issues_band_status": [
            "lat_band", "status", "lng", "lat", "created_at", "updated_at", "vote_count",
        ],
    }  # fmt: skip
    downgrade(url, "0015")
    assert band_index_columns(url) == {
        "ix_issues_lat_band": [
            "lat_band", "lng", "lat", "status", "created_at", "updated_at", "vote_count",
        ],
    }  # fmt: skip
    if url.startswith("sqlite"):
        statistics = dict(sqlite_statistics(url))
        assert statistics["ix_issues_lat_band"] == "100000 1000 1 1 1 1 1 1"
        assert "ix_issues_band_status" not in statistics
    upgrade(url)
    assert list(band_index_columns(url)) == ["ix_issues_band_status"]
    if url.startswith("sqlite"):
        statistics = dict(sqlite_statistics(url))
        assert statistics["ix_issues_band_status"] == "100000 1000 250 1 1 1 1 1"
        assert "ix_issues_lat_band" not in statistics
