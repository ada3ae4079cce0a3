"""Second factors in real Chromium: sign in with an authenticator app code
(computed by pyotp from the secret on the page), with a recovery code, and
with a passkey made and used through Chromium's virtual authenticator (the
DevTools protocol's WebAuthn domain); an OAuth authorization that passes
through a second-factor sign-in. axe-core and a screenshot on every new page."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.browser.test_oauth_consent import authorize_url, received, sign_in_on_the_way
from tests.factor_support import code_after
from tests.functional.oauth_support import register_app
from tests.support import LiveServer, live_server

CALLBACK = "/oauth/demo/callback"


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The live server named ``localhost``: a WebAuthn relying party id must
    be a domain, and http://localhost is a secure context."""
    tmp = tmp_path_factory.mktemp("server")
    with live_server(backend.env, tmp, public_host="localhost") as running:
        yield running


def enrol_totp(page, password: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Set up an authenticator app from Password & Security: (secret, recovery codes)."""
    page.goto("/account/security")
    page.get_by_role("link", name="Set up").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Current password").fill(password)
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    return secret, codes


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_totp_enrolment_and_sign_in(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password)
    page.goto("/account/second-factors/totp")
    expect(page.locator("figure.qr svg")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "second-factor-totp-setup")
    page.goto("/account/security")
    secret, _ = enrol_totp(page, password)
    assert_accessible(page)
    screenshot(page, "second-factor-recovery-codes")
    page.goto("/account/security")
    expect(page.get_by_role("heading", name="Second factors")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "security-second-factors")
    sign_out(page)

    sign_in(page, email, password, "/account/security")
    expect(page.get_by_role("heading", name="Second step of sign-in")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "second-factor-sign-in")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("That code or key did not work. Try again.")
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        code_after(secret, 1)
    )
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Password & Security")).to_be_visible()

    page.goto("/account/second-factors/remove?factor=totp")
    expect(page.get_by_role("heading", name="Remove your authenticator app")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "second-factor-remove")


def test_recovery_code_sign_in(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password)
    _, codes = enrol_totp(page, password)
    sign_out(page)
    sign_in(page, email, password, "/account/security")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[3])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Password & Security")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes-left")).to_have_text("9")


def virtual_authenticator(page) -> None:  # type: ignore[no-untyped-def]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def test_passkey_registered_and_used_to_sign_in(page, make_user):
    virtual_authenticator(page)
    _, email, password = make_user()
    sign_in(page, email, password)
    page.goto("/account/security")
    page.get_by_role("link", name="Add a passkey or security key").click()
    expect(page.get_by_role("heading", name="Add a passkey or security key")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)  # localhost is a name: no warning
    assert_accessible(page)
    screenshot(page, "second-factor-passkey-setup")
    page.get_by_label("Name").fill("work laptop")
    page.get_by_label("Current password").fill(password)
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.goto("/account/security")
    expect(page.get_by_role("cell", name="Passkey “work laptop”")).to_be_visible()
    sign_out(page)

    sign_in(page, email, password, "/account/security")
    expect(page.get_by_role("heading", name="Second step of sign-in")).to_be_visible()
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("heading", name="Password & Security")).to_be_visible()
    last_used = page.get_by_role("row", name="Passkey “work laptop”").locator("td").nth(2)
    expect(last_used).not_to_have_text("Never")
    sign_out(page)

    # A passkey alone signs in too: the key verified the resident.
    page.goto("/login?next=/account/security")
    page.get_by_role("link", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Sign in with a passkey")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "passkey-sign-in")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Password & Security")).to_be_visible()

    # Removing it needs the password and the passkey itself.
    page.get_by_role("link", name="Remove the passkey work laptop").click()
    page.get_by_label("Current password").fill(password)
    page.get_by_role("button", name="Prove with a passkey or security key and remove").click()
    expect(page.get_by_text("Removed the passkey or security key “work laptop”.")).to_be_visible()
    expect(page.get_by_role("cell", name="Passkey “work laptop”")).to_have_count(0)


def test_oauth_authorization_through_a_second_factor_sign_in(page, server, ctx, make_user):
    _, email, password = make_user()
    sign_in(page, email, password)
    secret, _ = enrol_totp(page, password)
    sign_out(page)
    app = register_app(ctx, server.url, redirect_uris=[server.url + CALLBACK])
    page.goto(authorize_url(app))
    sign_in_on_the_way(page, email, password)
    expect(page.get_by_role("heading", name="Second step of sign-in")).to_be_visible()
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        code_after(secret, 1)
    )
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Authorize Pothole Pal?")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name="Demo app: what came back")).to_be_visible()
    got = received(page)
    assert got["state"] == "browser-state"
    assert got["code"]
