"""HTTP Basic client credentials (RFC 6749 §2.3.1, RFC 7617)."""

from __future__ import annotations

import base64

import pytest

from civicauth.oauth2.client_auth import basic_credentials


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def test_reads_form_encoded_id_and_secret():
    assert basic_credentials(basic(b"my%20app:s%3Ac+r")) == ("my app", "s:c r")


def test_the_secret_may_hold_colons():
    assert basic_credentials(basic(b"app:a:b:c")) == ("app", "a:b:c")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer abc",
        "Basic",
        "Basic !!!",
        basic(b"\xff\xfe:x"),
        basic(b"no-colon"),
        basic(b":secret-without-id"),
        basic(b"app\x00:secret"),
        basic(b"app%00:secret"),
        basic(b"app:s%0Acret"),
        basic("app:sécret".encode()),
        "Basic " + "QUFB" * 400,
    ],
)
def test_anything_else_is_no_credentials(header):
    assert basic_credentials(header) is None
