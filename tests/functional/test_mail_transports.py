"""The sender against a real SMTP server (plain with AUTH, STARTTLS,
implicit TLS), the file outbox, retries, and the outbox's transactions."""

from __future__ import annotations

import logging
import threading
import uuid
from email import message_from_bytes, policy
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from civicauth.db import Database
from civicauth.mail import enqueue
from civicauth.mail.models import MailMessage
from civicauth.mail.outbox import counts, troubled
from civicauth.mail.seal import session_info
from civicauth.mail.sender import MailSender
from civicauth.settings import Settings
from tests.mail_support import PASSWORD, USER, self_signed, smtp_server
from tests.support import free_port, run_civicauth

NAME = "Rita Resident"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("certs"))


def settings_for(ctx, **values) -> Settings:
    base = {"database_url": ctx.settings.database_url, "var_dir": ctx.settings.var_dir}
    return Settings(**base, **values)


def address() -> str:
    return f"mail-{uuid.uuid4().hex[:10]}@example.com"


def queue(ctx, to: str, template: str = "password_changed", **context) -> int:
    with ctx.db.transaction() as session:
        message = enqueue(session, to, template, **({"name": NAME} | context))
        session.flush()
        return message.id


def stored(ctx, message_id: int) -> MailMessage:
    with ctx.db.read() as session:
        return session.get_one(MailMessage, message_id)


def test_plain_smtp_with_auth(ctx):
    port, to = free_port(), address()
    message_id = queue(ctx, to)
    url = f"smtp://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"
    with smtp_server(port, auth=True) as inbox:
        sender = MailSender(ctx.db, settings_for(ctx, smtp_url=url, service_name="Springfield"))
        assert sender.send_due() >= 1
        (mail,) = inbox.wait_for(to)
    # The password in the URL is percent-decoded before AUTH.
    assert inbox.logins == [(USER, PASSWORD)]
    assert mail["From"] == "civicauth <no-reply@localhost>"
    assert mail["Subject"] == "Your Springfield password was changed"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(("plain",)).get_content()
    assert f"Hello {NAME}" in body
    assert f"This mail was sent by Springfield to {to}." in body
    sent = stored(ctx, message_id)
    assert (sent.state, sent.attempts, sent.context) == ("sent", 1, {})


def test_starttls_with_a_trusted_certificate(ctx, certs):
    port, to = free_port(), address()
    queue(ctx, to)
    url = f"smtp://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}?starttls=true"
    with smtp_server(port, mode="starttls", auth=True, certs=certs) as inbox:
        MailSender(ctx.db, settings_for(ctx, smtp_url=url, smtp_ca_file=certs[0])).send_due()
        (mail,) = inbox.wait_for(to)
    assert inbox.logins == [(USER, PASSWORD)]
    assert mail["To"] == to


def test_implicit_tls(ctx, certs):
    port, to = free_port(), address()
    queue(ctx, to)
    with smtp_server(port, mode="tls", certs=certs) as inbox:
        url = f"smtps://127.0.0.1:{port}"
        MailSender(ctx.db, settings_for(ctx, smtp_url=url, smtp_ca_file=certs[0])).send_due()
        (mail,) = inbox.wait_for(to)
    assert mail["To"] == to


def test_an_untrusted_certificate_is_refused_and_retried(ctx, certs):
    port, to = free_port(), address()
    message_id = queue(ctx, to)
    with smtp_server(port, mode="starttls", certs=certs) as inbox:
        settings = settings_for(ctx, smtp_url=f"smtp://127.0.0.1:{port}?starttls=true")
        MailSender(ctx.db, settings).send_due()
        assert inbox.messages == []
    waiting = stored(ctx, message_id)
    assert waiting.state == "pending"
    assert "SSLCertVerificationError" in (waiting.last_error or "")
    assert waiting.next_attempt_at > waiting.last_attempt_at


def test_a_wrong_password_is_an_error_that_never_shows_the_password(ctx, caplog):
    port, to = free_port(), address()
    message_id = queue(ctx, to)
    url = f"smtp://{USER}:not-the-secret-{port}@127.0.0.1:{port}"
    with smtp_server(port, auth=True), caplog.at_level(logging.INFO, "civicauth.mail"):
        MailSender(ctx.db, settings_for(ctx, smtp_url=url)).send_due()
    waiting = stored(ctx, message_id)
    assert "SMTPAuthenticationError" in (waiting.last_error or "")
    assert f"not-the-secret-{port}" not in (waiting.last_error or "") + caplog.text


def test_file_outbox_writes_an_eml_file_and_logs_its_path(ctx, caplog):
    to = address()
    queue(ctx, to, "personal_token_created", **TOKEN_CONTEXT)
    with caplog.at_level(logging.INFO, "civicauth.mail"):
        MailSender(ctx.db, settings_for(ctx)).send_due()
    (line,) = [r.getMessage() for r in caplog.records if to in r.getMessage()]
    path = line.rsplit("sent to ", 1)[1]
    outbox = (ctx.settings.var_dir / "mail").resolve()
    assert path.startswith(str(outbox))
    assert path.endswith(".eml")
    with open(path, "rb") as file:
        mail = message_from_bytes(file.read(), policy=policy.default)
    assert mail["To"] == to
    assert "cvp_abcdefgh" in mail.get_body(("plain",)).get_content()
    assert not list(outbox.glob("*.part"))


TOKEN_CONTEXT = {
    "token_name": "deploy script",
    "token_prefix": "cvp_abcdefgh",
    "scopes": "public write",
    "expires": "never",
}


def test_backoff_then_failed_and_still_listed(ctx):
    to = address()
    message_id = queue(ctx, to)
    settings = settings_for(
        ctx,
        smtp_url=f"smtp://127.0.0.1:{free_port()}",
        mail_max_attempts=2,
        mail_retry_seconds=0.01,
    )
    sender = MailSender(ctx.db, settings)
    sender.send_due(ignore_backoff=True)
    first = stored(ctx, message_id)
    assert (first.state, first.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in (first.last_error or "")
    sender.send_due(ignore_backoff=True)
    assert stored(ctx, message_id).state == "failed"
    with ctx.db.read() as session:
        assert message_id in [m.id for m in troubled(session)]
        assert counts(session)["failed"] >= 1
    # Nothing is attempted again once the attempts are spent.
    assert sender.send_due(ignore_backoff=True) == 0


def test_a_rolled_back_transaction_queues_nothing(ctx):
    to = address()

    def action_that_fails() -> None:
        with ctx.db.transaction() as session:
            enqueue(session, to, "password_changed", name=NAME)
            session.flush()
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        action_that_fails()
    with ctx.db.read() as session:
        query = select(func.count()).where(MailMessage.to_address == to)
        assert session.scalar(query) == 0


@pytest.mark.parametrize(
    ("to", "template", "context", "error"),
    [
        ("a@example.com, b@example.com", "password_changed", {"name": "x"}, "exactly one"),
        ("a@example.com\r\nBcc: b@example.com", "password_changed", {"name": "x"}, "one"),
        ("a@example.com", "no_such_mail", {}, "unknown mail template"),
        ("a@example.com", "password_changed", {}, "needs a value for name"),
    ],
)
def test_enqueue_refuses_what_could_never_be_sent(ctx, to, template, context, error):
    with pytest.raises(ValueError, match=error), ctx.db.transaction() as session:
        enqueue(session, to, template, **context)


def test_two_senders_never_send_one_message_twice(ctx):
    port, to = free_port(), address()
    ids = {queue(ctx, to) for _ in range(12)}
    with smtp_server(port) as inbox:
        settings = settings_for(ctx, smtp_url=f"smtp://127.0.0.1:{port}")
        info = session_info(ctx.settings)
        databases = [Database(settings.database_url, info=info) for _ in range(2)]
        senders = [MailSender(db, settings) for db in databases]
        start = threading.Barrier(2)

        def run(sender: MailSender) -> None:
            start.wait()
            sender.send_due()

        threads = [threading.Thread(target=run, args=(s,)) for s in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for db in databases:
            db.dispose()
        received = inbox.wait_for(to, count=len(ids))
    message_ids = [m["Message-ID"] for m in received]
    assert len(message_ids) == len(set(message_ids)) == len(ids)


def test_send_pending_sends_the_due_mail_now(backend, ctx):
    port, to = free_port(), address()
    queue(ctx, to)
    url = f"smtp://127.0.0.1:{port}"
    with smtp_server(port) as inbox:
        result = run_civicauth(backend, "mail", "send-pending", "--now", CIVICAUTH_SMTP_URL=url)
        assert result.returncode == 0, result.stderr
        inbox.wait_for(to)
    assert result.stdout.startswith("attempted ")
    assert ", sent " in result.stdout
