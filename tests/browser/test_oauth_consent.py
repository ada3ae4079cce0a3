"""Sign-in, consent (Approve and Deny) and the implicit flow's fragment in
real Chromium, against a live server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.functional.oauth_support import register_app

CALLBACK = "/oauth/demo/callback"


def authorize_url(app, response_type: str = "code", scope: str = "public write") -> str:
    query = {
        "response_type": response_type,
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": scope,
        "state": "browser-state",
    }
    return "/oauth/authorize?" + urlencode(query)


def sign_in_on_the_way(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def received(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    parts = urlsplit(page.url)
    return {k: v[0] for k, v in parse_qs(parts.fragment or parts.query).items()}


def test_sign_in_then_approve_sends_a_code_back(page, server, ctx, make_user):
    _, email, password = make_user()
    app = register_app(ctx, server.url, redirect_uris=[server.url + CALLBACK])
    page.goto(authorize_url(app))
    sign_in_on_the_way(page, email, password)
    expect(page.get_by_role("heading", name="Authorize Pothole Pal?")).to_be_visible()
    expect(page.get_by_text("Civic Apps Ltd")).to_be_visible()
    expect(
        page.get_by_text("See your profile, including your name and email address.")
    ).to_be_visible()
    expect(page.get_by_text("report issues, comment, vote and follow issues")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name="Demo app: what came back")).to_be_visible()
    got = received(page)
    assert got["state"] == "browser-state"
    assert got["iss"] == server.url
    expect(page.locator("#received-code")).to_have_text(got["code"])
    screenshot(page, "oauth-callback")
    data = {
        "grant_type": "authorization_code",
        "code": got["code"],
        "redirect_uri": app.redirect_uri,
    }
    token = httpx.post(server.url + "/oauth/token", data=data, auth=app.auth).json()
    assert token["scope"] == "public write"


def test_deny_sends_access_denied_back(page, server, ctx, make_user):
    _, email, password = make_user()
    app = register_app(ctx, server.url, redirect_uris=[server.url + CALLBACK])
    page.goto(authorize_url(app))
    sign_in_on_the_way(page, email, password)
    page.get_by_role("button", name="Deny").click()
    expect(page.locator("#received-error")).to_have_text("access_denied")
    got = received(page)
    assert got["error"] == "access_denied"
    assert got["state"] == "browser-state"
    assert "code" not in got


def test_implicit_flow_puts_the_token_in_the_fragment(page, server, ctx, make_user):
    user_id, email, password = make_user()
    app = register_app(
        ctx, server.url, redirect_uris=[server.url + CALLBACK], grant_types=["implicit"]
    )
    page.goto(authorize_url(app, response_type="token", scope="public"))
    sign_in_on_the_way(page, email, password)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name="Demo app: what came back")).to_be_visible()
    parts = urlsplit(page.url)
    assert parts.query == ""  # the server never saw the token
    got = received(page)
    assert got["token_type"] == "Bearer"
    assert got["scope"] == "public"
    assert got["state"] == "browser-state"
    assert "refresh_token" not in got
    expect(page.get_by_text("the access token is in the address bar")).to_be_visible()
    profile = httpx.get(
        server.url + "/api/v2/profile", headers={"Authorization": f"Bearer {got['access_token']}"}
    )
    assert profile.json()["id"] == user_id


def test_a_bad_redirect_uri_shows_the_error_page_in_the_browser(page, server, ctx, make_user):
    app = register_app(ctx, server.url, redirect_uris=[server.url + CALLBACK])
    answer = page.goto(
        "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": "https://evil.example/",
            }
        )
    )
    assert answer is not None
    assert answer.status == 400
    expect(page.get_by_role("alert")).to_contain_text("not supported")
    assert urlsplit(page.url).netloc == urlsplit(server.url).netloc
    screenshot(page, "oauth-error")
