"""The operator console's users, security log and usage pages in real
Chromium, with axe-core: find a resident, lock (every credential refused)
and unlock in one click, mail a reset link, search the log and download it
as CSV. (The usage page has a module of its own: test_admin_usage_page.py.)"""

from __future__ import annotations

import csv
import io
import time

import httpx
from playwright.sync_api import expect

from civicauth.tokens.personal import create_personal_token
from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.functional.operator_support import make_operator
from tests.functional.recovery_support import link_in
from tests.mail_support import smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_USAGE_FLUSH_SECONDS": "0.2",
}


def until(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    """Poll what the server (another process) changes, with a deadline."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.05)  # the server's state, written by another process
    return found


def personal_token(ctx, user_id: int) -> str:  # type: ignore[no-untyped-def]
    with ctx.db.transaction() as session:
        _, secret = create_personal_token(
            session, user_id, name="nightly export", expires_in="30", scopes=["public"]
        )
    return secret


def as_operator(page, ctx, make_user) -> int:  # type: ignore[no-untyped-def]
    operator_id, email, password = make_operator(ctx, make_user)
    sign_in(page, email, password, "/admin/users")
    return operator_id


def test_find_a_resident_lock_and_unlock_in_one_click(page, browser, server, ctx, make_user):
    user_id, email, password = make_user(name="Rosa Resident")
    token = personal_token(ctx, user_id)
    api = server.url + "/api/v2/profile"
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(api, auth=(email, password)).status_code == 200
    as_operator(page, ctx, make_user)

    page.get_by_label("Email or name").fill("rosa")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_test_id("users-found")
    expect(results.get_by_role("link", name="Rosa Resident")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-users")

    results.get_by_role("link", name="Rosa Resident").click()
    expect(page.get_by_role("heading", name="Rosa Resident", level=1)).to_be_visible()
    expect(page.get_by_test_id("personal-tokens")).to_contain_text("nightly export")
    expect(page.get_by_test_id("account-state")).to_have_text("Active")
    assert token not in page.content()
    assert_accessible(page)
    screenshot(page, "admin-user")

    page.get_by_label("Why it is locked").fill("Phone reported stolen")
    page.get_by_role("button", name="Lock").click()
    expect(page.get_by_text(f"{email} is locked: no sign-in")).to_be_visible()
    expect(page.get_by_test_id("account-state")).to_contain_text("Locked")

    def locked(answer: httpx.Response) -> bool:
        return answer.status_code == 401 and "locked" in answer.json().get("error_description", "")

    until(lambda: locked(httpx.get(api, auth=(email, password))), timeout=5)
    assert locked(httpx.get(api, headers=bearer))
    resident = browser.new_context(base_url=server.url)
    tab = resident.new_page()
    sign_in(tab, email, password, "/account/security")
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()  # refused, still here
    assert_accessible(page)

    page.get_by_role("button", name="Unlock").click()  # one click, nothing to fill
    expect(page.get_by_text(f"{email} is unlocked.")).to_be_visible()
    until(lambda: httpx.get(api, auth=(email, password)).status_code == 200, timeout=5)
    assert httpx.get(api, headers=bearer).status_code == 200
    sign_in(tab, email, password, "/account/security")
    expect(tab.get_by_role("heading", name="Password & Security")).to_be_visible()
    resident.close()


def test_mail_a_reset_link_from_the_users_page(page, server, ctx, make_user):
    user_id, email, _ = make_user(name="Forgetful Fern")
    with smtp_server(SMTP_PORT) as inbox:
        as_operator(page, ctx, make_user)
        page.goto(f"/admin/users/{user_id}")
        page.get_by_role("button", name="Mail a password reset link").click()
        expect(page.get_by_text(f"A password reset link is on its way to {email}.")).to_be_visible()
        mail = inbox.wait_for(email)[-1]
    assert link_in(mail, "/password/reset").startswith("/password/reset?token=")
    expect(page.get_by_test_id("user-events")).to_contain_text(
        "Password reset link mailed by an operator"
    )


def test_search_the_log_and_download_it(page, server, ctx, make_user):
    _, email, _ = make_user(name="Logged Lou")
    for _ in range(3):
        assert httpx.get(server.url + "/api/v2/profile", auth=(email, "wrong")).status_code == 401
    as_operator(page, ctx, make_user)
    page.goto("/admin/log")
    page.get_by_label("User's email").fill(email)
    page.get_by_label("Event").select_option(label="Failed API sign-in attempt")
    page.get_by_role("button", name="Search").click()
    entries = page.get_by_test_id("log-entries")
    expect(entries.get_by_role("row")).to_have_count(4)  # the header and three
    assert_accessible(page)
    screenshot(page, "admin-log")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download these events as CSV").click()
    download = waiting.value
    assert download.suggested_filename.startswith("security-log-")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert [row["event"] for row in rows] == ["basic_auth_failed"] * 3
    assert {row["email"] for row in rows} == {email}
