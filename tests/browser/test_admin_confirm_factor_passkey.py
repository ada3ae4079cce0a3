"""The operator's confirm-factor step with a passkey, in real Chromium: an
operator whose second factor is a passkey (made and used through Chromium's
virtual authenticator, the DevTools protocol's WebAuthn domain) is asked for
it again before an action, proves it with the key, and the action goes
through. axe-core and a screenshot of the step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from civicauth.clients.models import Client
from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.browser.test_second_factors import virtual_authenticator
from tests.functional.admin_support import make_operator, password_long_ago
from tests.functional.oauth_support import register_app
from tests.support import LiveServer, live_server


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """Named ``localhost``: a WebAuthn relying party id must be a domain,
    and http://localhost is a secure context."""
    tmp = tmp_path_factory.mktemp("server")
    with live_server(backend.env, tmp, public_host="localhost") as running:
        yield running


def add_passkey(page, password: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/account/security")
    page.get_by_role("link", name="Add a passkey or security key").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Current password").fill(password)
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()


def test_an_operator_proves_a_passkey_before_an_action(page, ctx, make_user):
    virtual_authenticator(page)
    operator_id, email, password = make_operator(ctx, make_user)
    sign_in(page, email, password)
    add_passkey(page, password, "office key")
    app = register_app(ctx, status="pending", name="Keyed Approval")
    password_long_ago(ctx, operator_id)  # the password was entered 11 minutes ago

    page.goto(f"/admin/apps/{app.client_id}")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm password").click()
    page.get_by_role("button", name="Approve", exact=True).click()

    expect(page.get_by_role("heading", name="Confirm your second factor")).to_be_visible()
    key = page.get_by_role("button", name="Use a passkey or security key")
    expect(key).to_be_visible()  # the script found WebAuthn and the page's options
    # A passkey only: the code field takes a recovery code, not an app's code.
    expect(page.get_by_label("Recovery code")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-confirm-factor-passkey")
    with ctx.db.read() as session:
        assert session.get(Client, app.pk).status == "pending"  # nothing done yet

    key.click()
    expect(page.get_by_text("Second factor confirmed. You can go on.")).to_be_visible()
    expect(page.get_by_role("heading", name="Keyed Approval")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("app-status")).to_have_text("Approved")
    with ctx.db.read() as session:
        assert session.get(Client, app.pk).status == "approved"
