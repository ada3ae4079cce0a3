"""Row ids read from requests (paths, form fields): one checked parser.

``int()`` takes what is no id: Unicode digits (``"٣"``), signs, underscores,
and numbers no id column holds, which SQLite refuses with an OverflowError and
PostgreSQL with "integer out of range". Ids here are ASCII digits within an
``INTEGER`` column (int4 on PostgreSQL, the smaller of the two databases)."""

from __future__ import annotations

import re

MAX_ROW_ID = 2**31 - 1
# [0-9], not \d: re's \d matches every Unicode decimal digit.
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_row_id(text: str) -> int | None:
    """The id that ``text`` names, or None when it names no possible row."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None
