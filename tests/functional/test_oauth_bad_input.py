"""Bad input anywhere on /oauth/* gets an RFC error, never a 500: missing,
repeated and oversized parameters, garbage headers, wrong content types."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.functional.oauth_support import register_app

FORM = {"content-type": "application/x-www-form-urlencoded"}
# RFC 6749 §5.2, RFC 7009 §2.2.1 and RFC 6750 §3.1 codes.
RFC_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "unsupported_token_type",
    "invalid_token",
}
ENDPOINTS = ["/oauth/token", "/oauth/revoke", "/oauth/introspect"]


def basic(raw: bytes) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(raw).decode()}


BAD_REQUESTS = {
    "empty": {},
    "repeated-in-body": {"content": b"grant_type=client_credentials&grant_type=x", "headers": FORM},
    "repeated-across-query-and-body": {
        "params": {"grant_type": "client_credentials"},
        "content": b"grant_type=client_credentials",
        "headers": FORM,
    },
    "oversized-value": {"data": {"grant_type": "client_credentials", "scope": "x" * 3000}},
    "too-many-parameters": {"data": {f"p{i}": "1" for i in range(40)}},
    "64KB-body": {"content": b"token=" + b"a" * 65536, "headers": FORM},
    "json": {"json": {"grant_type": "client_credentials", "token": "x"}},
    "multipart": {"files": {"token": ("t.txt", b"x")}},
    "text-plain": {"content": b"grant_type=client_credentials", "headers": {"content-type": "x"}},
    "no-content-type": {"content": b"grant_type=client_credentials"},
    "not-utf8-body": {"content": b"token=\xff\xfe&grant_type=\xc3\x28", "headers": FORM},
    "not-utf8-escapes": {"content": b"token=%ff%fe", "headers": FORM},
    "nul-byte": {"content": b"grant_type=client_credentials&client_id=a%00b", "headers": FORM},
    "bad-escapes": {"content": b"token=%zz%&&==&grant_type=%", "headers": FORM},
    "control-characters": {"data": {"token": "a\r\nSet-Cookie: x=y"}},
    "basic-not-base64": {"headers": {"authorization": "Basic !!!"}},
    "basic-not-utf8": {"headers": basic(b"\xff\xfe:\xc3\x28")},
    "basic-no-colon": {"headers": basic(b"just-an-id")},
    "basic-empty": {"headers": {"authorization": "Basic"}},
    "64KB-authorization": {"headers": {"authorization": "Basic " + "QUFB" * 16384}},
    "two-authorizations": {
        "headers": [("authorization", "Basic YTpi"), ("authorization", "Basic YzpZA==")]
    },
    "bearer-at-token-endpoint": {"headers": {"authorization": "Bearer cva_x"}},
    "garbage-query": {"params": {"grant_type": "\x00\x01", "code": "%"}},
}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_on_the_json_endpoints_gets_an_rfc_error(server, path, case):
    response = httpx.post(server.url + path, **BAD_REQUESTS[case])
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"] in RFC_ERRORS
    assert response.headers["cache-control"] == "no-store"


WRONG_METHODS = [(path, method) for path in ENDPOINTS for method in ("GET", "PUT", "DELETE")]
WRONG_METHODS += [("/.well-known/oauth-authorization-server", m) for m in ("POST", "DELETE")]


@pytest.mark.parametrize(("path", "method"), WRONG_METHODS)
def test_wrong_methods_get_an_rfc_error(server, path, method):
    response = httpx.request(method, server.url + path)
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


def test_bad_input_with_a_real_client_still_gets_rfc_errors(server, ctx):
    app = register_app(ctx, server.url, grant_types=["client_credentials"])
    response = httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "public\x00write"},
        auth=app.auth,
    )
    assert response.json()["error"] == "invalid_request"
    response = httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "public public write write"},
        auth=app.auth,
    )
    assert response.status_code == 200


AUTHORIZE_CASES = {
    "nothing": {},
    "repeated": {"params": [("response_type", "code"), ("response_type", "token")]},
    "oversized": {"params": {"response_type": "code", "state": "s" * 5000}},
    "not-ascii": {"params": {"response_type": "\xff", "client_id": "ü"}},
    "quotes-in-errors": {"params": {"response_type": 'a"b\\c', "client_id": 'x"'}},
    "nul": {"params": {"response_type": "code", "client_id": "a\x00"}},
    "too-many": {"params": {f"p{i}": "1" for i in range(40)}},
    "garbage-cookie": {"headers": {"cookie": 'civicauth_session=%%%; civicauth_csrf="x'}},
}


@pytest.mark.parametrize("case", list(AUTHORIZE_CASES))
def test_bad_authorization_requests_get_an_error_page(server, case):
    response = httpx.get(server.url + "/oauth/authorize", **AUTHORIZE_CASES[case])
    assert 400 <= response.status_code < 500
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("case", ["json", "multipart", "64KB-body", "not-utf8-body"])
def test_bad_consent_posts_never_fail_with_500(server, case):
    response = httpx.post(server.url + "/oauth/authorize", **BAD_REQUESTS[case])
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": "Bearer"},
        {"authorization": "Bearer a b c"},
        {"authorization": "Digest x"},
        {"authentication": "Basic YTpi"},
        {"authorization": "Bearer " + "A" * 65536},
        basic(b"\xff:\xfe"),
    ],
)
def test_bad_credentials_at_token_info_get_rfc_6750_errors(server, headers):
    response = httpx.get(server.url + "/oauth/token/info", headers=headers)
    assert response.status_code in (400, 401)
    assert response.json()["error"] in RFC_ERRORS | {"unauthorized", "invalid_credentials"}
