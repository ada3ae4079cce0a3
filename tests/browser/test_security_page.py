"""Password & Security in real Chromium: password change, personal access
tokens, recent security events."""

from __future__ import annotations

from datetime import timedelta

import httpx
from playwright.sync_api import expect
from sqlalchemy import update

from civicauth.db import utcnow
from civicauth.tokens.models import PersonalAccessToken
from tests.browser.conftest import assert_accessible, screenshot, sign_in


def _create_token(page, name: str, scopes: tuple[str, ...] = ("public",)) -> str:  # type: ignore[no-untyped-def]
    page.goto("/account/security")
    page.get_by_label("Token name").fill(name)
    page.get_by_label("Expires after").select_option("7")
    for scope in ("public", "write"):
        page.get_by_label(scope, exact=True).set_checked(scope in scopes)
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token").inner_text()
    assert token.startswith("cvp_")
    return token


def _token_row(page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("table", name="Your tokens").get_by_role("row", name=name)


def test_signing_in_is_needed(page):
    page.goto("/account/security")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_current_password_is_said_next_to_the_field(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, "/account/security")
    expect(page.get_by_role("heading", name="Password & Security")).to_be_visible()
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a brand new password")
    page.get_by_label("Confirm new password").fill("a brand new password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current_password-error")).to_contain_text("is incorrect")
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    screenshot(page, "security-wrong-password")


def test_password_change_ends_other_sessions_and_basic(page, browser, server, make_user):
    _, email, password = make_user()
    other = browser.new_context(base_url=server.url)
    other_tab = other.new_page()
    sign_in(other_tab, email, password, "/account/security")
    assert httpx.get(f"{server.url}/api/v2/profile", auth=(email, password)).status_code == 200

    sign_in(page, email, password, "/account/security")
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill("the new password")
    page.get_by_label("Confirm new password").fill("the new password")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    expect(page.get_by_role("cell", name="Changed password")).to_be_visible()

    other_tab.goto("/account/security")
    expect(other_tab.get_by_role("heading", name="Sign in")).to_be_visible()
    other.close()
    old = httpx.get(f"{server.url}/api/v2/profile", auth=(email, password))
    assert old.status_code == 401
    new = httpx.get(f"{server.url}/api/v2/profile", auth=(email, "the new password"))
    assert new.json()["email"] == email


def test_token_is_shown_once_and_works_on_the_api(page, server, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, "/account/security")
    assert_accessible(page)
    screenshot(page, "security")
    token = _create_token(page, "pothole sync", scopes=("public", "write"))
    expect(page.get_by_text("Copy it now: it will not be shown again.").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "security-new-token")

    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    row = _token_row(page, "pothole sync")
    expect(row).to_contain_text(token[:12])
    expect(row).to_contain_text("public write")
    expect(page.get_by_role("cell", name="Created a personal access token")).to_be_visible()

    profile = httpx.get(
        f"{server.url}/api/v2/profile", headers={"Authorization": f"Bearer {token}"}
    )
    assert profile.json()["email"] == email
    page.reload()
    expect(_token_row(page, "pothole sync")).not_to_contain_text("Never")


def test_revoked_token_is_refused(page, server, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, "/account/security")
    token = _create_token(page, "to revoke")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.url}/api/v2/profile", headers=headers).status_code == 200
    page.get_by_role("button", name="Revoke token to revoke").click()
    expect(page.get_by_text("Token “to revoke” is revoked.")).to_be_visible()
    expect(page.get_by_role("table", name="Your tokens")).to_have_count(0)
    refused = httpx.get(f"{server.url}/api/v2/profile", headers=headers)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_expired_token_is_refused(page, server, ctx, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, "/account/security")
    token = _create_token(page, "short lived")
    with ctx.db.transaction() as session:
        session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.name == "short lived")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    refused = httpx.get(
        f"{server.url}/api/v2/profile", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    page.reload()
    expect(_token_row(page, "short lived")).to_contain_text("expired")


def test_token_form_errors_are_next_to_their_fields(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, "/account/security")
    page.get_by_label("public", exact=True).set_checked(False)
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#name-error")).to_contain_text("can't be blank")
    expect(page.locator("#scopes-error")).to_contain_text("at least one scope")
    assert_accessible(page)
