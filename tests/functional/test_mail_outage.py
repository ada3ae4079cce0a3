"""With the SMTP server down, mail waits in the outbox with its error shown
by ``civicauth mail status``, and goes out when the server returns."""

from __future__ import annotations

import json
from contextlib import closing
from urllib.parse import quote

from sqlalchemy import select

from civicauth.mail.models import MailMessage
from tests.functional.pages import signed_in
from tests.mail_support import PASSWORD, USER, change_password, smtp_server, wait_until
from tests.support import free_port, run_civicauth

SMTP_PORT = free_port()
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{SMTP_PORT}",
    # Retries a moment apart, so the test sees the server's return soon.
    "CIVICAUTH_MAIL_RETRY_SECONDS": "0.2",
    "CIVICAUTH_MAIL_RETRY_MAX_SECONDS": "0.5",
    "CIVICAUTH_MAIL_MAX_ATTEMPTS": "1000",
}


civicauth = run_civicauth


def messages_to(ctx, email: str) -> list[MailMessage]:
    with ctx.db.read() as session:
        return list(session.scalars(select(MailMessage).where(MailMessage.to_address == email)))


def test_mail_waits_for_the_smtp_server_and_goes_out_when_it_returns(
    backend, server, ctx, make_user
):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        assert change_password(client, password) == 303
    wait_until(lambda: any(m.attempts >= 2 for m in messages_to(ctx, email)))

    status = civicauth(backend, "mail", "status")
    assert status.returncode == 0, status.stderr
    assert "pending 1, sent 0, failed 0" in status.stdout
    (line,) = [line for line in status.stdout.splitlines() if email in line]
    assert "password_changed" in line
    assert "next attempt" in line
    assert "ConnectionRefusedError" in line
    for shown in (status.stdout, server.log.read_text()):
        assert PASSWORD not in shown
        assert quote(PASSWORD, safe="") not in shown
    (failing,) = json.loads(civicauth(backend, "mail", "status", "--json").stdout)["failing"]
    assert failing["to"] == email
    assert failing["state"] == "pending"

    with smtp_server(SMTP_PORT, auth=True) as inbox:
        (mail,) = inbox.wait_for(email)
        wait_until(lambda: messages_to(ctx, email)[0].state == "sent")
    assert "password was changed" in mail["Subject"]
    assert "pending 0, sent 1, failed 0" in civicauth(backend, "mail", "status").stdout


def test_a_bad_smtp_url_is_one_clear_line(backend):
    result = civicauth(backend, "mail", "status", CIVICAUTH_SMTP_URL="http://mail.example.com")
    assert result.returncode == 2
    assert result.stderr == (
        "civicauth: error: invalid setting CIVICAUTH_SMTP_URL: "
        "URL scheme should be 'smtp' or 'smtps'\n"
    )
    flags = civicauth(backend, "mail", "status", CIVICAUTH_SMTP_URL="smtps://h?starttls=true")
    assert flags.returncode == 2
    assert "starttls=true is for smtp://" in flags.stderr
