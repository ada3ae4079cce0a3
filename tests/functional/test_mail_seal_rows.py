"""The outbox's seal, row by row: a row written before sealing still sends;
a row sealed under another secret key (or moved to another address) fails
at once with a clear error that ``civicauth mail status`` shows, while the
sender sends the others, and sends once the old key is back; ``enqueue`` without a seal refuses."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select, update

from civicauth.db import Database
from civicauth.mail import enqueue
from civicauth.mail.models import MailMessage
from civicauth.mail.seal import MailSeal, SealBroken
from civicauth.mail.sender import MailSender
from civicauth.settings import Settings
from tests.mail_support import smtp_server
from tests.support import free_port
from tests.support import run_civicauth as civicauth

OLD_KEY = "the secret key before it was rotated"
LINK = "http://127.0.0.1:8000/password/reset?token=cvl_not-a-real-token-but-a-secret"


def address() -> str:
    return f"seal-{uuid.uuid4().hex[:10]}@example.com"


def settings_for(ctx, port: int) -> Settings:
    return Settings(
        database_url=ctx.settings.database_url,
        var_dir=ctx.settings.var_dir,
        smtp_url=f"smtp://127.0.0.1:{port}",
    )


def add_row(ctx, to: str, template: str, context: dict[str, str]) -> int:
    """A row as some other writer left it: not through ``enqueue``."""
    with ctx.db.transaction() as session:
        message = MailMessage(to_address=to, template=template, context=context)
        session.add(message)
        session.flush()
        return message.id


def queue(ctx, to: str, **context: str) -> int:
    with ctx.db.transaction() as session:
        message = enqueue(session, to, "password_reset", **context)
        session.flush()
        return message.id


def stored(ctx, message_id: int) -> MailMessage:
    with ctx.db.read() as session:
        return session.get_one(MailMessage, message_id)


def test_a_row_queued_before_sealing_still_sends(ctx):
    port, to = free_port(), address()
    message_id = add_row(ctx, to, "password_reset", {"name": "Legacy Lee", "link": LINK})
    with smtp_server(port) as inbox:
        assert MailSender(ctx.db, settings_for(ctx, port)).send_due() >= 1
        (mail,) = inbox.wait_for(to)
    assert LINK in mail.get_content()
    assert "Legacy Lee" in mail.get_content()
    sent = stored(ctx, message_id)
    assert (sent.state, sent.context) == ("sent", {})


def test_a_row_sealed_under_another_key_fails_and_the_others_send(backend, ctx):
    port = free_port()
    rotated_to, moved_from, moved_to, good_to = address(), address(), address(), address()
    other_key = MailSeal(OLD_KEY)
    context = {"name": "Rotated Rae", "link": LINK}
    sealed = other_key.seal(context, to=rotated_to, template="password_reset")
    rotated = add_row(ctx, rotated_to, "password_reset", sealed)
    # Sealed under the right key for one address, then moved to another.
    moved = queue(ctx, moved_from, name="Moved Mo", link=LINK)
    with ctx.db.transaction() as session:
        session.execute(
            update(MailMessage).where(MailMessage.id == moved).values(to_address=moved_to)
        )
    good = queue(ctx, good_to, name="Good Gil", link=LINK)

    with smtp_server(port) as inbox:
        sent = civicauth(
            backend,
            "mail",
            "send-pending",
            "--now",
            CIVICAUTH_SMTP_URL=f"smtp://127.0.0.1:{port}",
        )
        assert sent.returncode == 0, sent.stderr
        (mail,) = inbox.wait_for(good_to)
        assert not [m for m in inbox.messages if m["To"] in (rotated_to, moved_to)]
    assert LINK in mail.get_content()
    assert stored(ctx, good).state == "sent"
    for message_id in (rotated, moved):
        failed = stored(ctx, message_id)
        assert (failed.state, failed.attempts) == ("failed", 1)
        assert "sealed under another secret key" in (failed.last_error or "")

    status = civicauth(backend, "mail", "status")
    as_json = civicauth(backend, "mail", "status", "--json")
    assert status.returncode == as_json.returncode == 0, status.stderr + as_json.stderr
    (line,) = [line for line in status.stdout.splitlines() if rotated_to in line]
    assert "failed" in line
    assert "sealed under another secret key" in line
    failing = {m["id"]: m for m in json.loads(as_json.stdout)["failing"]}
    assert "sealed under another secret key" in failing[rotated]["last_error"]
    assert failing[moved]["state"] == "failed"
    for shown in (status.stdout, as_json.stdout, sent.stdout, sent.stderr):
        assert "token=" not in shown
        assert 'sealed":' not in shown

    # Failed for good: the next pass attempts nothing (no loop on it).
    assert MailSender(ctx.db, settings_for(ctx, free_port())).send_due(ignore_backoff=True) == 0

    # With the old key back, the operator's retry sends what it sealed.
    with smtp_server(port) as inbox:
        retried = civicauth(
            backend,
            "mail",
            "send-pending",
            "--now",
            "--retry-failed",
            CIVICAUTH_SMTP_URL=f"smtp://127.0.0.1:{port}",
            CIVICAUTH_SECRET_KEY=OLD_KEY,
        )
        assert retried.returncode == 0, retried.stderr
        (late,) = inbox.wait_for(rotated_to)
    assert LINK in late.get_content()
    assert stored(ctx, rotated).state == "sent"
    assert stored(ctx, moved).state == "failed"  # moved rows never open


def test_enqueue_without_a_seal_refuses_and_stores_nothing(ctx):
    to = address()
    unsealed = Database(ctx.settings.database_url)
    try:
        with pytest.raises(RuntimeError, match="no mail seal"), unsealed.transaction() as session:
            enqueue(session, to, "password_reset", name="Plain Pat", link=LINK)
        with pytest.raises(RuntimeError, match="no mail seal"):
            MailSender(unsealed, ctx.settings)
    finally:
        unsealed.dispose()
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).where(MailMessage.to_address == to)) == 0


def test_each_seal_is_fresh_and_opens_only_under_its_key(ctx):
    to = address()
    first = queue(ctx, to, name="Twice Tam", link=LINK)
    second = queue(ctx, to, name="Twice Tam", link=LINK)
    sealed = [stored(ctx, message_id).context for message_id in (first, second)]
    assert sealed[0] != sealed[1]  # a new nonce each time
    ours = MailSeal(ctx.settings.resolved_secret_key())
    assert ours.open(sealed[0], to=to, template="password_reset") == {
        "name": "Twice Tam",
        "link": LINK,
    }
    with pytest.raises(SealBroken):
        MailSeal("another key").open(sealed[0], to=to, template="password_reset")
    with pytest.raises(SealBroken):
        ours.open(sealed[0], to=to, template="verify_email")
    with pytest.raises(SealBroken):
        ours.open({"sealed": "not base64!"}, to=to, template="password_reset")
