"""An operator's decisions: which state each applies to, what it records,
and who is mailed (both contacts, once each)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civicauth.accounts.models import AuditEvent
from civicauth.clients import decisions
from civicauth.clients.models import Client
from civicauth.clients.services import Registration, register_client
from civicauth.errors import ValidationFailed
from civicauth.mail.models import MailMessage
from tests.functional.oauth_support import APP_DETAILS


def app_in(session, status: str, **changes: object) -> Client:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {**APP_DETAILS, "redirect_uris": ["https://a.example/cb"]}
    client, _ = register_client(session, Registration(**{**values, **changes}), status=status)  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize(
    ("status", "decide", "after", "changes_tokens"),
    [
        # A pending app's tokens are its developer's, and stay good once approved.
        ("pending", lambda s, c: decisions.approve(s, c, None), "approved", False),
        ("pending", lambda s, c: decisions.reject(s, c, None, "spam"), "rejected", True),
        ("approved", lambda s, c: decisions.suspend(s, c, None, "abuse"), "suspended", True),
        ("suspended", lambda s, c: decisions.reinstate(s, c, None), "approved", True),
    ],
)
def test_each_decision_moves_its_state_records_and_mails(
    ctx, status, decide, after, changes_tokens
):
    with ctx.db.transaction() as session:
        client = app_in(session, status)
        before = session.scalar(select(MailMessage.id).order_by(MailMessage.id.desc()))
        decision = decide(session, client)
        assert client.status == after
        # Whether every process must forget the app's cached tokens.
        assert decision.changes_tokens is changes_tokens
        assert client.reviewed_at is not None
        new = session.scalars(
            select(MailMessage).where(MailMessage.id > (before or 0)).order_by(MailMessage.id)
        ).all()
        assert [(m.to_address, m.template) for m in new] == [
            ("tech@example.com", decision.event),
            ("admin@example.com", decision.event),
        ]
        logged = session.scalars(
            select(AuditEvent).where(AuditEvent.client_id == client.client_id)
        ).all()
        assert [e.event for e in logged] == [decision.event]


@pytest.mark.parametrize(
    ("status", "decide"),
    [
        ("approved", lambda s, c: decisions.approve(s, c, None)),
        ("rejected", lambda s, c: decisions.approve(s, c, None)),
        ("suspended", lambda s, c: decisions.approve(s, c, None)),
        ("approved", lambda s, c: decisions.reject(s, c, None, "no")),
        ("pending", lambda s, c: decisions.suspend(s, c, None, "no")),
        ("rejected", lambda s, c: decisions.suspend(s, c, None, "no")),
        ("approved", lambda s, c: decisions.reinstate(s, c, None)),
        ("pending", lambda s, c: decisions.reinstate(s, c, None)),
    ],
)
def test_a_decision_that_does_not_apply_changes_nothing(ctx, status, decide):
    with ctx.db.transaction() as session:
        client = app_in(session, status)
        with pytest.raises(decisions.NotNow):
            decide(session, client)
        assert client.status == status


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_reject_and_suspend_need_a_reason(ctx, reason):
    with ctx.db.transaction() as session:
        pending, approved = app_in(session, "pending"), app_in(session, "approved")
        with pytest.raises(ValidationFailed):
            decisions.reject(session, pending, None, reason)
        with pytest.raises(ValidationFailed):
            decisions.suspend(session, approved, None, reason)
        assert (pending.status, approved.status) == ("pending", "approved")


def test_the_reason_is_kept_and_cleared_on_approval(ctx):
    with ctx.db.transaction() as session:
        client = app_in(session, "approved")
        decisions.suspend(session, client, None, "  too   many\nrequests ")
        assert client.review_reason == "too many requests"
        decisions.reinstate(session, client, None)
        assert client.review_reason == ""


def test_one_mail_when_both_contacts_are_one_address(ctx):
    with ctx.db.transaction() as session:
        client = app_in(session, "pending", admin_contact_email="TECH@example.com")
        assert decisions.contacts_of(client) == [("Tess Tech", "tech@example.com")]
