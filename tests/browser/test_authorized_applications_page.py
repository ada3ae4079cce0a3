"""Authorized applications in real Chromium: the list, the confirmation step,
and a revoked app's token refused by every worker within one second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens
from tests.support import Backend, LiveServer, live_server

HERE = "/oauth/authorized_applications"


@pytest.fixture(scope="module")
def server(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Two workers: a revocation must reach the one that did not serve it."""
    with live_server(backend.env, tmp_path_factory.mktemp("server"), workers=2) as running:
        yield running


def api_status(server: LiveServer, token: str) -> int:
    # A new connection per request, so the requests spread over the workers.
    answer = httpx.get(f"{server.url}/api/v2/profile", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


def authorize_in_browser(page, server: LiveServer, app, scope: str) -> str:  # type: ignore[no-untyped-def]
    """Approve the app on the consent page and exchange the code: a real token."""
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": scope,
        "state": "s",
    }
    page.goto(f"/oauth/authorize?{urlencode(params)}")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"{app.redirect_uri}?*")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    answer = httpx.post(
        f"{server.url}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        auth=app.auth,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_signing_in_is_needed(page):
    page.goto(HERE)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_nothing_authorized_yet(page, make_user):
    _, email, password = make_user()
    sign_in(page, email, password, HERE)
    expect(page.get_by_text("You have not authorized any application.")).to_be_visible()
    assert_accessible(page)


def test_revoked_app_loses_access_in_every_worker_within_a_second(page, server, ctx, make_user):
    _, email, password = make_user()
    pothole = register_app(ctx, server.url, name="Pothole Pal", organization="Civic Apps Ltd")
    graffiti = register_app(
        ctx, server.url, name="Graffiti Watch", organization="Clean Walls Co-op"
    )
    sign_in(page, email, password, HERE)
    access = authorize_in_browser(page, server, pothole, "public write")
    kept = authorize_in_browser(page, server, graffiti, "public")
    # Every worker now holds the token in its cache of verified credentials.
    assert [api_status(server, access) for _ in range(20)] == [200] * 20

    page.goto(HERE)
    row = page.get_by_role("row", name="Pothole Pal")
    expect(row).to_contain_text("Civic Apps Ltd")
    expect(row).to_contain_text("write: Act for you")
    expect(page.get_by_role("row", name="Graffiti Watch")).not_to_contain_text("write")
    assert_accessible(page)
    screenshot(page, "authorized-applications")

    page.get_by_role("link", name="Revoke Pothole Pal").click()
    expect(page.get_by_role("heading", name="Revoke access for Pothole Pal?")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "authorized-application-revoke")
    page.get_by_role("button", name="Revoke access").click()
    expect(page.get_by_text("Pothole Pal can no longer act for you.")).to_be_visible()
    revoked = time.monotonic()
    expect(page.get_by_role("row", name="Pothole Pal")).to_have_count(0)

    # Another worker may trust its cached lookup for at most one second
    # (auth/cache.py); once that bound has passed, none may accept the token.
    time.sleep(max(0.0, revoked + 1.0 - time.monotonic()))
    assert [api_status(server, access) for _ in range(20)] == [401] * 20
    assert api_status(server, kept) == 200
    page.goto("/account/security")
    expect(page.get_by_role("cell", name="Revoked an application")).to_be_visible()


def test_cancel_keeps_the_app(page, ctx, make_user):
    user_id, email, password = make_user()
    app = register_app(ctx, name="Streetlight Report")
    issue_tokens(ctx, user_id, app.pk, "public")
    sign_in(page, email, password, HERE)
    page.get_by_role("link", name="Revoke Streetlight Report").click()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("row", name="Streetlight Report")).to_be_visible()


def test_another_users_app_is_not_found(page, ctx, make_user):
    _, email, password = make_user()
    neighbour, _, _ = make_user()
    app = register_app(ctx, name="Neighbour's App")
    issue_tokens(ctx, neighbour, app.pk)
    sign_in(page, email, password, HERE)
    answer = page.goto(f"{HERE}/{app.client_id}/revoke")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
