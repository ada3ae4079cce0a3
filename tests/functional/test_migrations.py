"""The same migrations build and tear down the schema on both databases."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from civicauth.db.migrate import downgrade, upgrade
from civicauth.issues.search import is_search_index
from civicauth.models import Base


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {name for name in names if not is_search_index(name)}
    finally:
        engine.dispose()


def test_migrations_match_the_models_and_downgrade_cleanly(backend):
    url = backend.database_url
    upgrade(url)
    assert tables(url) == set(Base.metadata.tables)
    downgrade(url, "base")
    assert tables(url) == set()
    upgrade(url)
    assert tables(url) == set(Base.metadata.tables)


def test_no_model_change_lacks_a_migration(backend):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(backend.database_url)
    engine = create_engine(backend.database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": lambda name, *_: not is_search_index(name)}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []
