"""The operator's usage page in real Chromium, with axe-core: real API
traffic by OAuth, Basic and a personal token, counted per app and per method
once the server has flushed it (its own server and database, so no other
test's traffic is in the totals)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_admin_users_pages import as_operator, personal_token, until
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens

SETTINGS = {"CIVICAUTH_USAGE_FLUSH_SECONDS": "0.2"}


def test_usage_shows_each_app_and_method_after_real_traffic(page, server, ctx, make_user):
    user_id, email, password = make_user(name="Basic Bea")
    app = register_app(ctx, name="Pothole Pal")
    access, _ = issue_tokens(ctx, user_id, app.pk)
    token = personal_token(ctx, user_id)
    api = server.url + "/api/v2/profile"
    for _ in range(4):
        assert httpx.get(api, headers={"Authorization": f"Bearer {access}"}).status_code == 200
    for _ in range(3):
        answer = httpx.get(api, auth=(email, password), headers={"User-Agent": "old-script/2.1"})
        assert answer.status_code == 200
    for _ in range(2):
        assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    as_operator(page, ctx, make_user)

    def shown() -> bool:
        page.goto("/admin/usage")
        return (
            page.get_by_test_id("usage-by-app").count() == 1 and "old-script/2.1" in page.content()
        )

    until(shown)
    apps = page.get_by_test_id("usage-by-app")
    expect(apps.get_by_role("row", name="Pothole Pal")).to_contain_text("4")
    expect(page.locator('[data-total="oauth"]')).to_have_text("4")
    expect(page.locator('[data-total="basic"]')).to_have_text("3")
    expect(page.locator('[data-total="personal"]')).to_have_text("2")
    expect(page.get_by_test_id("basic-users")).to_contain_text(email)
    expect(page.get_by_test_id("basic-agents")).to_contain_text("old-script/2.1")
    expect(
        page.get_by_role("img", name="API requests per day by method, last 30 days")
    ).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-usage")

    apps.get_by_role("link", name="Pothole Pal").click()
    expect(page.get_by_role("heading", name="Usage")).to_be_visible()
    expect(
        page.get_by_role("img", name="API requests of Pothole Pal per day, last 30 days")
    ).to_be_visible()
    assert_accessible(page)
