"""``civicauth users reset-second-factors EMAIL``: what an operator does for a
resident who lost the phone and the recovery codes. Run as the operator runs
it, against the live server's database."""

from __future__ import annotations

from contextlib import closing

import httpx
import pytest

from tests.cluster import settles_within
from tests.factor_support import enrol_totp, password_step
from tests.functional.pages import signed_in
from tests.mail_support import smtp_server
from tests.support import free_port, run_civicauth

SMTP_PORT = free_port()
SETTINGS = {"CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}"}


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


civicauth = run_civicauth


def test_a_reset_lets_the_password_alone_sign_in_again(inbox, server, backend, make_user):
    _, email, password = make_user(name="Lost Phone")
    with closing(signed_in(server, email, password)) as client:
        enrol_totp(client, password)
    inbox.wait_for(email)  # "a second factor was added"
    api = server.url + "/api/v2/profile"
    assert httpx.get(api, auth=(email, password)).status_code == 401
    with closing(server.client()) as client:
        assert password_step(client, email, password).headers["location"] == "/login/second-factor"

    done = civicauth(backend, "users", "reset-second-factors", email)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"removed 1 second factor(s) and the recovery codes of {email}; mailed"
    )

    with closing(server.client()) as client:
        assert password_step(client, email, password).headers["location"] == "/"
        security = client.get("/account/security")
        assert security.status_code == 200
        assert "Every second factor removed by an operator" in security.text
    # The CLI is another process: each worker's cached refusal of this
    # password holds for up to a second (on SQLite no bus carries the news).
    settles_within(lambda: httpx.get(api, auth=(email, password)).status_code == 200)
    notice = inbox.wait_for(email, 2)[1]
    assert "every second factor (reset by the people who run the service)" in notice.get_content()

    again = civicauth(backend, "users", "reset-second-factors", email)
    assert again.returncode == 0
    assert again.stdout.strip() == f"{email} has no second factor; nothing changed"


def test_an_unknown_email_is_one_line_and_a_non_zero_exit(backend):
    done = civicauth(backend, "users", "reset-second-factors", "nobody@example.com")
    assert done.returncode != 0
    assert done.stderr.strip() == "civicauth: error: no user with the email nobody@example.com"
