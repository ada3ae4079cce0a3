"""CIVICAUTH_REQUIRE_VERIFIED_EMAIL=true: the consent page grants nothing
until the resident's email is confirmed, and says how to fix it (a page with
a resend button, not an error redirect to the app)."""

from __future__ import annotations

import pytest

from tests.functional.oauth_support import (
    Resident,
    authorize_params,
    callback_params,
    form_of,
    register_app,
)
from tests.functional.recovery_support import follow_form, link_in
from tests.mail_support import smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_REQUIRE_VERIFIED_EMAIL": "true",
}


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


@pytest.fixture
def app(server, ctx):
    return register_app(ctx, server.url)


def test_consent_waits_for_a_confirmed_email(server, inbox, app, resident):
    request = authorize_params(app, state="st8")
    refused = resident.open(request)
    assert refused.status_code == 403
    assert "Confirm your email address first" in refused.text
    assert resident.email in refused.text
    assert "location" not in refused.headers

    action, fields = form_of(refused.text, "/account/security/email/verification")
    resent = resident.http.post(action, data=fields)
    assert resent.status_code == 303
    assert resent.headers["location"] == fields["next"]
    assert fields["next"].startswith("/oauth/authorize?")
    link = link_in(inbox.wait_for(resident.email)[0], "/email/verify")
    assert follow_form(resident.http, link, "/email/verify").status_code == 303

    consent = resident.http.get(fields["next"])
    assert consent.status_code == 200
    assert "Authorize Pothole Pal?" in consent.text
    assert "code" in callback_params(resident.decide(consent))


def test_an_approve_posted_before_confirming_grants_nothing(server, app, make_user):
    # The form of a consent page shown before the setting, posted now.
    _, email, password = make_user()
    resident = Resident(server.url, email, password).sign_in()
    page = resident.open(authorize_params(app))
    _, csrf = form_of(page.text, "/account/security/email/verification")
    posted = resident.http.post(
        "/oauth/authorize",
        params=authorize_params(app),
        data={"_csrf_token": csrf["_csrf_token"], "decision": "approve"},
    )
    assert posted.status_code == 403
    assert "location" not in posted.headers
    resident.close()


def test_a_bad_request_is_still_answered_as_one(server, resident):
    answer = resident.open({"response_type": "code", "client_id": "no-such-app"})
    assert answer.status_code == 400
    assert "Confirm your email address first" not in answer.text
