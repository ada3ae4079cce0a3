"""oauth_tokens.grant_issued_at: when a token family's first token was
issued, for the refresh tokens' absolute lifetime.

Existing rows take the earliest issued_at of their family. Rows that were
purged cannot be seen, so a family whose first rows are gone counts from its
oldest remaining row (its chain lives a little longer, never less).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """On SQLite, batch mode copies the table and drops the old one; with
    foreign keys enforced, that drop would run ``ON DELETE SET NULL`` on
    the copy's parent_id and lose every link between rotated tokens. The
    pragma is ignored inside a transaction (so it comes before any write,
    and is checked), and switching it on again may be ignored for the same
    reason: the migration's connection is closed after the run anyway."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("SQLite foreign keys could not be switched off for migration 0007")
    yield
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise RuntimeError(f"migration 0007 left a dangling foreign key: {tuple(broken)}")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    with _sqlite_foreign_keys_off():
        _add_grant_issued_at()


def _add_grant_issued_at() -> None:
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "grant_issued_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    tokens = sa.table(
        "oauth_tokens",
        sa.column("grant_id", sa.String()),
        sa.column("issued_at", civicauth.db.base.UTCDateTime(timezone=True)),
        sa.column("grant_issued_at", civicauth.db.base.UTCDateTime(timezone=True)),
    )
    family = tokens.alias("family")
    first_issued = (
        sa.select(sa.func.min(family.c.issued_at))
        .where(family.c.grant_id == tokens.c.grant_id)
        .scalar_subquery()
    )
    op.execute(tokens.update().values(grant_issued_at=first_issued))
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.alter_column("grant_issued_at", nullable=False)


def downgrade() -> None:
    with _sqlite_foreign_keys_off(), op.batch_alter_table("oauth_tokens") as batch_op:
        batch_op.drop_column("grant_issued_at")
