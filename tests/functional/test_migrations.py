"""The same migrations build and tear down the schema on both databases."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from civicauth.db.migrate import alembic_config, downgrade, upgrade
from civicauth.migrations.hand_made import is_search_index
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
    # Through env.py, as a developer's autogenerate would run: the models'
    # metadata comes from the caller, and hand-made search objects are ignored.
    from alembic import command

    upgrade(backend.database_url)
    command.check(alembic_config(backend.database_url, Base.metadata))
