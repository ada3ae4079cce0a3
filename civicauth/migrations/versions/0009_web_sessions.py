"""Server-side sessions of the pages, and the browsers each user signed in from.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "password_confirmed_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("digest", name=op.f("uq_web_sessions_digest")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_web_sessions_user_id", ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_web_sessions_last_seen_at"), ["last_seen_at"], unique=False
        )
    op.create_table(
        "known_browsers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_known_browsers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_browsers")),
    )
    with op.batch_alter_table("known_browsers", schema=None) as batch_op:
        batch_op.create_index("uq_known_browsers_user_digest", ["user_id", "digest"], unique=True)


def downgrade() -> None:
    op.drop_table("known_browsers")
    op.drop_table("web_sessions")
