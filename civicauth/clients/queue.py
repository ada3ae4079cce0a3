"""What the operator's application queue lists: apps waiting for review,
changes to approved apps waiting for review, and every app, filtered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from civicauth.clients.models import PENDING, STATUSES, Client

# The list of all apps shows at most this many per page.
PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    """The all-apps list's filters; empty values filter nothing."""

    status: str = ""
    organization: str = ""
    search: str = ""
    page: int = 1

    def __post_init__(self) -> None:
        if self.status not in ("", *STATUSES):
            object.__setattr__(self, "status", "")
        object.__setattr__(self, "page", max(1, min(self.page, 10_000)))


def pending_apps(session: Session) -> list[Client]:
    """Apps waiting for review, oldest first."""
    query = select(Client).where(Client.status == PENDING).order_by(Client.created_at, Client.id)
    return list(session.scalars(query))


def waiting_changes(session: Session) -> list[Client]:
    """Apps with a change of their reviewed fields waiting, oldest first."""
    query = (
        select(Client)
        .where(Client.change_proposed_at.is_not(None))
        .order_by(Client.change_proposed_at, Client.id)
    )
    return [client for client in session.scalars(query) if client.pending_change]


def waiting_count(session: Session) -> int:
    """How many apps and changes wait for review."""
    waiting = or_(Client.status == PENDING, Client.change_proposed_at.is_not(None))
    return int(session.scalar(select(func.count()).select_from(Client).where(waiting)) or 0)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def all_apps(session: Session, filters: Filters) -> tuple[list[Client], bool]:
    """One page of every app matching the filters, newest first, and whether
    another page follows. The search matches the name, organization,
    client_id and the contacts' names and emails, ignoring case."""
    query = select(Client)
    if filters.status:
        query = query.where(Client.status == filters.status)
    if filters.organization:
        query = query.where(Client.organization == filters.organization)
    if text := filters.search.strip()[:100]:
        pattern = _like(text)
        columns = (
            Client.name,
            Client.organization,
            Client.client_id,
            Client.technical_contact_name,
            Client.technical_contact_email,
            Client.admin_contact_name,
            Client.admin_contact_email,
        )
        query = query.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in columns)))
    offset = (filters.page - 1) * PAGE_SIZE
    rows = list(
        session.scalars(
            query.order_by(Client.created_at.desc(), Client.id.desc())
            .offset(offset)
            .limit(PAGE_SIZE + 1)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def organizations(session: Session) -> list[str]:
    """Every organization with an app, for the filter's choices."""
    query = select(Client.organization).distinct().order_by(Client.organization)
    return [name for name in session.scalars(query)]
