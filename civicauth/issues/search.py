"""Text search over summary and description, on each database's own text index.

A term matches where it occurs as a substring, case-insensitively, in the
summary or the description; every term must match. SQLite answers from the
``issues_search`` FTS5 table (trigram tokenizer, kept in step with ``issues``
by triggers); PostgreSQL from trigram GIN indexes (pg_trgm) under ILIKE. Both
indexes serve terms of three characters or more; shorter terms fall back to
a scan, which is correct, only slower.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, column, literal_column, or_, select, table

from civicauth.issues.models import Issue

MAX_TERMS = 8
MAX_TERM_LENGTH = 100
TRIGRAM = 3

# Made by hand in migration 0004, outside the models (civicauth.migrations.hand_made).
_fts = table("issues_search", column("rowid"))


def search_terms(text: str) -> tuple[str, ...]:
    """The distinct whitespace-separated terms of a search string."""
    return tuple(dict.fromkeys(text.split()))


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _scan(term: str) -> ColumnElement[bool]:
    pattern = _like_pattern(term)
    return or_(
        Issue.summary.ilike(pattern, escape="\\"),
        Issue.description.ilike(pattern, escape="\\"),
    )


def _fts_phrases(terms: tuple[str, ...]) -> str:
    # A quoted phrase of trigrams matches exactly where the term is a substring.
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _sqlite(terms: tuple[str, ...]) -> ColumnElement[bool]:
    indexed = tuple(t for t in terms if len(t) >= TRIGRAM)
    conditions = [_scan(t) for t in terms if len(t) < TRIGRAM]
    if indexed:
        match = literal_column("issues_search").op("MATCH")(_fts_phrases(indexed))
        conditions.append(Issue.id.in_(select(_fts.c.rowid).where(match)))
    return and_(*conditions)


def matching(dialect: str, terms: tuple[str, ...]) -> ColumnElement[bool]:
    """A condition on ``issues`` true where every term occurs."""
    if dialect == "sqlite":
        return _sqlite(terms)
    return and_(*(_scan(term) for term in terms))
