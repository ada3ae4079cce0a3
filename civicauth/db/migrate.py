"""Run the Alembic migrations that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from civicauth.db.turns import in_turn

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str, target_metadata: MetaData | None = None) -> Config:
    """The Alembic configuration; autogenerate also needs the models' metadata."""
    config = Config()
    if target_metadata is not None:
        config.attributes["target_metadata"] = target_metadata
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate to ``revision``. One process at a time: several servers that
    start together (each ``civicauth serve`` migrates first) take turns, and
    those that come second find the work done instead of failing half-way
    through the same migration."""
    with in_turn(database_url, "migrate"):
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
