"""Forgot password -> mail -> reset, over real HTTP with a real SMTP server:
the link works once, for 30 minutes, and not after a password change; the
new password ends every session and the old password's Basic use at once;
an unknown address gets the same answer and no mail."""

from __future__ import annotations

import uuid
from contextlib import closing

import httpx
import pytest
from sqlalchemy import select

from civicauth.accounts.account_tokens import AccountToken
from civicauth.accounts.web_sessions import WebSession
from civicauth.mail.models import MailMessage
from civicauth.tokens import secrets
from tests.functional.oauth_support import form_of
from tests.functional.pages import csrf_of, signed_in
from tests.functional.recovery_support import (
    ask_for_reset,
    expire_link,
    follow_form,
    link_in,
    token_of,
    without_secrets,
)
from tests.mail_support import change_password, smtp_server
from tests.support import free_port
from tests.token_support import forged

SMTP_PORT = free_port()
SERVICE = "Springfield Reports"
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_SERVICE_NAME": SERVICE,
    "CIVICAUTH_PASSWORD_RESET_LIMIT_EMAIL": "3/hour",
    "CIVICAUTH_PASSWORD_RESET_LIMIT_ADDRESS": "1000/hour",
}
NEW = "a brand new long password"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


def reset_link(server, inbox, email: str, count: int = 1) -> str:
    with closing(server.client()) as client:
        assert ask_for_reset(client, email).status_code == 200
    mail = inbox.wait_for(email, count)[-1]
    assert mail["Subject"] == f"Reset your {SERVICE} password"
    return link_in(mail, "/password/reset")


def set_password(client: httpx.Client, link: str, password: str = NEW) -> httpx.Response:
    return follow_form(
        client, link, "/password/reset", password=password, password_confirmation=password
    )


def test_a_reset_ends_every_session_and_the_old_passwords_basic_use(server, inbox, ctx, make_user):
    user_id, email, old = make_user(name="Forgetful Fran")
    api = server.url + "/api/v2/profile"
    old_session = signed_in(server, email, old)
    assert httpx.get(api, auth=(email, old)).status_code == 200  # now cached

    link = reset_link(server, inbox, email)
    assert "30 minutes" in inbox.wait_for(email)[0].get_content()
    with closing(server.client()) as browser:
        done = set_password(browser, link)
        assert done.status_code == 303
        assert done.headers["location"] == "/login"
        assert "Your password is reset" in browser.get("/login").text

    with ctx.db.read() as session:  # ended on the server, not only by the stamp
        rows = session.scalars(select(WebSession).where(WebSession.user_id == user_id)).all()
    assert rows == []
    assert httpx.get(api, auth=(email, old)).status_code == 401
    assert httpx.get(api, auth=(email, NEW)).json()["email"] == email
    assert old_session.get("/account/security").headers["location"].startswith("/login")
    notice = inbox.wait_for(email, 2)[1]
    assert notice["Subject"] == f"Your {SERVICE} password was reset"
    assert f"your {SERVICE} account ({email}) was reset" in notice.get_content()
    signed_in(server, email, NEW).close()
    old_session.close()


def test_the_link_is_stored_only_as_a_digest(server, inbox, ctx, make_user):
    _, email, _ = make_user()
    token = token_of(reset_link(server, inbox, email))
    with ctx.db.read() as session:
        rows = list(session.scalars(select(AccountToken).where(AccountToken.email == email)))
    assert [row.token_digest for row in rows] == [secrets.digest(token)]
    assert token not in repr([vars(row) for row in rows])


def test_an_unknown_address_gets_the_same_answer_and_no_mail(server, inbox, ctx, make_user):
    _, known, _ = make_user()
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    with closing(server.client()) as client:
        for_unknown = ask_for_reset(client, unknown)
    with closing(server.client()) as client:
        for_known = ask_for_reset(client, known)
    assert for_unknown.status_code == for_known.status_code == 200
    assert without_secrets(for_unknown.text, unknown) == without_secrets(for_known.text, known)
    assert "a mail with a link" in for_known.text
    inbox.wait_for(known)
    assert not [m for m in inbox.messages if m["To"] == unknown]
    with ctx.db.read() as session:
        queued = session.scalars(select(MailMessage).where(MailMessage.to_address == unknown))
        assert list(queued) == []


def test_the_link_works_once(server, inbox, make_user):
    _, email, _ = make_user()
    link = reset_link(server, inbox, email)
    with closing(server.client()) as browser:
        assert set_password(browser, link).status_code == 303
        again = browser.get(link)
    assert again.status_code == 400
    assert "Ask for a new link" in again.text
    assert 'href="/password/forgot"' in again.text


def test_a_used_link_posted_again_changes_nothing(server, inbox, make_user):
    _, email, _ = make_user()
    link = reset_link(server, inbox, email)
    with closing(server.client()) as browser:
        page = browser.get(link)
        assert set_password(browser, link).status_code == 303
        action, hidden = form_of(page.text, "/password/reset")
        third = "third long password"
        replay = browser.post(
            action, data={**hidden, "password": third, "password_confirmation": third}
        )
    assert replay.status_code == 400
    api = server.url + "/api/v2/profile"
    assert httpx.get(api, auth=(email, NEW)).status_code == 200


def test_an_expired_link_is_refused(server, inbox, ctx, make_user):
    _, email, password = make_user()
    link = reset_link(server, inbox, email)
    expire_link(ctx, token_of(link))
    with closing(server.client()) as browser:
        assert browser.get(link).status_code == 400
    assert httpx.get(server.url + "/api/v2/profile", auth=(email, password)).status_code == 200


def test_a_password_change_kills_the_link(server, inbox, make_user):
    _, email, password = make_user()
    link = reset_link(server, inbox, email)
    with closing(signed_in(server, email, password)) as client:
        assert change_password(client, password) == 303
    with closing(server.client()) as browser:
        answer = browser.get(link)
    assert answer.status_code == 400
    assert "the password was changed since" in answer.text


def test_a_newer_link_replaces_the_older(server, inbox, make_user):
    _, email, _ = make_user()
    first = reset_link(server, inbox, email)
    second = reset_link(server, inbox, email, count=2)
    with closing(server.client()) as browser:
        assert browser.get(first).status_code == 400
        assert set_password(browser, second).status_code == 303


def test_a_bad_new_password_keeps_the_link(server, inbox, make_user):
    _, email, _ = make_user()
    link = reset_link(server, inbox, email)
    with closing(server.client()) as browser:
        refused = set_password(browser, link, "short")
        assert refused.status_code == 422
        assert "too short" in refused.text
        assert set_password(browser, link).status_code == 303


@pytest.mark.parametrize("token", ["", "nonsense", forged(secrets.Kind.ACCOUNT_LINK)])
def test_unknown_or_malformed_links_get_a_400_page(server, token):
    with closing(server.client()) as browser:
        answer = browser.get("/password/reset", params={"token": token})
    assert answer.status_code == 400
    assert "Ask for a new link" in answer.text


def test_a_posted_unknown_link_gets_the_400_page(server):
    with closing(server.client()) as browser:
        page = browser.get("/password/forgot")
        fields = {"token": "cvl_nope", "password": NEW, "password_confirmation": NEW}
        answer = browser.post("/password/reset", data={**fields, "_csrf_token": csrf_of(page.text)})
    assert answer.status_code == 400


def test_requests_for_one_address_are_limited(server, inbox, make_user):
    _, email, _ = make_user()
    with closing(server.client()) as client:
        answers = [ask_for_reset(client, email) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "Too many reset links" in answers[-1].text
    assert len(inbox.wait_for(email, 3)) == 3


def test_an_unknown_address_is_limited_alike(server):
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    with closing(server.client()) as client:
        answers = [ask_for_reset(client, unknown) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_a_malformed_address_is_a_422(server):
    with closing(server.client()) as client:
        answer = ask_for_reset(client, "not an address")
    assert answer.status_code == 422
    assert "is not a valid email address" in answer.text


def test_the_sign_in_page_links_to_the_forgot_page(server):
    with closing(server.client()) as client:
        assert 'href="/password/forgot">Forgot your password?' in client.get("/login").text
