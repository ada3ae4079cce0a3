"""Revoking an application on the authorized-applications page, over HTTP:
its access token, refresh token and consent end; nothing else does."""

from __future__ import annotations

import httpx

from tests.functional.oauth_support import register_app
from tests.functional.pages import csrf_of, post_form, signed_in
from tests.grants import issue_tokens

HERE = "/oauth/authorized_applications"


def refresh(server, app, refresh_token: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=app.auth,
    )


def bearer(server, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.url}/api/v2/profile", headers=headers).status_code


def test_revoke_ends_access_and_refresh_tokens(server, ctx, make_user):
    user_id, email, password = make_user()
    app = register_app(ctx, server.url)
    access, refresh_token = issue_tokens(ctx, user_id, app.pk)
    other_access, _ = issue_tokens(ctx, user_id, register_app(ctx, server.url).pk)
    assert bearer(server, access) == 200
    page = signed_in(server, email, password)

    answer = post_form(page, f"{HERE}/{app.client_id}/revoke", {})
    assert answer.status_code == 303
    assert bearer(server, access) == 401
    refused = refresh(server, app, refresh_token)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert bearer(server, other_access) == 200
    assert app.client_id not in page.get(HERE).text
    page.close()


def test_another_users_app_cannot_be_revoked(server, ctx, make_user):
    _, email, password = make_user()
    neighbour, _, _ = make_user()
    app = register_app(ctx, server.url)
    access, _ = issue_tokens(ctx, neighbour, app.pk)
    page = signed_in(server, email, password)
    token_page = page.get("/account/security")  # any page of ours carries a CSRF token
    answer = page.post(
        f"{HERE}/{app.client_id}/revoke", data={"_csrf_token": csrf_of(token_page.text)}
    )
    assert answer.status_code == 404
    assert bearer(server, access) == 200
    page.close()
