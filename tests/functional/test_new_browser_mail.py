"""A sign-in from a browser the resident never signed in from before mails
them (to a real SMTP server); the same browser again, a new account's first
browser, and sign-up mail nothing of the kind."""

from __future__ import annotations

from contextlib import closing

import pytest
from sqlalchemy import func, select

from civicauth.mail.models import MailMessage
from civicauth.web.session_store import DEVICE_COOKIE
from tests.functional.pages import csrf_of, signed_in
from tests.mail_support import smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SERVICE = "Springfield Reports"
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_MAIL_FROM": "Springfield Reports <reports@springfield.example>",
    "CIVICAUTH_SERVICE_NAME": SERVICE,
}
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SUBJECT = f"New sign-in to your {SERVICE} account"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


def queued_notices(ctx, email) -> int:
    """New-browser mails queued for ``email``: the outbox row is written in
    the sign-in's own transaction, so this is exact once the answer is in."""
    with ctx.db.read() as db:
        query = select(func.count()).where(
            MailMessage.to_address == email, MailMessage.template == "new_browser_sign_in"
        )
        return int(db.scalar(query.select_from(MailMessage)))


def test_a_second_browser_is_news_and_the_same_browser_again_is_not(inbox, server, ctx, make_user):
    _, email, password = make_user(name="Rita Resident")
    with closing(signed_in(server, email, password)) as first:
        device = first.cookies.get(DEVICE_COOKIE)
        assert device
        # The same browser (its device cookie) signs in again: no news.
        with closing(server.client(cookies={DEVICE_COOKIE: device})) as again:
            fields = {"email": email, "password": password}
            token = csrf_of(again.get("/login").text)
            assert again.post("/login", data={**fields, "_csrf_token": token}).status_code == 303
    assert queued_notices(ctx, email) == 0
    with closing(server.client(headers={"User-Agent": FIREFOX})) as other:
        token = csrf_of(other.get("/login").text)
        fields = {"email": email, "password": password, "_csrf_token": token}
        assert other.post("/login", data=fields).status_code == 303

    (mail, *_) = [m for m in inbox.wait_for(email) if m["Subject"] == SUBJECT]
    text = mail.get_content()
    assert "Hello Rita Resident" in text
    assert f"{SERVICE} account ({email})" in text
    assert "Browser: Firefox on Windows" in text
    assert "Address: 127.0.0.1" in text
    assert "/account/security" in text
    assert f"sent by {SERVICE} to {email}" in text
    assert queued_notices(ctx, email) == 1


def test_sign_up_mails_no_new_browser_notice(inbox, server, ctx):
    email = "newcomer@example.com"
    with closing(server.client()) as client:
        token = csrf_of(client.get("/signup").text)
        fields = {
            "name": "New Comer",
            "email": email,
            "password": "a long enough password",
            "password_confirmation": "a long enough password",
            "_csrf_token": token,
        }
        assert client.post("/signup", data=fields).status_code == 303
        assert client.get("/account/security").status_code == 200
    assert queued_notices(ctx, email) == 0
