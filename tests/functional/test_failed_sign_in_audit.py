"""A failed sign-in does the same work whether or not the email has an
account: argon2 and one audit row (``user_id`` null for an unknown email),
so neither the time taken nor what is written tells the two apart."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from civicauth.accounts.models import AuditEvent
from tests.functional.pages import csrf_of


def failures(ctx, event: str) -> list[tuple[int | None, str | None]]:
    with ctx.db.read() as session:
        query = select(AuditEvent.user_id, AuditEvent.address).where(AuditEvent.event == event)
        return [tuple(row) for row in session.execute(query.order_by(AuditEvent.id))]


def page_attempt(server, email: str) -> int:
    with server.client() as client:
        token = csrf_of(client.get("/login").text)
        data = {"email": email, "password": "not the password", "_csrf_token": token}
        return client.post("/login", data=data).status_code


def basic_attempt(server, email: str) -> int:
    return httpx.get(server.url + "/api/v2/profile", auth=(email, "not the password")).status_code


@pytest.mark.parametrize(
    ("attempt", "event", "status"),
    [(page_attempt, "sign_in_failed", 400), (basic_attempt, "basic_auth_failed", 401)],
    ids=["sign-in-page", "basic"],
)
def test_known_and_unknown_emails_each_write_one_failure_row(
    server, ctx, make_user, attempt, event, status
):
    user_id, email, _ = make_user()
    before = failures(ctx, event)
    assert attempt(server, email) == status
    assert attempt(server, f"nobody-{uuid.uuid4().hex[:8]}@example.com") == status
    assert failures(ctx, event)[len(before) :] == [(user_id, "127.0.0.1"), (None, "127.0.0.1")]
