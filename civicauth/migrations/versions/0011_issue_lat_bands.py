"""Bounding boxes read latitude bands: ``issues.lat_band`` and its index.

A (lat, lng) index answers a box by reading every issue in the box's range of
latitudes, whatever its longitude: for a 1 km box over a city of 11 km that is
ten times the issues the box holds. ``lat_band`` (the floor of the latitude in
bands of about 111 m, set on insert by the models) leads the new index, so a
box is read as one range of longitudes per band, little more than the box.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Spelled out rather than imported, so a later change to the models cannot
# change what this migration did.
# floor(lat * 1000), as civicauth.issues.models.lat_band computes it; SQLite
# may lack floor(), and its CAST truncates towards zero.
FILL_LAT_BAND = {
    "sqlite": "UPDATE issues SET lat_band = "
    "CAST(lat * 1000 AS INTEGER) - (lat * 1000 < CAST(lat * 1000 AS INTEGER))",
    "postgresql": "UPDATE issues SET lat_band = CAST(floor(lat * 1000) AS INTEGER)",
}
LAT_BAND_INDEX_COLUMNS = (
    "lat_band",
    "lng",
    "lat",
    "status",
    "created_at",
    "updated_at",
    "vote_count",
)
OLD_INDEX = ("lat", "lng", "status", "created_at", "updated_at", "vote_count")
# As in migration 0004: SQLite's planner reads these until a real ANALYZE
# replaces them (100,000 issues of one city: about 1,000 in each band).
SQLITE_STATISTICS = "100000 1000 1 1 1 1 1 1"
OLD_SQLITE_STATISTICS = "100000 1 1 1 1 1 1"


def _set_sqlite_statistics(drop: str, add: str, stat: str) -> None:
    stat1 = sa.table("sqlite_stat1", sa.column("tbl"), sa.column("idx"), sa.column("stat"))
    op.execute(stat1.delete().where(stat1.c.tbl == "issues", stat1.c.idx == drop))
    op.bulk_insert(stat1, [{"tbl": "issues", "idx": add, "stat": stat}])
    op.execute("ANALYZE sqlite_master")  # makes this connection read them again


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    sqlite = dialect == "sqlite"
    # No batch mode on SQLite: rebuilding ``issues`` would drop the text
    # search triggers (migration 0004). The server default only fills the
    # column for the existing rows, which the UPDATE then corrects.
    op.add_column("issues", sa.Column("lat_band", sa.Integer(), server_default="0", nullable=False))
    op.execute(FILL_LAT_BAND[dialect])
    if not sqlite:  # SQLite cannot drop a default in place; inserts always set it
        op.alter_column("issues", "lat_band", server_default=None)
    op.create_index(
        "ix_issues_lat_band", "issues", list(LAT_BAND_INDEX_COLUMNS), postgresql_include=["id"]
    )
    op.drop_index("ix_issues_lat_lng", table_name="issues")
    if sqlite:
        _set_sqlite_statistics("ix_issues_lat_lng", "ix_issues_lat_band", SQLITE_STATISTICS)


def downgrade() -> None:
    op.create_index("ix_issues_lat_lng", "issues", list(OLD_INDEX))
    op.drop_index("ix_issues_lat_band", table_name="issues")
    if op.get_bind().dialect.name == "sqlite":
        _set_sqlite_statistics("ix_issues_lat_band", "ix_issues_lat_lng", OLD_SQLITE_STATISTICS)
        op.execute("ALTER TABLE issues DROP COLUMN lat_band")
    else:
        op.drop_column("issues", "lat_band")
