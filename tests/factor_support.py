"""Driving second factors over HTTP: enrol an authenticator app with codes
computed by pyotp from the secret on the page, and sign in through the second step."""

from __future__ import annotations

import re
import time

import httpx
import pyotp

from tests.functional.pages import csrf_of, post_form

_SECRET = re.compile(r'data-testid="totp-secret">([^<]+)<')
_CODE = re.compile(r"<li><code>([a-z0-9-]+)</code></li>")


def secret_on_page(html: str) -> str:
    match = _SECRET.search(html)
    assert match, "the page shows no authenticator secret"
    return match.group(1).replace(" ", "")


def recovery_codes_on(html: str) -> list[str]:
    return _CODE.findall(html)


def code_after(secret: str, steps: int) -> str:
    """The code of the time step ``steps`` from now: the server accepts one
    step either side, and a step it has accepted once never again."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def enrol_totp(client: httpx.Client, password: str) -> tuple[str, list[str]]:
    """Turn on an authenticator app for the signed-in user: (secret, recovery codes)."""
    page = client.get("/account/second-factors/totp")
    assert page.status_code == 200, page.text
    secret = secret_on_page(page.text)
    fields = {"code": pyotp.TOTP(secret).now(), "current_password": password}
    answer = client.post(
        "/account/second-factors/totp", data={**fields, "_csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 200, answer.text
    codes = recovery_codes_on(answer.text)
    assert len(codes) == 10
    return secret, codes


def password_step(
    client: httpx.Client, email: str, password: str, next_path: str = "/"
) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    fields = {"email": email, "password": password, "next": next_path, "_csrf_token": token}
    return client.post("/login", data=fields)


def factor_step(client: httpx.Client, code: str) -> httpx.Response:
    return post_form(client, "/login/second-factor", {"code": code})
