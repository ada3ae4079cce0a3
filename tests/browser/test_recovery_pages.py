"""Password reset, email confirmation and the email section of Password &
Security in real Chromium, following the links in the mails a real SMTP
server received; axe-core on each new page and a screenshot of it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.functional.oauth_support import register_app
from tests.functional.recovery_support import link_in
from tests.mail_support import smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_REQUIRE_VERIFIED_EMAIL": "true",
}
NEW = "my brand new password"


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


def test_forgot_and_reset(page, inbox, make_user):
    _, email, _ = make_user()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("#reset-sent")).to_contain_text(email)
    assert_accessible(page)
    screenshot(page, "password-forgot")

    page.goto(link_in(inbox.wait_for(email)[0], "/password/reset"))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Confirm new password").fill("other")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#password-error")).to_contain_text("too short")
    assert_accessible(page)
    screenshot(page, "password-reset")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Confirm new password").fill(NEW)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_text("Your password is reset.")).to_be_visible()
    sign_in(page, email, NEW)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_dead_link_page(page):
    answer = page.goto("/password/reset?token=cvl_nothing")
    assert answer is not None
    assert answer.status == 400
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "link-dead")
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()


def test_email_section_change_and_confirm(page, inbox, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, next_path="/account/security")
    section = page.locator("#email-section")
    expect(section.get_by_test_id("email-state")).to_have_text("not confirmed yet")
    page.get_by_label("New email address").fill("not an address")
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Change email").click()
    expect(page.locator("#new_email-error")).to_contain_text("not a valid email")
    assert_accessible(page)

    new = "moved-" + email
    page.get_by_label("New email address").fill(new)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Change email").click()
    expect(page.get_by_test_id("email-change-pending")).to_contain_text(new)
    assert_accessible(page)
    screenshot(page, "security-email")

    page.goto(link_in(inbox.wait_for(new)[0], "/email/verify"))
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "email-verify")
    page.get_by_role("button", name=f"Confirm {new}").click()
    expect(page.get_by_text(f"Your email address {new} is confirmed.")).to_be_visible()
    expect(section.get_by_test_id("email-state")).to_have_text("confirmed")


def test_consent_asks_for_a_confirmed_email(page, server, ctx, inbox, make_user):
    _, email, password = make_user()
    app = register_app(ctx, server.url, name="Pothole Pal")
    sign_in(page, email, password)
    page.goto(
        f"/oauth/authorize?response_type=code&client_id={app.client_id}"
        f"&redirect_uri={app.redirect_uri}&state=xyz"
    )
    expect(page.get_by_role("heading", name="Confirm your email address first")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "verify-required")
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_text(f"A new link is on its way to {email}.")).to_be_visible()
    page.goto(link_in(inbox.wait_for(email)[0], "/email/verify"))
    page.get_by_role("button", name=f"Confirm {email}").click()
    page.goto(
        f"/oauth/authorize?response_type=code&client_id={app.client_id}"
        f"&redirect_uri={app.redirect_uri}&state=xyz"
    )
    expect(page.get_by_role("heading", name="Authorize Pothole Pal?")).to_be_visible()
