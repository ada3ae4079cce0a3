"""Issues, comments, votes and follows.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# Text search (civicauth/issues/search.py). SQLite: an FTS5 index of summary
# and description with the trigram tokenizer (substring matches, SQLite >=
# 3.34), kept in step with ``issues`` by triggers, so rows inserted by any
# means are found. A later migration that rebuilds ``issues`` (Alembic batch
# mode on SQLite) must create these triggers again.
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE issues_search USING fts5("
    "summary, description, content='issues', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER issues_search_insert AFTER INSERT ON issues BEGIN "
    "INSERT INTO issues_search(rowid, summary, description) "
    "VALUES (new.id, new.summary, new.description); END",
    "CREATE TRIGGER issues_search_delete AFTER DELETE ON issues BEGIN "
    "INSERT INTO issues_search(issues_search, rowid, summary, description) "
    "VALUES ('delete', old.id, old.summary, old.description); END",
    # Only a change of the text touches the index, not a vote or a status.
    "CREATE TRIGGER issues_search_update AFTER UPDATE OF summary, description ON issues BEGIN "
    "INSERT INTO issues_search(issues_search, rowid, summary, description) "
    "VALUES ('delete', old.id, old.summary, old.description); "
    "INSERT INTO issues_search(rowid, summary, description) "
    "VALUES (new.id, new.summary, new.description); END",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS issues_search_update",
    "DROP TRIGGER IF EXISTS issues_search_delete",
    "DROP TRIGGER IF EXISTS issues_search_insert",
    "DROP TABLE IF EXISTS issues_search",
)
# PostgreSQL: trigram GIN indexes answer ILIKE '%term%' (pg_trgm is a trusted
# extension since PostgreSQL 13: the database owner may create it).
POSTGRES_SEARCH = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_issues_summary_trgm ON issues USING gin (summary gin_trgm_ops)",
    "CREATE INDEX ix_issues_description_trgm ON issues USING gin (description gin_trgm_ops)",
)


# SQLite plans without statistics until someone runs ANALYZE, and without
# them it takes ``status IN (...)`` for a selective filter: a bounding-box list
# then walks the whole table. These are the figures ANALYZE reports for
# 100,000 issues of one city (rows, then rows per distinct key prefix); the
# planner uses them until a real ANALYZE replaces them. SQLite documents this
# in "Manual Control Of Query Plans Using SQLITE_STAT Tables".
SQLITE_PLANNER_STATISTICS = (
    ("ix_issues_created_at", "100000 1"),
    ("ix_issues_updated_at", "100000 1"),
    ("ix_issues_vote_count", "100000 4762"),
    ("ix_issues_status_created", "100000 25000 1"),
    ("ix_issues_reporter_created", "100000 100 1"),
    ("ix_issues_lat_lng", "100000 1 1 1 1 1 1"),
)


def _seed_sqlite_statistics() -> None:
    op.execute("ANALYZE sqlite_master")  # creates sqlite_stat1 when it is missing
    stat1 = sa.table("sqlite_stat1", sa.column("tbl"), sa.column("idx"), sa.column("stat"))
    op.execute(stat1.delete().where(stat1.c.tbl == "issues"))
    op.bulk_insert(
        stat1,
        [{"tbl": "issues", "idx": idx, "stat": stat} for idx, stat in SQLITE_PLANNER_STATISTICS],
    )
    op.execute("ANALYZE sqlite_master")  # makes this connection read them again


def _execute(statements: tuple[str, ...]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_issues_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
    )
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.create_index("ix_issues_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_issues_updated_at", ["updated_at"], unique=False)
        batch_op.create_index("ix_issues_vote_count", ["vote_count"], unique=False)
        batch_op.create_index("ix_issues_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(
            "ix_issues_reporter_created", ["reporter_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_issues_lat_lng",
            ["lat", "lng", "status", "created_at", "updated_at", "vote_count"],
            unique=False,
        )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _execute(SQLITE_SEARCH)
        _seed_sqlite_statistics()
    elif dialect == "postgresql":
        _execute(POSTGRES_SEARCH)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_comments_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_comments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_issue_created", ["issue_id", "created_at"], unique=False)
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_votes_issue_id_issues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_votes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
        sa.UniqueConstraint("issue_id", "user_id", name="uq_votes_issue_user"),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_user_id"), ["user_id"], unique=False)
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", civicauth.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_follows_issue_id_issues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("issue_id", "user_id", name="uq_follows_issue_user"),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follows_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("follows")
    op.drop_table("votes")
    op.drop_table("comments")
    if op.get_bind().dialect.name == "sqlite":
        _execute(SQLITE_SEARCH_DROP)
    op.drop_table("issues")
