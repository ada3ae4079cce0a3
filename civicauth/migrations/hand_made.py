"""Schema objects that migrations make by hand, outside the models.

Migration 0004 builds the text search index (SQLite's ``issues_search`` FTS5
table and its shadow tables, PostgreSQL's trigram indexes) with raw DDL, so
Alembic's autogenerate must neither drop them nor expect them in the models.
"""

from __future__ import annotations

_SEARCH_TABLE = "issues_search"
_SEARCH_INDEXES = frozenset({"ix_issues_summary_trgm", "ix_issues_description_trgm"})


def is_search_index(name: str | None) -> bool:
    """True for the tables (FTS5 and its shadows) and indexes of text search."""
    return name is not None and (name.startswith(_SEARCH_TABLE) or name in _SEARCH_INDEXES)
