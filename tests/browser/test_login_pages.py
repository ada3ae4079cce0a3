"""Sign-in, sign-out and sign-up in real Chromium."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in


def test_sign_in_and_out(page, make_user):
    _, email, password = make_user(name="Rosa Parks")
    sign_in(page, email, password)
    expect(page.get_by_role("heading", name="Hello, Rosa Parks")).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_wrong_password_says_so_next_to_the_form(page, make_user):
    _, email, _ = make_user()
    page.goto("/login")
    screenshot(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")


def test_sign_in_returns_to_the_page_asked_for(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, next_path="/signup")
    assert page.url.endswith("/signup")


def test_sign_up_shows_errors_next_to_fields_then_signs_in(page):
    page.goto("/signup")
    page.get_by_label("Display name").fill("Al")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm password").fill("different")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#name-error")).to_contain_text("too short")
    expect(page.locator("#email-error")).to_contain_text("not a valid email")
    expect(page.locator("#password-error")).to_contain_text("too short")
    expect(page.locator("#password_confirmation-error")).to_contain_text("doesn't match")
    screenshot(page, "signup")
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_label("Confirm password").fill("a long password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome, Ada Lovelace!")).to_be_visible()
