"""Counting API requests in memory: one dict increment per request.

Each process counts its own requests and hands the counts over as deltas to
the flush (civicauth/usage/flush.py), which adds them to the table. Adding
is what makes several workers and hosts right without sharing anything: each
one's deltas are added once, in any order.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Literal, NamedTuple

UsageMethod = Literal["basic", "oauth", "personal"]
_EPOCH = date(1970, 1, 1)
_AGENT_LENGTH = 64


class UsageKey(NamedTuple):
    day: int  # days since 1970-01-01, UTC
    method: str
    client_id: str
    user_id: int
    agent: str

    @property
    def date(self) -> date:
        return _EPOCH + timedelta(days=self.day)


def agent_product(user_agent: bytes) -> str:
    """The first product token of a User-Agent (RFC 9110 §10.1.5), e.g.
    ``curl/8.5.0``: enough to tell programs apart, few distinct values."""
    product = user_agent.split(b" ", 1)[0][:_AGENT_LENGTH]
    return product.decode("ascii", "replace")


_Key = tuple[int, str, str, int, str]


class UsageCounter:
    """Per-process request counts, keyed by day, method, app, user and agent.

    Called from the event loop's thread only (the authentication middleware
    and the flush's ``take`` both run there, never in a worker thread), so
    the swap in ``take`` cannot race an increment and no lock is needed: a
    lock doubled the cost of counting, and building a ``UsageKey`` per
    request cost five times the increment, so requests use a plain tuple.
    """

    def __init__(self) -> None:
        self._counts: dict[_Key, int] = {}

    def add(self, method: UsageMethod, client_id: str, user_id: int, agent: str = "") -> None:
        key = (int(time.time() // 86400), method, client_id, user_id, agent)
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1

    def take(self) -> dict[UsageKey, int]:
        """The counts since the last take; counting starts again from zero."""
        taken, self._counts = self._counts, {}
        return {UsageKey._make(key): count for key, count in taken.items()}

    def give_back(self, deltas: dict[UsageKey, int]) -> None:
        """Counts a flush could not write, kept for the next one."""
        counts = self._counts
        for key, value in deltas.items():
            plain: _Key = tuple(key)  # type: ignore[assignment]
            counts[plain] = counts.get(plain, 0) + value
