"""The sessions list on Password & Security and the password confirmation
page, in real Chromium: two browsers, one signs the other out."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from civicauth.accounts.web_sessions import WebSession
from civicauth.db import utcnow
from tests.browser.conftest import assert_accessible, screenshot, sign_in

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_sign_out_another_browser_from_the_list(page, browser, server, make_user):
    _, email, password = make_user()
    phone = browser.new_context(base_url=server.url, user_agent=FIREFOX)
    phone_tab = phone.new_page()
    sign_in(phone_tab, email, password, "/account/security")
    sign_in(page, email, password, "/account/security")

    sessions = page.get_by_role("table", name="Your sessions, this one first")
    expect(sessions.get_by_role("row")).to_have_count(3)  # the header and two sessions
    expect(page.get_by_test_id("this-session")).to_contain_text("this session")
    expect(sessions.get_by_role("cell", name="Firefox on Windows", exact=True)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "security-sessions")

    page.get_by_role("button", name="Sign out Firefox on Windows", exact=False).click()
    expect(page.get_by_text("That session is signed out.")).to_be_visible()
    expect(sessions.get_by_role("row")).to_have_count(2)

    phone_tab.goto("/account/security")
    expect(phone_tab.get_by_role("heading", name="Sign in")).to_be_visible()
    phone.close()


def test_a_sensitive_action_asks_for_the_password(page, server, ctx, make_user):
    user_id, email, password = make_user()
    sign_in(page, email, password, "/account/security")
    with ctx.db.transaction() as db:
        db.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id)
            .values(password_confirmed_at=utcnow() - timedelta(minutes=11))
        )
    page.get_by_label("Token name").fill("nightly export")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "confirm-password")

    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Confirm password").click()
    expect(page.get_by_role("alert")).to_have_text("That password is incorrect.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm password").click()
    expect(page.get_by_text("Password confirmed. You can go on.")).to_be_visible()
    page.get_by_label("Token name").fill("nightly export")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_be_visible()
