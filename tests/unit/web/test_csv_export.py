"""CSV cells that a spreadsheet would run are defused; rows stream."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from civicauth.accounts.security_log import LogEntry
from civicauth.web.csv_export import LOG_HEADER, safe_cell, security_log_csv


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("plain", "plain"),
        (None, ""),
        (42, "42"),
    ],
)
def test_formula_cells_get_a_leading_quote(value, cell):
    assert safe_cell(value) == cell


def entry(n: int, detail: str = "") -> LogEntry:
    at = datetime(2026, 3, 1, 12, 0, n % 60, tzinfo=UTC)
    return LogEntry(n, at, "sign_in", 7, "=cmd@example.com", None, "192.0.2.1", detail, 3)


def test_rows_are_parsed_back_with_defused_cells():
    body = b"".join(security_log_csv([entry(1, 'said "hi", then\nleft'), entry(2, "-1")]))
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == list(LOG_HEADER)
    assert all(len(row) == len(LOG_HEADER) for row in rows)
    assert rows[1] == [
        "1", "2026-03-01T12:00:01+00:00", "sign_in", "Signed in", "7",
        "'=cmd@example.com", "", "3", "192.0.2.1", 'said "hi", then\nleft',
    ]  # fmt: skip
    assert rows[2][-1] == "'-1"


def test_chunks_come_as_the_entries_are_pulled():
    pulled: list[int] = []

    def entries():
        for n in range(1, 1001):
            pulled.append(n)
            yield entry(n)

    chunks = security_log_csv(entries(), batch=100)
    assert next(chunks).startswith(b"id,time,event")
    assert pulled == []  # the header needs no entry
    first = next(chunks)
    assert first.count(b"\r\n") == 100
    assert len(pulled) == 100  # not the 1000
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 900
