from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, pool

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


def _sqlite_foreign_keys_off(connection: Connection) -> None:
    """Batch mode copies a SQLite table and drops the old one. With foreign
    keys enforced, that drop runs the other tables' ``ON DELETE`` actions:
    recreating ``users`` would delete every token, recreating ``oauth_tokens``
    would unlink rotated tokens. The pragma is ignored inside a transaction,
    so it comes before the migrations' one, and is checked."""
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("SQLite foreign keys could not be switched off for the migration")
    connection.commit()  # end SQLAlchemy's autobegun transaction: alembic opens its own


def _sqlite_foreign_keys_hold(connection: Connection) -> None:
    """What the unenforced keys would have refused: fail (and roll back) the run."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise RuntimeError(f"the migration left a dangling foreign key: {tuple(broken)}")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys_off(connection)
        # render_as_batch: SQLite cannot ALTER most things; batch mode copies tables.
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _sqlite_foreign_keys_hold(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
