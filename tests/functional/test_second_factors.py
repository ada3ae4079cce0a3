"""Second factors over real HTTP: an authenticator app enrolled with codes
pyotp computes from the secret on the page, recovery codes, the second
sign-in step and its limits, removal rules, HTTP Basic refused with the
personal-access-token hint, and the mails at a real SMTP server."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pyotp
import pytest

from tests.factor_support import (
    code_after,
    enrol_totp,
    factor_step,
    password_step,
    recovery_codes_on,
)
from tests.functional.pages import csrf_of, post_form, signed_in
from tests.mail_support import smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SERVICE = "Springfield Reports"
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_SERVICE_NAME": SERVICE,
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS": "3/5minutes",
}
_NEW_TOKEN = re.compile(r'data-testid="new-token">([^<]+)<')


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


@pytest.fixture
def enrolled(server, make_user):
    """A user with an authenticator app: (email, password, secret, recovery codes)."""
    _, email, password = make_user(name="Rita Resident")
    with closing(signed_in(server, email, password)) as client:
        secret, codes = enrol_totp(client, password)
    return email, password, secret, codes


def is_signed_in(client: httpx.Client) -> bool:
    return client.get("/account/security").status_code == 200


def test_enrolment_mails_a_notice_and_shows_the_qr_code(inbox, server, make_user):
    _, email, password = make_user(name="Rita Resident")
    with closing(signed_in(server, email, password)) as client:
        page = client.get("/account/second-factors/totp")
        assert "<svg" in page.text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        enrol_totp(client, password)
        security = client.get("/account/security").text
        assert 'data-testid="recovery-codes-left">10<' in security
        assert "/account/second-factors/remove?factor=totp" in security
    (mail,) = inbox.wait_for(email)
    assert mail["Subject"] == f"A second factor was added to your {SERVICE} account"
    body = mail.get_content()
    assert "an authenticator app was added as a second factor" in body
    assert f"This mail was sent by {SERVICE} to {email}." in body


def test_enrolment_needs_the_password_and_a_right_code(server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        page = client.get("/account/second-factors/totp")
        secret = re.search(r'data-testid="totp-secret">([^<]+)<', page.text).group(1)
        code = pyotp.TOTP(secret.replace(" ", "")).now()
        wrong_password = {"code": code, "current_password": "not it"}
        answer = post_form(client, "/account/second-factors/totp", wrong_password)
        assert answer.status_code == 422
        assert "Current password is incorrect" in answer.text
        other = "000000" if code != "000000" else "111111"
        wrong_code = {"code": other, "current_password": password}
        assert post_form(client, "/account/second-factors/totp", wrong_code).status_code == 422
    # Neither turned anything on: the password alone still signs in.
    with closing(server.client()) as client:
        assert password_step(client, email, password).headers["location"] == "/"


def test_sign_in_asks_for_a_code_and_a_code_works_once(server, enrolled):
    email, password, secret, _ = enrolled
    code = code_after(secret, 1)
    with closing(server.client()) as client:
        answer = password_step(client, email, password, "/oauth/authorized_applications")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login/second-factor"
        assert not is_signed_in(client)  # half signed in is not signed in
        passed = factor_step(client, code)
        assert passed.status_code == 303
        assert passed.headers["location"] == "/oauth/authorized_applications"
        assert is_signed_in(client)
    with closing(server.client()) as client:
        password_step(client, email, password)
        assert factor_step(client, code).status_code == 400  # the same code again
        assert not is_signed_in(client)


def test_the_code_that_confirmed_enrolment_is_spent(server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        page = client.get("/account/second-factors/totp")
        secret = re.search(r'data-testid="totp-secret">([^<]+)<', page.text).group(1)
        secret = secret.replace(" ", "")
        code = pyotp.TOTP(secret).now()
        fields = {"code": code, "current_password": password}
        assert post_form(client, "/account/second-factors/totp", fields).status_code == 200
    with closing(server.client()) as client:
        password_step(client, email, password)
        # The enrolment code, or any earlier one, no longer works.
        assert factor_step(client, code).status_code == 400
        assert factor_step(client, code_after(secret, -1)).status_code == 400


def test_wrong_codes_count_toward_the_sign_in_limit(server, enrolled):
    email, password, secret, _ = enrolled
    with closing(server.client()) as client:
        password_step(client, email, password)
        for _ in range(3):
            assert factor_step(client, "000000").status_code == 400
        refused = factor_step(client, code_after(secret, 1))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert "Too many failed attempts" in refused.text
        assert not is_signed_in(client)
    # The password page is under the same limit for this account now.
    with closing(server.client()) as client:
        assert password_step(client, email, password).status_code == 429


def test_recovery_codes_sign_in_once_each(server, enrolled):
    email, password, _, codes = enrolled
    with closing(server.client()) as client:
        password_step(client, email, password)
        assert factor_step(client, codes[0].upper()).status_code == 303
        security = client.get("/account/security").text
        assert 'data-testid="recovery-codes-left">9<' in security
    with closing(server.client()) as client:
        password_step(client, email, password)
        assert factor_step(client, codes[0]).status_code == 400
        assert factor_step(client, codes[1]).status_code == 303


def new_codes(client: httpx.Client, password: str) -> httpx.Response:
    """The form on Password & Security that makes new recovery codes."""
    token = csrf_of(client.get("/account/security").text)
    fields = {"recovery_password": password, "_csrf_token": token}
    return client.post("/account/second-factors/recovery-codes", data=fields)


def test_new_recovery_codes_replace_the_old_ones(server, enrolled):
    email, password, secret, codes = enrolled
    with closing(server.client()) as client:
        password_step(client, email, password)
        factor_step(client, code_after(secret, 1))
        wrong = new_codes(client, "nope")
        assert wrong.status_code == 422
        assert "Current password is incorrect" in wrong.text
        answer = new_codes(client, password)
        assert answer.status_code == 200
        fresh = recovery_codes_on(answer.text)
        assert len(fresh) == 10
        assert not set(fresh) & set(codes)
    with closing(server.client()) as client:
        password_step(client, email, password)
        assert factor_step(client, codes[2]).status_code == 400
        assert factor_step(client, fresh[0]).status_code == 303


def create_token(client: httpx.Client) -> str:
    fields = {"action": "create_token", "name": "script", "expires_in": "30", "scopes": "public"}
    assert post_form(client, "/account/security", fields).status_code == 303
    match = _NEW_TOKEN.search(client.get("/account/security").text)
    assert match
    return match.group(1)


def test_basic_with_the_password_is_refused_once_a_factor_is_added(server, make_user):
    _, email, password = make_user()
    profile = server.url + "/api/v2/profile"
    with closing(signed_in(server, email, password)) as client:
        assert httpx.get(profile, auth=(email, password)).status_code == 200  # now cached
        token = create_token(client)
        enrol_totp(client, password)
    refused = httpx.get(profile, auth=(email, password))
    assert refused.status_code == 401
    body = refused.json()
    assert body["error"] == "invalid_credentials"
    assert "personal access token" in body["error_description"]
    challenge = refused.headers["WWW-Authenticate"]
    assert challenge.startswith("Basic ")
    assert "personal access token" in challenge
    # A personal access token still works: as the Basic password, or as a bearer token.
    assert httpx.get(profile, auth=("__token__", token)).status_code == 200
    assert httpx.get(profile, auth=(email, token)).status_code == 200
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(profile, headers=bearer).json()["email"] == email
    # A wrong password is still just wrong.
    assert httpx.get(profile, auth=(email, password + "x")).json()["error_description"] == (
        "Wrong email or password."
    )


def remove(client: httpx.Client, factor: str, password: str, code: str) -> httpx.Response:
    page = client.get(f"/account/second-factors/remove?factor={factor}")
    assert page.status_code == 200, page.text
    fields = {"factor": factor, "current_password": password, "code": code}
    return post_form(client, f"/account/second-factors/remove?factor={factor}", fields)


def test_removal_needs_the_password_and_a_working_factor(inbox, server, enrolled):
    email, password, secret, codes = enrolled
    profile = server.url + "/api/v2/profile"
    with closing(server.client()) as client:
        password_step(client, email, password)
        factor_step(client, codes[0])
        assert remove(client, "totp", password, "000000").status_code == 422
        assert remove(client, "totp", "wrong", code_after(secret, 1)).status_code == 422
        assert httpx.get(profile, auth=(email, password)).status_code == 401
        done = remove(client, "totp", password, codes[1])
        assert done.status_code == 303
        assert done.headers["location"] == "/account/security"
        security = client.get("/account/security").text
        assert "/account/second-factors/totp" in security
        assert "recovery-codes-left" not in security
    # Added, a sign-in from this (new) browser, removed.
    subjects = {m["Subject"]: m for m in inbox.wait_for(email, count=3)}
    removed = subjects[f"A second factor was removed from your {SERVICE} account"]
    assert "an authenticator app was removed" in removed.get_content()
    # Without a factor: the password alone signs in, and works over Basic again.
    assert httpx.get(profile, auth=(email, password)).status_code == 200
    with closing(server.client()) as client:
        assert password_step(client, email, password).headers["location"] == "/"


def test_removing_a_factor_the_account_does_not_have_is_404(server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        assert client.get("/account/second-factors/remove?factor=totp").status_code == 404
        assert client.get("/account/second-factors/remove?factor=999999").status_code == 404
        assert client.get("/account/second-factors/remove?factor=x%00").status_code == 404


def test_the_second_step_needs_a_password_first(server):
    with closing(server.client()) as client:
        page = client.get("/login/second-factor")
        assert page.status_code == 303
        assert page.headers["location"] == "/login"


@pytest.mark.parametrize(
    "answer", ["garbage", "{}", '{"rawId": 5}', '{"rawId": "!!!"}', '{"rawId": "AAAA"}', "[]"]
)
def test_a_made_up_passkey_answer_at_the_second_step_is_a_clear_400(server, enrolled, answer):
    email, password, _, _ = enrolled
    with closing(server.client()) as client:
        password_step(client, email, password)
        wrong = post_form(client, "/login/second-factor", {"credential": answer})
        assert wrong.status_code == 400
        assert "That code or key did not work" in wrong.text
        assert not is_signed_in(client)


def test_made_up_passkey_sign_ins_are_refused_and_limited(server):
    answers = ["garbage", '{"rawId": "!!!"}', '{"rawId": "AAAA"}']
    with closing(server.client()) as client:
        for answer in answers:
            refused = post_form(client, "/login/passkey", {"credential": answer, "next": "/"})
            assert refused.status_code == 400
            assert "That passkey did not sign you in" in refused.text
        limited = post_form(client, "/login/passkey", {"credential": "{}", "next": "/"})
        assert limited.status_code == 429
        assert not is_signed_in(client)


def test_a_made_up_passkey_registration_changes_nothing(server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        # This server's public URL is an IP address, where browsers refuse passkeys.
        page = client.get("/account/second-factors/passkey").text
        assert "browsers allow passkeys only on a site with a name" in page
        fields = {"name": "key", "credential": '{"id": "x"}', "current_password": password}
        answer = post_form(client, "/account/second-factors/passkey", fields)
        assert answer.status_code == 422
        assert "The key did not answer as expected" in answer.text
        nameless = {**fields, "name": " "}
        assert post_form(client, "/account/second-factors/passkey", nameless).status_code == 422
    with closing(server.client()) as client:
        assert password_step(client, email, password).headers["location"] == "/"


def test_removing_a_factor_named_by_a_huge_id_is_404(server, enrolled):
    email, password, _, codes = enrolled
    with closing(server.client()) as client:
        password_step(client, email, password)
        factor_step(client, codes[0])
        fields = {"factor": "99999999999999999999", "current_password": password, "code": codes[1]}
        token = csrf_of(client.get("/account/security").text)
        answer = client.post(
            "/account/second-factors/remove", data={**fields, "_csrf_token": token}
        )
        assert answer.status_code == 404


def test_a_password_change_ends_a_half_finished_sign_in(server, enrolled):
    email, password, secret, codes = enrolled
    with closing(server.client()) as half, closing(server.client()) as full:
        password_step(half, email, password)
        password_step(full, email, password)
        factor_step(full, codes[0])
        fields = {
            "action": "change_password",
            "current_password": password,
            "password": "another long password",
            "password_confirmation": "another long password",
        }
        assert post_form(full, "/account/security", fields).status_code == 303
        # The sign-in page's token (the second-factor page would end the state itself).
        token = csrf_of(half.get("/login").text)
        late = half.post(
            "/login/second-factor", data={"code": code_after(secret, 1), "_csrf_token": token}
        )
        assert late.status_code == 303
        assert late.headers["location"] == "/login"
        assert not is_signed_in(half)
