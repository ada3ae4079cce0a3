"""The developer portal's rules: a user registers, sees, edits and deletes
only their own applications.

Registration, validation (redirect URIs included) and secret rotation are
those of ``clients/services.py``, the review of edits that of
``clients/review.py``; this module adds ownership and the developer's side.
Services never commit: the request edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicauth.clients.models import Client
from civicauth.clients.review import propose_change
from civicauth.clients.services import (
    APPROVED,
    PENDING,
    Registration,
    find_client,
    register_client,
)
from civicauth.errors import NotFound, ValidationFailed

# Enough for any developer; keeps one account from filling the table.
MAX_APPLICATIONS_PER_OWNER = 25


def applications_of(session: Session, owner_id: int) -> list[Client]:
    """The user's own applications, oldest first."""
    query = select(Client).where(Client.owner_id == owner_id).order_by(Client.id)
    return list(session.scalars(query))


def own_application(session: Session, owner_id: int, client_id: str) -> Client:
    """The user's application with this id; NotFound for any other, so that
    nobody learns whether someone else's id exists."""
    client = find_client(session, client_id)
    if client is None or client.owner_id != owner_id:
        raise NotFound(f"no application {client_id} of this user")
    return client


def _count_owned(session: Session, owner_id: int) -> int:
    query = select(func.count()).select_from(Client).where(Client.owner_id == owner_id)
    return int(session.scalar(query) or 0)


def register_own_application(
    session: Session, owner_id: int, reg: Registration, *, auto_approve: bool
) -> tuple[Client, str | None]:
    """Register an application owned by this user; it waits for an operator's
    approval (``civicauth apps approve``) unless ``auto_approve``. Returns it
    and, for a confidential one, its secret, shown once."""
    if _count_owned(session, owner_id) >= MAX_APPLICATIONS_PER_OWNER:
        limit = MAX_APPLICATIONS_PER_OWNER
        raise ValidationFailed({"name": [f"cannot be added: at most {limit} applications"]})
    status = APPROVED if auto_approve else PENDING
    return register_client(session, reg, status=status, owner_id=owner_id)


def update_application(
    session: Session, client: Client, reg: Registration, *, auto_approve: bool
) -> list[str]:
    """Apply an edit, or keep it for review when the app was approved (see
    ``review.propose_change``); whether the app is public or confidential
    stays as registered (it decides whether a secret exists). Returns the
    names of the fields waiting for review. Raises ValidationFailed."""
    reg = replace(reg, is_public=client.is_public)
    return propose_change(session, client, reg, auto_approve=auto_approve)


def delete_application(session: Session, client: Client) -> None:
    """Delete the application; its consents, codes and tokens go with it
    (foreign keys ON DELETE CASCADE)."""
    session.delete(client)
    session.flush()
