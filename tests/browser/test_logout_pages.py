"""RP-initiated logout in real Chromium: without an id_token_hint the
resident confirms on a page (axe-clean), is signed out on the server and sent
to the app's registered return URL with its state; an unregistered one shows
an error page and goes nowhere."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.functional.oauth_support import register_app

RETURN_PATH = "/oauth/demo/callback"


def test_confirm_then_signed_out_and_sent_back(page, server, ctx, make_user):
    returns_to = server.url + RETURN_PATH
    app = register_app(ctx, server.url, post_logout_redirect_uris=[returns_to])
    _, email, password = make_user()
    sign_in(page, email, password)
    params = {"client_id": app.client_id, "post_logout_redirect_uri": returns_to, "state": "s1"}
    page.goto(f"/oauth/logout?{urlencode(params)}")
    expect(page.get_by_role("heading", name="Sign out of civicauth?")).to_be_visible()
    expect(page.get_by_text("Pothole Pal")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "logout-confirm")

    page.get_by_role("button", name="Yes, sign out").click()
    page.wait_for_url(f"{returns_to}?state=s1")
    page.goto("/account/security")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_staying_signed_in(page, server, make_user):
    _, email, password = make_user()
    sign_in(page, email, password)
    page.goto("/oauth/logout")
    page.get_by_role("link", name="Stay signed in").click()
    page.goto("/account/security")
    expect(page.get_by_role("heading", name="Password & Security")).to_be_visible()


def test_an_unregistered_return_url_is_an_error_page(page, server, ctx, make_user):
    app = register_app(ctx, server.url, post_logout_redirect_uris=[server.url + RETURN_PATH])
    _, email, password = make_user()
    sign_in(page, email, password)
    params = {"client_id": app.client_id, "post_logout_redirect_uri": "https://evil.example/"}
    answer = page.goto(f"/oauth/logout?{urlencode(params)}")
    assert answer is not None
    assert answer.status == 400
    expect(
        page.get_by_text("is not a sign-out return URL registered for Pothole Pal")
    ).to_be_visible()
    assert page.url.startswith(server.url + "/oauth/logout")
    assert_accessible(page)
