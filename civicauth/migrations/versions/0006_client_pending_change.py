"""An approved application's edit waits for review: clients.pending_change.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_change", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "change_proposed_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("change_proposed_at")
        batch_op.drop_column("pending_change")
