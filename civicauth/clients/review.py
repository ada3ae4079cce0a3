"""Edits of an approved application wait for the operator's review.

Residents authorize an app for what an operator approved: its name and
organization (shown on the consent page), where codes and tokens go (its
redirect URIs), where it may send a resident after signing out (its
post-logout redirect URIs) and what it may ask for (grant types, scopes).
An edit of those fields on an app that was approved is kept as
``Client.pending_change`` and does not take effect, so the approved version stays live, until
``approve_change``; ``reject_change`` drops it. Everything else (the
contacts) applies at once, as does any edit of an app that was never
approved. Services never commit: the request edge owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from civicauth.clients.models import APPROVED, PENDING, REJECTED, SUSPENDED, Client
from civicauth.clients.services import Registration, apply_fields, normalised_fields
from civicauth.db import utcnow
from civicauth.errors import NotFound

# In the order the portal shows them.
# Post-logout redirect URIs are reviewed like redirect URIs: both send the
# resident's browser, from our pages, to a place the app chose. The ID token
# algorithm is not: either of our keys signs as well, and nothing else changes.
REVIEWED_FIELDS = (
    "name",
    "organization",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "scopes",
)
# Stored as space-separated sets: another order is the same value.
_WORD_SETS = ("grant_types", "scopes")


@dataclass(frozen=True)
class FieldChange:
    """One reviewed field of a pending change: its live and proposed values,
    each as a list of items (one item for a text field)."""

    field: str
    live: list[str]
    proposed: list[str]


def waits_for_review(client: Client) -> bool:
    """Whether an edit of this app's reviewed fields waits for an operator:
    for an approved app, and a suspended one (reinstating it does not review
    it again). A pending app is reviewed whole when it is approved; a
    rejected one must be approved again, so both take edits directly."""
    return client.status in (APPROVED, SUSPENDED)


def _differs(name: str, live: Any, proposed: Any) -> bool:
    if name in _WORD_SETS:
        return set(str(live).split()) != set(str(proposed).split())
    return bool(live != proposed)


def propose_change(
    session: Session, client: Client, reg: Registration, *, auto_approve: bool = False
) -> list[str]:
    """Apply an edit: the contacts at once; the reviewed fields at once too
    unless the app ``waits_for_review`` (and ``auto_approve`` is off), when
    the ones that differ from the live values replace any pending change (none
    differing clears it). Returns the names of the fields now waiting, in
    ``REVIEWED_FIELDS`` order. Raises ValidationFailed."""
    fields = normalised_fields(reg)
    if auto_approve or not waits_for_review(client):
        apply_fields(client, fields)
        _clear(client)
        if client.status == REJECTED:
            # Edited after a rejection: back to the queue, reviewed whole again.
            client.status = PENDING
        session.flush()
        return []
    reviewed = {name: fields.pop(name) for name in REVIEWED_FIELDS}
    apply_fields(client, fields)
    change = {k: v for k, v in reviewed.items() if _differs(k, getattr(client, k), v)}
    if not change:
        _clear(client)
    elif change != client.pending_change:
        # A new dict, not an update in place: the JSON column sees assignments.
        client.pending_change = change
        client.change_proposed_at = utcnow()
    session.flush()
    return list(change)


def pending_changes(client: Client) -> list[FieldChange]:
    """The pending change, field by field, live value and proposed value."""
    change = client.pending_change or {}
    return [
        FieldChange(name, _items(name, getattr(client, name)), _items(name, change[name]))
        for name in REVIEWED_FIELDS
        if name in change
    ]


def proposed_values(client: Client) -> dict[str, Any]:
    """The reviewed fields as the developer last proposed them: the live
    values overlaid with the pending change."""
    return {name: getattr(client, name) for name in REVIEWED_FIELDS} | (client.pending_change or {})


def approve_change(session: Session, client: Client) -> list[str]:
    """Make the pending change live and clear it; the app's status stays.
    Returns the names of the fields it changed. Raises NotFound when nothing
    is pending."""
    change = _pending_of(client)
    apply_fields(client, {name: change[name] for name in REVIEWED_FIELDS if name in change})
    _clear(client)
    session.flush()
    return [name for name in REVIEWED_FIELDS if name in change]


def reject_change(session: Session, client: Client) -> list[str]:
    """Drop the pending change; the approved values stay. Returns the names
    of the fields it would have changed. Raises NotFound when nothing is
    pending."""
    change = _pending_of(client)
    _clear(client)
    session.flush()
    return [name for name in REVIEWED_FIELDS if name in change]


def _pending_of(client: Client) -> dict[str, Any]:
    if not client.pending_change:
        raise NotFound(f"application {client.client_id} has no pending change")
    return client.pending_change


def _clear(client: Client) -> None:
    client.pending_change = None
    client.change_proposed_at = None


def _items(name: str, value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value).split() if name in _WORD_SETS else [str(value)]
