"""An operator's decisions on an application: approve, reject, suspend,
reinstate, and approve or reject a change waiting for review.

One service for both callers, the console (``/admin/apps``) and the
command line (``civicauth apps approve`` / ``reject-change``). Each
decision is recorded in the security log with the operator's id (None from
the command line, where no account is signed in) and mailed to the app's
technical and administrative contacts; a rejection's or suspension's mail
carries the reason. Services never commit: the request edge owns the
transaction, so the mail is queued (civicauth/mail/outbox.py) only if the
decision is.

What each state means for the app's use is decided elsewhere, from
``Client.status`` alone: ``Client.usable_by`` for its flows, the API
request resolver for its tokens (auth/resolver.py). A decision that makes
the app's tokens stop or start working says so (``Decision.changes_tokens``):
once it is committed, its caller tells every process to drop what it cached
of them (``AppContext.forget_client``; from the command line, over Redis).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.accounts.operators import clean_reason
from civicauth.clients import review
from civicauth.clients.models import APPROVED, PENDING, REJECTED, SUSPENDED, Client
from civicauth.db import utcnow
from civicauth.errors import CivicAuthError
from civicauth.mail.outbox import enqueue


class NotNow(CivicAuthError):
    """The decision does not apply to the app as it is now (say, reinstating
    an app that is not suspended)."""


@dataclass(frozen=True)
class Decision:
    """What was decided: the security log's event, and a sentence for the
    operator (the page's message, the command's output)."""

    event: str
    summary: str
    # The reviewed fields a change decision concerned.
    fields: tuple[str, ...] = ()
    # The app's tokens stop or start working (a rejection, a suspension, a
    # reinstatement): every process must forget what it cached of them.
    changes_tokens: bool = False


def contacts_of(client: Client) -> list[tuple[str, str]]:
    """(name, email) of the technical and administrative contacts, once
    each when both are the same address."""
    found = {
        client.technical_contact_email.lower(): (
            client.technical_contact_name,
            client.technical_contact_email,
        )
    }
    found.setdefault(
        client.admin_contact_email.lower(), (client.admin_contact_name, client.admin_contact_email)
    )
    return list(found.values())


def _record(
    session: Session,
    client: Client,
    by: User | None,
    event: str,
    *,
    reason: str = "",
    address: str | None = None,
    detail: str = "",
) -> None:
    client.reviewed_at, client.reviewed_by_id = utcnow(), by.id if by else None
    if event in ("app_rejected", "app_suspended"):
        client.review_reason = reason
    record_event(
        session,
        event,
        user_id=by.id if by else None,
        client_id=client.client_id,
        address=address,
        detail=detail or reason,
        operator_id=by.id if by else None,
    )
    for name, email in contacts_of(client):
        enqueue(
            session,
            email,
            event,
            name=name,
            app_name=client.name,
            organization=client.organization,
            client_id=client.client_id,
            reason=reason or "(none given)",
        )
    session.flush()


def _label(client: Client) -> str:
    return f"{client.name} ({client.organization}), client_id {client.client_id}"


def approve(
    session: Session, client: Client, by: User | None, *, address: str | None = None
) -> Decision:
    """Approve the change waiting on the app if there is one (the app's
    status stays), else the app itself when it waits for review. Raises
    NotNow otherwise."""
    if client.pending_change:
        fields = tuple(review.approve_change(session, client))
        listed = ", ".join(fields)
        _record(session, client, by, "app_change_approved", address=address, detail=listed)
        summary = f"approved the change of {listed} of {_label(client)}: it is live"
        return Decision("app_change_approved", summary, fields)
    if client.status == REJECTED:
        raise NotNow(
            f"{_label(client)} was rejected: it can be approved once its developer edits it"
        )
    if client.status != PENDING:
        raise NotNow(f"{_label(client)} is {client.status}: there is nothing to approve")
    client.status, client.approved_at, client.review_reason = APPROVED, utcnow(), ""
    _record(session, client, by, "app_approved", address=address)
    return Decision("app_approved", f"approved {_label(client)}")


def reject(
    session: Session, client: Client, by: User | None, reason: str, *, address: str | None = None
) -> Decision:
    """Reject an app waiting for review: nobody can use it, its developer
    included, until it is edited (which sends it back to review) and
    approved. Raises ValidationFailed without a reason, NotNow for an app
    not waiting for review."""
    reason = clean_reason(reason)
    if client.status != PENDING:
        raise NotNow(
            f"{_label(client)} is {client.status}: only an app waiting for review is rejected"
        )
    client.status = REJECTED
    _record(session, client, by, "app_rejected", reason=reason, address=address)
    # Its developer's own tokens, good while it was pending, stop.
    return Decision("app_rejected", f"rejected {_label(client)}", changes_tokens=True)


def reject_change(
    session: Session,
    client: Client,
    by: User | None,
    reason: str = "",
    *,
    address: str | None = None,
) -> Decision:
    """Drop the change waiting on the app; the approved version stays.
    Raises NotFound when nothing waits."""
    reason = clean_reason(reason, required=False)
    fields = tuple(review.reject_change(session, client))
    listed = ", ".join(fields)
    detail = f"{listed}: {reason}" if reason else listed
    _record(
        session, client, by, "app_change_rejected", reason=reason, address=address, detail=detail
    )
    summary = f"rejected the change of {listed} of {_label(client)}: the approved version stays"
    return Decision("app_change_rejected", summary, fields)


def suspend(
    session: Session, client: Client, by: User | None, reason: str, *, address: str | None = None
) -> Decision:
    """Suspend an approved app: its flows are refused, and so are its tokens
    (``401 invalid_token``) while it is suspended, in every process as soon
    as the caller announces it (``changes_tokens``), within the credential
    cache's freshness in any case. Nothing is revoked: reinstating it makes
    the tokens that have not expired work again. Raises ValidationFailed
    without a reason, NotNow for an app that is not approved."""
    reason = clean_reason(reason)
    if client.status != APPROVED:
        raise NotNow(f"{_label(client)} is {client.status}: only an approved app is suspended")
    client.status = SUSPENDED
    _record(session, client, by, "app_suspended", reason=reason, address=address)
    return Decision("app_suspended", f"suspended {_label(client)}", changes_tokens=True)


def reinstate(
    session: Session, client: Client, by: User | None, *, address: str | None = None
) -> Decision:
    """Make a suspended app approved again, without a new review. Raises
    NotNow for an app that is not suspended."""
    if client.status != SUSPENDED:
        raise NotNow(f"{_label(client)} is {client.status}: only a suspended app is reinstated")
    client.status, client.review_reason = APPROVED, ""
    _record(session, client, by, "app_reinstated", address=address)
    return Decision("app_reinstated", f"reinstated {_label(client)}", changes_tokens=True)
