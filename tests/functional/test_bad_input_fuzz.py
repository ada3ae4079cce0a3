"""Nasty input never ends in a 500: ids in paths, the pages' form fields and
crafted session or CSRF cookies, each over HTTP against a live server.

A table of nasty values rather than random generation, so every run tries the
same inputs and a failure names the one that broke."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.functional.pages import csrf_of, signed_in
from tests.functional.test_page_forms_csrf import FORMS, world  # noqa: F401  (fixture)

# What int() accepts but is no id, what overflows SQLite's and PostgreSQL's
# integers, and what is no number at all.
NASTY_IDS = [
    "9223372036854775808",
    "9223372036854775807",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "2147483648",
    "0",
    "-1",
    "+1",
    "1_0",
    "1.0",
    "1e3",
    "0x10",
    "²",
    "٣",
    "\uff11",  # fullwidth one
    "%20 1",
    "abc",
]
NASTY_VALUES = [
    *NASTY_IDS,
    "",
    "\x00",
    "a" * 5000,
    "<script>alert(1)</script>",
    "ä\u202e",
    "null",
]

ID_READS = [
    "/api/v2/users/{}",
    "/api/v2/issues/{}",
    "/api/v2/issues/{}/comments",
    "/issues/{}",
]
ID_WRITES = [
    ("POST", "/api/v2/issues/{}/comments"),
    ("POST", "/api/v2/issues/{}/vote"),
    ("DELETE", "/api/v2/issues/{}/vote"),
    ("POST", "/api/v2/issues/{}/follow"),
    ("DELETE", "/api/v2/issues/{}/follow"),
    ("POST", "/api/v2/issues/{}/close"),
    ("POST", "/api/v2/issues/{}/open"),
]

_AAD = b"additional_authenticated_data="


def _sealed(associated: bytes) -> str:
    """The layout of Litestar's cookie session (nonce, ciphertext, associated
    data), with associated data of an attacker's choosing."""
    return base64.b64encode(b"\0" * 12 + b"x" * 16 + _AAD + associated).decode()


BAD_COOKIES = [
    "",
    "null",
    "garbage",
    "====",
    "%C3%A4",
    base64.b64encode(b"short").decode(),
    _sealed(b"not json"),
    _sealed(b"[]"),
    _sealed(b"1"),
    _sealed(b"{}"),
    _sealed(b'{"expires_at": "soon"}'),
    _sealed(b'{"expires_at": null}'),
    _sealed(b'{"expires_at": [1]}'),
    _sealed(b'{"expires_at": 1e999}'),
    _sealed(json.dumps({"expires_at": 10**30}).encode()),
]
COOKIE_NAMES = ["civicauth_session", "civicauth_session-0", "civicauth_csrf"]
PAGES = [
    ("GET", "/"),
    ("GET", "/login"),
    ("GET", "/signup"),
    ("GET", "/account/security"),
    ("GET", "/oauth/applications"),
    ("GET", "/oauth/authorized_applications"),
    ("GET", "/oauth/authorize?response_type=code&client_id=nobody"),
    ("GET", "/oauth/token/info"),
    ("GET", "/oauth/logout"),
    ("GET", "/issues/1"),
    ("POST", "/login"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"),
]


def no_server_error(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"


@pytest.mark.parametrize("template", ID_READS)
def test_an_id_in_a_path_that_is_no_id_is_not_found(server, template):
    with server.client() as client:
        for raw in NASTY_IDS:
            response = client.get(template.format(raw))
            assert response.status_code == 404, (raw, response.status_code, response.text[:300])


@pytest.mark.parametrize("name", ["page", "per_page"])
def test_a_page_number_that_is_no_number_is_refused(server, name):
    with server.client() as client:
        for raw in NASTY_IDS:
            response = client.get("/api/v2/issues", params={name: raw})
            assert response.status_code in (200, 422), (raw, response.status_code, response.text)
            if response.status_code == 422:
                assert name in response.json()["errors"]


@pytest.mark.parametrize(("method", "template"), ID_WRITES)
def test_a_write_to_an_id_that_is_no_id_is_not_found(server, make_user, method, template):
    _, email, password = make_user()
    with server.client(auth=(email, password)) as client:
        for raw in NASTY_IDS:
            response = client.request(method, template.format(raw), json={"comment": "hi"})
            assert response.status_code == 404, (raw, response.status_code, response.text[:300])


def test_revoking_a_token_whose_id_is_no_id_shows_the_forms_error(server, world):  # noqa: F811
    client = signed_in(server, world.email, world.password)
    token = csrf_of(client.get("/account/security").text)
    for raw in NASTY_VALUES:
        data = {"action": "revoke_token", "token_id": raw, "_csrf_token": token}
        response = client.post("/account/security", data=data)
        assert response.status_code == 404, (raw, response.status_code, response.text[:300])
        assert "no such token" in response.text
    client.close()


@pytest.mark.parametrize("name", sorted(FORMS))
def test_nasty_form_fields_are_refused_without_a_server_error(name, server, world):  # noqa: F811
    form = FORMS[name]
    client = signed_in(server, world.email, world.password) if form.signed_in else server.client()
    token = csrf_of(client.get(form.page).text)
    path, data = form.submit(world, client)
    for field in [*data, "unknown"]:
        others = {k: v for k, v in data.items() if k != field}
        no_server_error(client.post(path, data={**others, "_csrf_token": token}), f"no {field}")
        for value in NASTY_VALUES:
            sent = {**others, field: value, "_csrf_token": token}
            no_server_error(client.post(path, data=sent), f"{field}={value!r}")
        repeated = {**others, field: ["one", "two"], "_csrf_token": token}
        no_server_error(client.post(path, data=repeated), f"{field} twice")
    # Bodies of the wrong kind: JSON, and a multipart upload where a field was.
    headers = {"X-CSRFToken": token}
    no_server_error(client.post(path, json={"action": [1]}, headers=headers), "JSON body")
    files = {next(iter(data), "f"): ("x.bin", b"\xff\xfe", "application/octet-stream")}
    no_server_error(client.post(path, files=files, data={"_csrf_token": token}), "multipart")
    client.close()


@pytest.mark.parametrize("cookie", COOKIE_NAMES)
def test_a_crafted_cookie_is_no_session(server, cookie):
    for value in BAD_COOKIES:
        with server.client(cookies={cookie: value}) as client:
            for method, path in PAGES:
                no_server_error(client.request(method, path), f"{method} {path} {value!r}")
            # Treated as no session at all: the signed-in pages ask to sign in.
            answer = client.get("/account/security")
            assert answer.status_code in (302, 303), (value, answer.status_code)
            assert answer.headers["location"].startswith("/login")
