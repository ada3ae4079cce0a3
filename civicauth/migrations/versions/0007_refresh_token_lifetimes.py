"""oauth_tokens.grant_issued_at: when a token family's first token was
issued, for the refresh tokens' absolute lifetime.

Existing rows take the earliest issued_at of their family. Rows that were
purged cannot be seen, so a family whose first rows are gone counts from its
oldest remaining row (its chain lives a little longer, never less).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    with op.batch_alter_table("oauth_tokens") as batch_op:
        batch_op.drop_column("grant_issued_at")
