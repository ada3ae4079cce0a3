"""Notices over real HTTP: what happens on "Password & Security" reaches a
real SMTP server as a plain-text mail naming the service and the address."""

from __future__ import annotations

import re
from contextlib import closing

import pytest

from tests.functional.pages import post_form, signed_in
from tests.mail_support import change_password, smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SERVICE = "Springfield Reports"
FROM = "Springfield Reports <reports@springfield.example>"
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_MAIL_FROM": FROM,
    "CIVICAUTH_SERVICE_NAME": SERVICE,
}
_NEW_TOKEN = re.compile(r'data-testid="new-token">([^<]+)<')


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


def create_token(client, name: str) -> str:
    fields = {"action": "create_token", "name": name, "expires_in": "30", "scopes": "public"}
    assert post_form(client, "/account/security", fields).status_code == 303
    match = _NEW_TOKEN.search(client.get("/account/security").text)
    assert match
    return match.group(1)


def test_a_changed_password_mails_a_notice(inbox, server, make_user):
    _, email, password = make_user(name="Rita Resident")
    with closing(signed_in(server, email, password)) as client:
        assert change_password(client, password) == 303
    (mail,) = inbox.wait_for(email)
    assert mail["To"] == email
    assert mail["From"] == FROM
    assert mail["Subject"] == f"Your {SERVICE} password was changed"
    assert mail.get_content_type() == "text/plain"
    body = mail.get_content()
    assert body.startswith("Hello Rita Resident,")
    assert f"the password of your {SERVICE} account ({email}) was changed" in body
    assert f"This mail was sent by {SERVICE} to {email}." in body


def test_a_refused_change_mails_nothing(inbox, server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        assert change_password(client, "not the password") == 422
        # A later notice arrives alone: the refused change queued nothing.
        create_token(client, "after the refusal")
    (mail,) = inbox.wait_for(email)
    assert "personal access token" in mail["Subject"]


def test_a_new_token_mails_a_notice_without_the_token(inbox, server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        secret = create_token(client, "nightly export")
    (mail,) = inbox.wait_for(email)
    assert mail["Subject"] == f"A personal access token was created for your {SERVICE} account"
    body = mail.get_content()
    assert '"nightly export"' in body
    assert secret[:12] in body
    assert secret not in mail.as_string()
    assert f"{server.url}/account/security" in body
