"""The operator console: the operator role, account locks, app reviews.

``users.is_operator``, ``users.locked_at`` and ``users.lock_reason``; the
operator's last decision on an app (``clients.review_reason``,
``reviewed_at``, ``reviewed_by_id``, ``approved_at``); and who acted, for the
security log (``audit_events.operator_id``). The operator ids are plain
numbers, not foreign keys: the log keeps them after an account is gone.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, civicauth.db.base.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("is_operator", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("users", _when("locked_at"))
    op.add_column(
        "users", sa.Column("lock_reason", sa.String(length=500), server_default="", nullable=False)
    )
    op.add_column(
        "clients", sa.Column("review_reason", sa.Text(), server_default="", nullable=False)
    )
    op.add_column("clients", _when("reviewed_at"))
    op.add_column("clients", sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
    op.add_column("clients", _when("approved_at"))
    op.add_column("audit_events", sa.Column("operator_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # One column at a time: SQLite (3.35+) drops a plain column in place.
    op.drop_column("audit_events", "operator_id")
    for column in ("approved_at", "reviewed_by_id", "reviewed_at", "review_reason"):
        op.drop_column("clients", column)
    for column in ("lock_reason", "locked_at", "is_operator"):
        op.drop_column("users", column)
