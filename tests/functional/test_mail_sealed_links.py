"""A reset link waiting out an SMTP outage is sealed in the outbox: its
token is nowhere in the ``mail_messages`` row, nor in ``civicauth mail
status``; the mail that goes out when the server returns has the working link."""

from __future__ import annotations

import json
from contextlib import closing

import httpx
from sqlalchemy import text

from tests.functional.recovery_support import ask_for_reset, follow_form, link_in, token_of
from tests.functional.test_mail_outage import messages_to
from tests.mail_support import smtp_server, wait_until
from tests.support import free_port
from tests.support import run_civicauth as civicauth

SMTP_PORT = free_port()
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    # Retries a moment apart, so the test sees the server's return soon.
    "CIVICAUTH_MAIL_RETRY_SECONDS": "0.2",
    "CIVICAUTH_MAIL_RETRY_MAX_SECONDS": "0.5",
    "CIVICAUTH_MAIL_MAX_ATTEMPTS": "1000",
}
NEW = "a password chosen after the outage"


def raw_rows(ctx, email: str) -> str:
    """Every column of the address's outbox rows as the database holds
    them, the JSON context as its stored text."""
    query = text(
        "SELECT *, CAST(context AS TEXT) AS context_text FROM mail_messages WHERE to_address = :to"
    )
    with ctx.db.read() as session:
        rows = session.execute(query, {"to": email}).mappings().all()
    assert rows
    return repr([dict(row) for row in rows])


def test_a_waiting_reset_link_is_sealed_and_works_once_sent(backend, server, ctx, make_user):
    _, email, _ = make_user()
    with closing(server.client()) as client:
        assert ask_for_reset(client, email).status_code == 200
    # The sender has tried and failed: the link waits in the outbox. (A claim
    # counts the attempt before it is made; its error is written after.)
    wait_until(lambda: any(m.last_error for m in messages_to(ctx, email)))
    (waiting,) = messages_to(ctx, email)
    assert (waiting.template, waiting.state) == ("password_reset", "pending")
    assert "ConnectionRefusedError" in (waiting.last_error or "")
    assert set(waiting.context) == {"sealed"}
    at_rest = raw_rows(ctx, email)
    assert "token=" not in at_rest
    assert "cvl_" not in at_rest
    assert "/password/reset" not in at_rest
    status = civicauth(backend, "mail", "status")
    as_json = civicauth(backend, "mail", "status", "--json")
    assert status.returncode == as_json.returncode == 0, status.stderr + as_json.stderr
    assert email in status.stdout
    (failing,) = [m for m in json.loads(as_json.stdout)["failing"] if m["to"] == email]
    assert "context" not in failing

    with smtp_server(SMTP_PORT) as inbox:
        (mail,) = inbox.wait_for(email)
        wait_until(lambda: messages_to(ctx, email)[0].state == "sent")
    link = link_in(mail, "/password/reset")
    token = token_of(link)
    for shown in (at_rest, status.stdout, as_json.stdout, server.log.read_text()):
        assert token not in shown
    assert messages_to(ctx, email)[0].context == {}

    with closing(server.client()) as browser:
        done = follow_form(
            browser, link, "/password/reset", password=NEW, password_confirmation=NEW
        )
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert httpx.get(server.url + "/api/v2/profile", auth=(email, NEW)).json()["email"] == email
