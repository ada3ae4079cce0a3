"""Bounding boxes seek each (band, status) pair: the status moves to second
place in the latitude-band index.

With the status after the longitude, a box list read every index entry in
each band's range of longitudes and compared its status; with it second, the
index is read as one range of longitudes per band and listed status, and the
entries of statuses not asked for (``archived``, by default) are never read.
Measured over 100,000 issues, a 1 km box's count costs SQLite 0.29 ms instead
of 0.41 and its page 0.52 ms instead of 0.67. The index still holds every
filter and sort key of a list (and on PostgreSQL the id), so neither count
nor page reads a row.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Spelled out rather than imported, so a later change to the models cannot
# change what this migration did.
NEW_INDEX = "ix_issues_band_status"
NEW_COLUMNS = ("lat_band", "status", "lng", "lat", "created_at", "updated_at", "vote_count")
OLD_INDEX = "ix_issues_lat_band"
OLD_COLUMNS = ("lat_band", "lng", "lat", "status", "created_at", "updated_at", "vote_count")
# As in migrations 0004 and 0011: SQLite's planner reads these until a real
# ANALYZE replaces them (100,000 issues of one city: about 1,000 in each
# band, a quarter of them in each status).
NEW_SQLITE_STATISTICS = "100000 1000 250 1 1 1 1 1"
OLD_SQLITE_STATISTICS = "100000 1000 1 1 1 1 1 1"


def _set_sqlite_statistics(drop: str, add: str, stat: str) -> None:
    stat1 = sa.table("sqlite_stat1", sa.column("tbl"), sa.column("idx"), sa.column("stat"))
    op.execute(stat1.delete().where(stat1.c.tbl == "issues", stat1.c.idx == drop))
    op.bulk_insert(stat1, [{"tbl": "issues", "idx": add, "stat": stat}])
    op.execute("ANALYZE sqlite_master")  # makes this connection read them again


def _replace(drop: str, add: str, columns: tuple[str, ...], stat: str) -> None:
    op.create_index(add, "issues", list(columns), postgresql_include=["id"])
    op.drop_index(drop, table_name="issues")
    if op.get_bind().dialect.name == "sqlite":
        _set_sqlite_statistics(drop, add, stat)


def upgrade() -> None:
    _replace(OLD_INDEX, NEW_INDEX, NEW_COLUMNS, NEW_SQLITE_STATISTICS)


def downgrade() -> None:
    _replace(NEW_INDEX, OLD_INDEX, OLD_COLUMNS, OLD_SQLITE_STATISTICS)
