"""What the operator's usage page reads, and which rows are past keeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicauth.accounts.models import User
from civicauth.clients.models import Client
from civicauth.usage.models import NO_CLIENT, ApiUsage

METHODS = ("basic", "oauth", "personal")
# The usage page's period, and the least the table keeps (settings may keep more).
PERIOD_DAYS = 30


def today() -> date:
    return datetime.now(UTC).date()


def period(days: int = PERIOD_DAYS, end: date | None = None) -> list[date]:
    """The ``days`` days ending with ``end`` (today, UTC), oldest first."""
    end = end or today()
    return [end - timedelta(days=n) for n in range(days - 1, -1, -1)]


@dataclass(frozen=True)
class DailyUsage:
    """Requests per day and method over a period (every day present)."""

    days: list[date]
    counts: dict[date, dict[str, int]]

    def of(self, day: date, method: str) -> int:
        return self.counts.get(day, {}).get(method, 0)

    def day_total(self, day: date) -> int:
        return sum(self.counts.get(day, {}).values())

    def total(self, method: str | None = None) -> int:
        methods = (method,) if method else METHODS
        return sum(self.of(day, m) for day in self.days for m in methods)


def daily_usage(session: Session, days: list[date], client_id: str | None = None) -> DailyUsage:
    """Requests per day and method over ``days``; only ``client_id``'s
    (OAuth) requests when it is given."""
    query = (
        select(ApiUsage.day, ApiUsage.method, func.sum(ApiUsage.count))
        .where(ApiUsage.day >= days[0], ApiUsage.day <= days[-1])
        .group_by(ApiUsage.day, ApiUsage.method)
    )
    if client_id is not None:
        query = query.where(ApiUsage.client_id == client_id)
    counts: dict[date, dict[str, int]] = {}
    for day, method, count in session.execute(query):
        counts.setdefault(day, {})[method] = int(count)
    return DailyUsage(days, counts)


@dataclass(frozen=True)
class AppUsage:
    client_id: str
    name: str
    organization: str
    requests: int
    last_day: date


def usage_by_app(session: Session, since: date) -> list[AppUsage]:
    """Apps with OAuth requests since ``since``, the busiest first."""
    total = func.sum(ApiUsage.count)
    query = (
        select(Client.client_id, Client.name, Client.organization, total, func.max(ApiUsage.day))
        .join(Client, Client.client_id == ApiUsage.client_id)
        .where(ApiUsage.day >= since, ApiUsage.client_id != NO_CLIENT)
        .group_by(Client.client_id, Client.name, Client.organization)
        .order_by(total.desc(), Client.client_id)
    )
    return [AppUsage(c, n, o, int(r), d) for c, n, o, r, d in session.execute(query)]


@dataclass(frozen=True)
class BasicUser:
    user_id: int
    email: str | None  # None: the account is gone
    name: str | None
    requests: int
    last_day: date


def basic_users(session: Session, since: date, limit: int = 200) -> list[BasicUser]:
    """Accounts that sent their password over HTTP Basic since ``since``."""
    total = func.sum(ApiUsage.count)
    query = (
        select(ApiUsage.user_id, User.email, User.name, total, func.max(ApiUsage.day))
        .outerjoin(User, User.id == ApiUsage.user_id)
        .where(ApiUsage.day >= since, ApiUsage.method == "basic")
        .group_by(ApiUsage.user_id, User.email, User.name)
        .order_by(total.desc(), ApiUsage.user_id)
        .limit(limit)
    )
    return [BasicUser(u, e, n, int(r), d) for u, e, n, r, d in session.execute(query)]


@dataclass(frozen=True)
class BasicAgent:
    agent: str
    requests: int
    users: int
    last_day: date


def basic_agents(session: Session, since: date, limit: int = 100) -> list[BasicAgent]:
    """The programs (User-Agent products) that sent passwords over Basic."""
    total = func.sum(ApiUsage.count)
    query = (
        select(
            ApiUsage.agent, total, func.count(ApiUsage.user_id.distinct()), func.max(ApiUsage.day)
        )
        .where(ApiUsage.day >= since, ApiUsage.method == "basic")
        .group_by(ApiUsage.agent)
        .order_by(total.desc(), ApiUsage.agent)
        .limit(limit)
    )
    return [BasicAgent(a, int(r), int(u), d) for a, r, u, d in session.execute(query)]


def past_keeping(keep_days: int, now: datetime) -> ColumnElement[bool]:
    """The rows of days older than the last ``keep_days`` (UTC; never fewer
    than the page's 30): what the upkeep purges (civicauth/upkeep/purge.py)."""
    keep = max(keep_days, PERIOD_DAYS)
    return ApiUsage.day < now.date() - timedelta(days=keep - 1)
