"""Driving the pages over HTTP without a browser: sign in, read a form's CSRF token."""

from __future__ import annotations

import re

import httpx

from tests.support import LiveServer

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def signed_in(server: LiveServer, email: str, password: str) -> httpx.Client:
    """A client holding a signed-in session cookie (and the CSRF cookie)."""
    client = server.client()
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    return client


def post_form(client: httpx.Client, path: str, data: dict[str, object]) -> httpx.Response:
    """POST a form the way its page does: with the CSRF token of that page."""
    token = csrf_of(client.get(path).text)
    return client.post(path, data={**data, "_csrf_token": token})
