"""Text search over summary and description, on each database's own text index.

A term matches where it occurs as a substring, case-insensitively, in the
summary or the description; every term must match. SQLite answers from the
``issues_search`` FTS5 table (trigram tokenizer, kept in step with ``issues``
by triggers); PostgreSQL from trigram GIN indexes (pg_trgm) under ILIKE. Both
indexes serve terms of three characters or more; shorter terms fall back to
a scan, which is correct, only slower.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    column,
    literal_column,
    or_,
    select,
    table,
)

from civicauth.issues.models import Issue

MAX_TERMS = 8
MAX_TERM_LENGTH = 100
TRIGRAM = 3

# Made by hand in migration 0004, outside the models (civicauth.migrations.hand_made).
_fts = table("issues_search", column("rowid"))


class TermShape(NamedTuple):
    """What a search's condition looks like, whatever its terms say: the
    statement is built once per shape and the terms are its parameters."""

    indexed: bool = False  # one MATCH of the trigram index (SQLite)
    scanned: int = 0  # terms matched by ILIKE over summary and description


def search_terms(text: str) -> tuple[str, ...]:
    """The distinct whitespace-separated terms of a search string."""
    return tuple(dict.fromkeys(text.split()))


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _scan(n: int) -> ColumnElement[bool]:
    pattern = bindparam(f"term_{n}", type_=String)
    return or_(
        Issue.summary.ilike(pattern, escape="\\"),
        Issue.description.ilike(pattern, escape="\\"),
    )


def _fts_phrases(terms: tuple[str, ...]) -> str:
    # A quoted phrase of trigrams matches exactly where the term is a substring.
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _split(dialect: str, terms: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The terms SQLite's trigram index answers, and the ones left to a scan
    (every term on PostgreSQL, whose trigram indexes serve ILIKE itself)."""
    if dialect != "sqlite":
        return (), terms
    indexed = tuple(t for t in terms if len(t) >= TRIGRAM)
    return indexed, tuple(t for t in terms if len(t) < TRIGRAM)


def term_shape(dialect: str, terms: tuple[str, ...]) -> TermShape:
    indexed, scanned = _split(dialect, terms)
    return TermShape(bool(indexed), len(scanned))


def term_params(dialect: str, terms: tuple[str, ...]) -> dict[str, Any]:
    """The parameters of ``matching(term_shape(dialect, terms))``."""
    indexed, scanned = _split(dialect, terms)
    params: dict[str, Any] = {f"term_{n}": _like_pattern(t) for n, t in enumerate(scanned)}
    if indexed:
        params["phrases"] = _fts_phrases(indexed)
    return params


def matching(shape: TermShape) -> ColumnElement[bool]:
    """A condition on ``issues`` true where every term occurs."""
    conditions = [_scan(n) for n in range(shape.scanned)]
    if shape.indexed:
        phrases = bindparam("phrases", type_=String)
        match = literal_column("issues_search").op("MATCH")(phrases)
        conditions.append(Issue.id.in_(select(_fts.c.rowid).where(match)))
    return and_(*conditions)
