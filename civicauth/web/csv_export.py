"""CSV for spreadsheets, written row by row, safe to open in one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from civicauth.accounts.security_log import LogEntry

# OWASP "CSV Injection": a spreadsheet runs a cell that starts with one of
# these as a formula (tab and carriage return hide one after whitespace).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

LOG_HEADER = (
    "id",
    "time",
    "event",
    "description",
    "user_id",
    "email",
    "client_id",
    "operator_id",
    "address",
    "detail",
)


def safe_cell(value: object) -> str:
    """The cell's text, with a leading ``'`` when a spreadsheet would take it
    for a formula (the quote shows, and nothing runs)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _line(cells: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()


def log_rows(entry: LogEntry) -> tuple[object, ...]:
    return (
        entry.id,
        entry.created_at.isoformat(timespec="seconds"),
        entry.event,
        entry.description,
        entry.user_id,
        entry.email,
        entry.client_id,
        entry.operator_id,
        entry.address,
        entry.detail,
    )


def security_log_csv(entries: Iterable[LogEntry], batch: int = 200) -> Iterator[bytes]:
    """The header, then the entries, in chunks of ``batch`` lines: pulled
    from ``entries`` as the client reads, never all at once."""
    yield _line(LOG_HEADER).encode()
    chunk: list[str] = []
    for entry in entries:
        chunk.append(_line(log_rows(entry)))
        if len(chunk) >= batch:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()
