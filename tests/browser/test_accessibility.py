"""axe-core on the pages that the page tests of their own do not cover:
sign-in, sign-up (with errors), the start page, the consent page and an
error page. No serious or critical violation anywhere."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.functional.oauth_support import register_app


def test_signed_out_pages(page):
    for path in ("/", "/login", "/signup"):
        page.goto(path)
        assert_accessible(page)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#email-error")).to_be_visible()
    assert_accessible(page)
    page.goto("/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


def test_signed_in_start_page_and_error_page(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password)
    assert_accessible(page)
    answer = page.goto("/oauth/applications/no-such-app")
    assert answer is not None
    assert answer.status == 404
    assert_accessible(page)


def test_consent_page(page, server, ctx, make_user):
    _, email, password = make_user()
    app = register_app(ctx, server.url, name="Pothole Pal", organization="Civic Apps Ltd")
    sign_in(page, email, password)
    page.goto(
        f"/oauth/authorize?response_type=code&client_id={app.client_id}"
        f"&redirect_uri={app.redirect_uri}&scope=public+write&state=xyz"
    )
    expect(page.get_by_role("heading", name="Authorize Pothole Pal?")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "consent")
