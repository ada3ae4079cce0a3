from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from civicauth.db.engine import make_engine
from civicauth.migrations.hand_made import is_search_index

config = context.config
# The models' metadata matters only to autogenerate, whose caller passes it in
# (``alembic_config(url, civicauth.models.Base.metadata)``): migrations sit
# below the domain and never import it; upgrades and downgrades need none.
target_metadata = config.attributes.get("target_metadata")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate leaves alone what migrations create outside the models."""
    return not is_search_index(name)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        # render_as_batch: SQLite cannot ALTER most things; batch mode copies tables.
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
