"""A password changed on "Password & Security" ends every other session and
every cached Basic credential of that user; this session goes on."""

from __future__ import annotations

import httpx

from tests.functional.pages import post_form, signed_in

NEW_PASSWORD = "a different long password"


def change(client: httpx.Client, current: str, new: str) -> httpx.Response:
    return post_form(
        client,
        "/account/security",
        {
            "action": "change_password",
            "current_password": current,
            "password": new,
            "password_confirmation": new,
        },
    )


def test_other_sessions_and_cached_basic_die(server, make_user):
    _, email, password = make_user()
    this, other = signed_in(server, email, password), signed_in(server, email, password)
    api = f"{server.url}/api/v2/profile"
    # Cache the Basic credentials in the server before the change.
    assert httpx.get(api, auth=(email, password)).status_code == 200
    assert httpx.get(api, auth=(email, password)).status_code == 200

    assert change(this, password, NEW_PASSWORD).status_code == 303

    assert this.get("/account/security").status_code == 200
    assert other.get("/account/security").headers["location"].startswith("/login")
    assert httpx.get(api, auth=(email, password)).status_code == 401
    assert httpx.get(api, auth=(email, NEW_PASSWORD)).json()["email"] == email
    this.close()
    other.close()


def test_wrong_current_password_changes_nothing(server, make_user):
    _, email, password = make_user()
    client = signed_in(server, email, password)
    answer = change(client, "not the password", NEW_PASSWORD)
    assert answer.status_code == 422
    assert "is incorrect" in answer.text
    api = f"{server.url}/api/v2/profile"
    assert httpx.get(api, auth=(email, password)).status_code == 200
    assert httpx.get(api, auth=(email, NEW_PASSWORD)).status_code == 401
    client.close()


def test_new_password_must_follow_the_rules(server, make_user):
    _, email, password = make_user()
    client = signed_in(server, email, password)
    answer = post_form(
        client,
        "/account/security",
        {
            "action": "change_password",
            "current_password": password,
            "password": "short",
            "password_confirmation": "other",
        },
    )
    assert answer.status_code == 422
    assert "too short" in answer.text
    assert "doesn&#39;t match" in answer.text
    client.close()
