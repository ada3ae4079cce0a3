"""What the browser tests of OpenID Connect relying parties share: the app
they register (its redirect URI the server's demo callback page, its
sign-out return URL the sign-in page) and the sign-in the resident goes
through on the way to consent."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from civicauth.oauth2.metadata import DEMO_CALLBACK_PATH
from tests.functional.openid_support import openid_app

CALLBACK = DEMO_CALLBACK_PATH
CALLBACK_HEADING = "Demo app: what came back"
SIGNED_OUT = "/login"  # where the apps send residents after signing them out


def relying_party_app(ctx: Any, server_url: str) -> Any:
    """An approved OpenID Connect app that comes back to the demo callback."""
    return openid_app(
        ctx,
        server_url,
        redirect_uris=[server_url + CALLBACK],
        post_logout_redirect_uris=[server_url + SIGNED_OUT],
    )


def sign_in_on_the_way(page: Page, email: str, password: str) -> None:
    """The sign-in page an authorization request sends a signed-out browser to."""
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
