"""The developer portal in real Chromium: register, see the secret once,
rotate it, edit, delete; an approved app's edit waits for review; invalid
callback URLs; other users' apps are 404."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from civicauth.clients.services import find_client, verify_secret
from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens

HERE = "/oauth/applications"
CONTACTS = {
    "Application name": "Pothole Pal",
    "Organization": "Civic Apps Ltd",
    "Technical contact name": "Tess Tech",
    "Technical contact email": "tech@example.com",
    "Technical contact phone": "+1 203 555 0100",
    "Administrative contact name": "Adam Admin",
    "Administrative contact email": "admin@example.com",
    "Administrative contact phone": "+1 203 555 0101",
}


def fill_registration(page, callbacks: str, **changes: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(HERE + "/new")
    for label, value in {**CONTACTS, **changes}.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Callback URLs").fill(callbacks)


def secret_in_db(ctx, client_id: str, secret: str) -> bool:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        client = find_client(session, client_id)
        assert client is not None
        return verify_secret(client, secret)


def test_register_see_the_secret_once_and_rotate_it(page, ctx, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, HERE)
    expect(page.get_by_text("You have not registered any application yet.")).to_be_visible()
    fill_registration(page, "https://pothole.example/callback\nhttp://127.0.0.1:8765/cb")
    expect(page.get_by_label("implicit")).not_to_be_checked()
    expect(page.get_by_text("Weaker: the access token is returned in the URL")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "application-new")
    page.get_by_role("button", name="Register application").click()

    expect(page.get_by_text("Pothole Pal is registered.")).to_be_visible()
    expect(page.get_by_text("Pending review.")).to_be_visible()
    client_id = page.get_by_test_id("client-id").inner_text()
    secret = page.get_by_test_id("client-secret").inner_text()
    assert secret_in_db(ctx, client_id, secret)
    assert_accessible(page)
    screenshot(page, "application-created")

    page.reload()
    expect(page.get_by_test_id("client-secret")).to_have_count(0)
    expect(page.get_by_text("Hidden: it was shown once.")).to_be_visible()
    page.get_by_text("Rotate the client secret").click()
    page.get_by_role("button", name="Make a new secret").click()
    expect(page.get_by_text("the old one no longer works")).to_be_visible()
    rotated = page.get_by_test_id("client-secret").inner_text()
    assert rotated != secret
    assert secret_in_db(ctx, client_id, rotated)
    assert not secret_in_db(ctx, client_id, secret)

    page.goto(HERE)
    expect(page.get_by_role("row", name="Pothole Pal")).to_contain_text("Pending review")
    assert_accessible(page)
    screenshot(page, "applications")


def test_invalid_callback_urls_are_named_next_to_the_field(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, HERE)
    fill_registration(
        page,
        "http://pothole.example/cb\nhttps://pothole.example/cb#done\n/relative",
        **{"Technical contact email": "not an email"},
    )
    page.get_by_role("button", name="Register application").click()
    error = page.locator("#redirect_uris-error")
    expect(error).to_contain_text("http://pothole.example/cb must use https")
    expect(error).to_contain_text("https://pothole.example/cb#done must not contain a fragment")
    expect(error).to_contain_text("/relative must be an absolute URI")
    expect(page.get_by_label("Callback URLs")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#technical_contact_email-error")).to_contain_text("not a valid email")
    # What was typed is kept.
    expect(page.get_by_label("Application name", exact=True)).to_have_value("Pothole Pal")
    assert_accessible(page)
    screenshot(page, "application-invalid")
    page.goto(HERE)
    expect(page.get_by_text("You have not registered any application yet.")).to_be_visible()


def test_public_app_with_implicit_gets_a_warning_and_no_secret(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, HERE)
    fill_registration(page, "com.example.pothole:/callback", **{"Application name": "Pocket"})
    page.get_by_label("Public", exact=True).check()
    page.get_by_label("implicit").check()
    page.get_by_role("button", name="Register application").click()
    expect(page.get_by_text("Pocket is registered.")).to_be_visible()
    expect(page.get_by_test_id("client-secret")).to_have_count(0)
    expect(page.get_by_text("Implicit flow enabled.")).to_be_visible()
    expect(page.get_by_text("Rotate the client secret")).to_have_count(0)


def test_edit_then_delete_ends_its_tokens(page, server, ctx, make_user):
    user_id, email, password = make_user()
    # Not yet approved, so the edit applies at once.
    app = register_app(ctx, owner_id=user_id, name="Old Name", status="pending")
    access, _ = issue_tokens(ctx, user_id, app.pk)
    sign_in(page, email, password, f"{HERE}/{app.client_id}")
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Callback URLs")).to_have_value("http://127.0.0.1:9/cb")
    page.get_by_label("Application name", exact=True).fill("New Name")
    page.get_by_label("Callback URLs").fill("https://new.example/cb")
    assert_accessible(page)
    screenshot(page, "application-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("New Name is updated.")).to_be_visible()
    expect(page.get_by_text("https://new.example/cb")).to_be_visible()

    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete New Name?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Delete application").click()
    expect(page.get_by_text("New Name is deleted")).to_be_visible()
    headers = {"Authorization": f"Bearer {access}"}
    assert httpx.get(f"{server.url}/api/v2/profile", headers=headers).status_code == 401


def test_an_approved_apps_edit_shows_old_and_new_while_it_waits(page, ctx, make_user):
    user_id, email, password = make_user()
    app = register_app(ctx, owner_id=user_id)
    sign_in(page, email, password, f"{HERE}/{app.client_id}/edit")
    page.get_by_label("Organization").fill("Other Org")
    page.get_by_label("Callback URLs").fill("https://other.example/cb")
    page.get_by_label("Technical contact email").fill("new-tech@example.com")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("The change to organization, callback URLs waits")).to_be_visible()
    change = page.get_by_test_id("pending-change")
    expect(change.get_by_role("heading", name="Change waiting for review")).to_be_visible()
    uris = change.get_by_role("row", name="Callback URLs")
    expect(uris.get_by_role("cell").nth(0)).to_have_text(app.redirect_uri)
    expect(uris.get_by_role("cell").nth(1)).to_have_text("https://other.example/cb")
    expect(change.get_by_role("row", name="Organization")).to_contain_text("Other Org")
    expect(change.get_by_role("row")).to_have_count(3)  # the heading row and two changes
    # The contact applied at once; the live organization is still shown.
    expect(page.get_by_text("new-tech@example.com")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Civic Apps Ltd")
    assert_accessible(page)
    screenshot(page, "application-change-pending")

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Organization")).to_have_value("Other Org")
    expect(page.locator("#review-notice")).to_contain_text("waits for an operator's review")
    assert_accessible(page)
    page.goto(HERE)
    expect(page.get_by_role("row", name="Pothole Pal")).to_contain_text("Change waiting for review")


def test_another_users_application_is_not_found(page, ctx, make_user):
    _, email, password = make_user()
    neighbour, _, _ = make_user()
    theirs = register_app(ctx, owner_id=neighbour, name="Neighbour's App")
    sign_in(page, email, password, HERE)
    for path in ("", "/edit", "/delete"):
        answer = page.goto(f"{HERE}/{theirs.client_id}{path}")
        assert answer is not None
        assert answer.status == 404
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_text("Neighbour's App")).to_have_count(0)
    assert_accessible(page)
    page.goto(HERE)
    expect(page.get_by_text("Neighbour's App")).to_have_count(0)
