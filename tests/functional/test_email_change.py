"""Changing the email on Password & Security, over real HTTP with a real
SMTP server: it needs the current password; the link goes to the new
address and a notice to the old one; the change happens only when the new
address confirms; a taken address gets no working link."""

from __future__ import annotations

import uuid
from contextlib import closing

import httpx
import pytest

from tests.functional.pages import csrf_of, signed_in
from tests.functional.recovery_support import follow_form, link_in
from tests.mail_support import change_password, smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SERVICE = "Springfield Reports"
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_SERVICE_NAME": SERVICE,
}
HERE = "/account/security"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


def new_email() -> str:
    return f"moved-{uuid.uuid4().hex[:10]}@example.com"


def post_on_security(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    """POST one of the page's forms, with the page's CSRF token."""
    token = csrf_of(client.get(HERE).text)
    return client.post(path, data={**fields, "_csrf_token": token})


def ask_for_change(client: httpx.Client, new: str, password: str) -> httpx.Response:
    return post_on_security(client, HERE + "/email", new_email=new, email_password=password)


def profile(server, email: str, password: str) -> httpx.Response:
    return httpx.get(server.url + "/api/v2/profile", auth=(email, password))


def test_the_email_changes_only_when_the_new_address_confirms(server, inbox, make_user):
    _, old, password = make_user(name="Moving Mo")
    new = new_email()
    with closing(signed_in(server, old, password)) as client:
        answer = ask_for_change(client, new, password)
        assert answer.status_code == 303
        page = client.get(HERE).text
        assert f"We mailed a link to {new}. Your email stays {old}" in page
        assert 'data-testid="email-change-pending"' in page

        (notice,) = inbox.wait_for(old)
        assert notice["Subject"] == f"Your {SERVICE} email address is about to change"
        assert f"({old}) to {new}" in notice.get_content()
        assert "/email/verify" not in notice.get_content()
        (mail,) = inbox.wait_for(new)
        assert mail["Subject"] == f"Confirm your new email address for {SERVICE}"
        link = link_in(mail, "/email/verify")

        # Until the link is used, nothing changed.
        assert profile(server, old, password).json()["email"] == old
        assert profile(server, new, password).status_code == 401

        with closing(server.client()) as elsewhere:
            assert f"Confirm {new}" in elsewhere.get(link).text
            assert profile(server, old, password).status_code == 200
            assert follow_form(elsewhere, link, "/email/verify").status_code == 303
            assert elsewhere.get(link).status_code == 400

        body = profile(server, new, password).json()
        assert (body["email"], body["email_verified"]) == (new, True)
        assert profile(server, old, password).status_code == 401
        page = client.get(HERE).text  # this session goes on
        assert f"Your email is <strong>{new}</strong>" in page
        assert 'data-testid="email-change-pending"' not in page


def test_a_wrong_password_sends_nothing(server, inbox, make_user):
    _, old, password = make_user()
    new = new_email()
    with closing(signed_in(server, old, password)) as client:
        answer = ask_for_change(client, new, "not the password")
        assert answer.status_code == 422
        assert "Your password is incorrect" in answer.text
        assert f'value="{new}"' in answer.text
        # A later mail arrives alone: the refused change queued nothing.
        assert ask_for_change(client, new, password).status_code == 303
    assert len(inbox.wait_for(old)) == 1
    assert len(inbox.wait_for(new)) == 1


@pytest.mark.parametrize(
    ("new", "message"), [("not an address", "is not a valid email address"), ("", "can't be blank")]
)
def test_a_bad_address_is_a_422(server, make_user, new, message):
    _, old, password = make_user()
    with closing(signed_in(server, old, password)) as client:
        answer = ask_for_change(client, new, password)
    assert answer.status_code == 422
    assert f"New email address {message}" in answer.text.replace("&#39;", "'")


def test_the_current_address_is_a_422(server, make_user):
    _, old, password = make_user()
    with closing(signed_in(server, old, password)) as client:
        answer = ask_for_change(client, old.upper(), password)
    assert answer.status_code == 422
    assert "is already the email of your account" in answer.text


def test_a_taken_address_looks_the_same_but_gets_no_link(server, inbox, make_user):
    _, old, password = make_user()
    _, taken, _ = make_user()
    with closing(signed_in(server, old, password)) as client:
        answer = ask_for_change(client, taken, password)
        assert answer.status_code == 303
        page = client.get(HERE).text
    assert f"We mailed a link to {taken}. Your email stays {old}" in page
    assert len(inbox.wait_for(old)) == 1
    (mail,) = inbox.wait_for(taken)
    assert mail["Subject"] == f"Your email address was given for another {SERVICE} account"
    assert "/email/verify" not in mail.get_content()
    assert f"{server.url}/password/forgot" in mail.get_content()
    assert profile(server, old, password).json()["email"] == old


def test_an_address_taken_before_the_link_is_used_stays_with_its_owner(server, inbox, make_user):
    _, old, password = make_user()
    new = new_email()
    with closing(signed_in(server, old, password)) as client:
        assert ask_for_change(client, new, password).status_code == 303
    link = link_in(inbox.wait_for(new)[0], "/email/verify")
    created = httpx.post(
        server.url + "/api/v2/users", json={"name": "Quick Q", "email": new, "password": password}
    )
    assert created.status_code == 201
    with closing(server.client()) as browser:
        assert follow_form(browser, link, "/email/verify").status_code == 400
    assert profile(server, old, password).json()["email"] == old


def test_an_email_change_kills_older_links_of_the_account(server, inbox, make_user):
    _, old, password = make_user()
    new = new_email()
    with closing(signed_in(server, old, password)) as client:
        verify = post_on_security(client, HERE + "/email/verification")
        assert verify.status_code == 303
        old_link = link_in(inbox.wait_for(old)[0], "/email/verify")
        assert ask_for_change(client, new, password).status_code == 303
    with closing(server.client()) as browser:
        new_link = link_in(inbox.wait_for(new)[0], "/email/verify")
        assert follow_form(browser, new_link, "/email/verify").status_code == 303
        assert browser.get(old_link).status_code == 400


def test_a_password_change_cancels_a_pending_email_change(server, inbox, make_user):
    _, old, password = make_user()
    new = new_email()
    with closing(signed_in(server, old, password)) as client:
        assert ask_for_change(client, new, password).status_code == 303
        assert change_password(client, password) == 303
    with closing(server.client()) as browser:
        assert browser.get(link_in(inbox.wait_for(new)[0], "/email/verify")).status_code == 400


def test_the_api_cannot_change_the_email_without_a_link(server, make_user):
    _, old, password = make_user()
    answer = httpx.put(
        server.url + "/api/v2/profile", json={"email": new_email()}, auth=(old, password)
    )
    assert answer.status_code == 422
    assert "Password & Security" in answer.json()["errors"]["email"][0]
    same = httpx.put(server.url + "/api/v2/profile", json={"email": old}, auth=(old, password))
    assert same.status_code == 200
    assert profile(server, old, password).json()["email"] == old
