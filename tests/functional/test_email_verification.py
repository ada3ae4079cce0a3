"""Email confirmation over real HTTP with a real SMTP server: sign-up (page
and API) mails a link that works once; its GET changes nothing and its POST
confirms; the profile says so; Password & Security sends it again."""

from __future__ import annotations

import uuid
from contextlib import closing

import httpx
import pytest

from tests.functional.oauth_support import form_of
from tests.functional.pages import csrf_of, signed_in
from tests.functional.recovery_support import expire_link, follow_form, link_in, token_of
from tests.mail_support import smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SERVICE = "Springfield Reports"
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_SERVICE_NAME": SERVICE,
    "CIVICAUTH_EMAIL_LINK_LIMIT_ACCOUNT": "2/hour",
}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


def new_email() -> str:
    return f"new-{uuid.uuid4().hex[:10]}@example.com"


def sign_up_on_the_page(server) -> tuple[httpx.Client, str]:
    email = new_email()
    client = server.client()
    fields = {
        "name": "New Neighbour",
        "email": email,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "_csrf_token": csrf_of(client.get("/signup").text),
    }
    assert client.post("/signup", data=fields).status_code == 303
    return client, email


def sign_up_by_api(server) -> str:
    email = new_email()
    body = {"name": "Api Neighbour", "email": email, "password": PASSWORD}
    answer = httpx.post(server.url + "/api/v2/users", json=body)
    assert answer.status_code == 201
    assert answer.json()["email_verified"] is False
    return email


def email_verified(server, email: str) -> bool:
    profile = httpx.get(server.url + "/api/v2/profile", auth=(email, PASSWORD)).json()
    assert profile["email"] == email
    verified: bool = profile["email_verified"]
    return verified


def confirm(client: httpx.Client, link: str) -> httpx.Response:
    return follow_form(client, link, "/email/verify")


def test_sign_up_on_the_page_mails_a_link_that_works_once(server, inbox):
    client, email = sign_up_on_the_page(server)
    assert f"We mailed a link to {email}" in client.get("/").text
    (mail,) = inbox.wait_for(email)
    assert mail["Subject"] == f"Confirm your email address for {SERVICE}"
    assert f"{email} is the email address of your {SERVICE} account" in mail.get_content()
    link = link_in(mail, "/email/verify")
    assert not email_verified(server, email)

    with closing(server.client()) as elsewhere:  # no session: a link works anywhere
        opened = elsewhere.get(link)
        assert opened.status_code == 200
        assert f"Confirm {email}" in opened.text
        assert not email_verified(server, email)  # the GET changed nothing
        done = confirm(elsewhere, link)
        assert done.status_code == 303
        assert done.headers["location"] == "/login"
        assert f"Your email address {email} is confirmed." in elsewhere.get("/login").text
        again = elsewhere.get(link)
    assert again.status_code == 400
    assert "it was used already" in again.text
    assert email_verified(server, email)
    page = client.get("/account/security").text
    assert 'data-testid="email-state">confirmed<' in page
    assert "Send the link again" not in page
    client.close()


def test_sign_up_by_api_mails_a_link(server, inbox):
    email = sign_up_by_api(server)
    link = link_in(inbox.wait_for(email)[0], "/email/verify")
    with closing(server.client()) as browser:
        assert confirm(browser, link).status_code == 303
    assert email_verified(server, email)


def test_a_posted_link_is_used_once(server, inbox):
    email = sign_up_by_api(server)
    link = link_in(inbox.wait_for(email)[0], "/email/verify")
    with closing(server.client()) as browser:
        action, hidden = form_of(browser.get(link).text, "/email/verify")
        assert browser.post(action, data=hidden).status_code == 303
        assert browser.post(action, data=hidden).status_code == 400


def test_an_expired_link_is_refused(server, inbox, ctx):
    email = sign_up_by_api(server)
    link = link_in(inbox.wait_for(email)[0], "/email/verify")
    expire_link(ctx, token_of(link))
    with closing(server.client()) as browser:
        answer = browser.get(link)
    assert answer.status_code == 400
    assert "Ask for a new link on Password &amp; Security" in answer.text
    assert not email_verified(server, email)


def test_the_security_page_sends_the_link_again_within_a_limit(server, inbox):
    client, email = sign_up_on_the_page(server)
    page = client.get("/account/security").text
    assert 'data-testid="email-state">not confirmed yet<' in page
    first = inbox.wait_for(email)[0]
    resend = "/account/security/email/verification"
    for _ in range(2):
        answer = client.post(resend, data={"_csrf_token": csrf_of(page)})
        assert answer.status_code == 303
    assert f"A new link is on its way to {email}." in client.get("/account/security").text
    mails = inbox.wait_for(email, 3)
    # Only the newest link works.
    with closing(server.client()) as browser:
        assert browser.get(link_in(first, "/email/verify")).status_code == 400
        assert browser.get(link_in(mails[1], "/email/verify")).status_code == 400
        limited = client.post(resend, data={"_csrf_token": csrf_of(page)})
        assert limited.status_code == 303
        assert "Too many confirmation mails" in client.get("/account/security").text
        assert confirm(browser, link_in(mails[2], "/email/verify")).status_code == 303
    assert email_verified(server, email)
    client.close()


def test_resending_needs_a_session_and_the_csrf_token(server):
    with closing(server.client()) as visitor:
        page = visitor.get("/login").text
        answer = visitor.post(
            "/account/security/email/verification", data={"_csrf_token": csrf_of(page)}
        )
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")
        assert visitor.post("/account/security/email/verification").status_code == 403


@pytest.mark.parametrize("token", ["", "cvl_short", "x" * 5000])
def test_bad_links_get_a_400_page(server, token):
    with closing(server.client()) as browser:
        assert browser.get("/email/verify", params={"token": token}).status_code == 400
        fields = {"token": token, "_csrf_token": csrf_of(browser.get("/login").text)}
        assert browser.post("/email/verify", data=fields).status_code == 400


def test_make_user_accounts_start_unconfirmed(server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        assert "not confirmed yet" in client.get("/account/security").text
    profile = httpx.get(server.url + "/api/v2/profile", auth=(email, password)).json()
    assert profile["email_verified"] is False
