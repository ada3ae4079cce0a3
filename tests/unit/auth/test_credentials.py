import base64

import pytest

from civicauth.auth.credentials import (
    BasicCredentials,
    BearerCredentials,
    extract,
    parse_header,
)
from civicauth.auth.errors import AuthFailure


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


def test_basic_splits_at_the_first_colon_only():
    assert parse_header(basic(b"a@example.com:pa:ss:word")) == BasicCredentials(
        "a@example.com", "pa:ss:word"
    )


def test_basic_is_utf8():
    creds = parse_header(basic("zoë@example.com:pässwörd✓".encode()))
    assert creds == BasicCredentials("zoë@example.com", "pässwörd✓")


def test_scheme_is_case_insensitive():
    assert isinstance(parse_header("bAsIc " + base64.b64encode(b"a:b").decode()), BasicCredentials)
    assert parse_header("BEARER abc.def") == BearerCredentials("abc.def", "header")


@pytest.mark.parametrize(
    ("header", "description"),
    [
        ("Basic !!!notbase64", "base64"),
        ("Basic " + base64.b64encode(b"no-colon-here").decode(), "user:password"),
        ("Basic", "empty"),
        ("Basic ", "empty"),
        (basic(b"\xff\xfe:\xff"), "UTF-8"),
        (basic(b"a\x00@example.com:pw"), "control characters"),
        (basic(b"a@example.com:p\x7fw"), "control characters"),
        (basic(b"a@example.com:p\tw"), "control characters"),
        ("Basic " + "A" * 65536, "too long"),
        ("Bearer", "empty"),
        ("Bearer a b", "malformed"),
    ],
)
def test_malformed_headers_are_invalid_request(header, description):
    with pytest.raises(AuthFailure) as caught:
        parse_header(header)
    assert caught.value.status == 400
    assert caught.value.error == "invalid_request"
    assert description in caught.value.description


def test_unknown_scheme_is_a_challenge_without_error_code():
    with pytest.raises(AuthFailure) as caught:
        parse_header("Digest username=x")
    assert caught.value.status == 401
    assert "error=" not in caught.value.headers()["WWW-Authenticate"]


def test_authentication_header_takes_bearer_only():
    assert extract([], ["Bearer tok"], [], []) == BearerCredentials("tok", "header")
    with pytest.raises(AuthFailure):
        extract([], [basic(b"a:b")], [], [])


@pytest.mark.parametrize(
    "parts",
    [
        (["Bearer a"], [], ["a"], []),
        (["Bearer a"], ["Bearer a"], [], []),
        ([], [], ["a"], ["a"]),
        ([], [], ["a", "b"], []),
        ([basic(b"a:b"), basic(b"a:b")], [], [], []),
    ],
)
def test_more_than_one_method_is_invalid_request(parts):
    with pytest.raises(AuthFailure) as caught:
        extract(*parts)
    assert (caught.value.status, caught.value.error) == (400, "invalid_request")


def test_no_credentials_is_anonymous():
    assert extract([], [], [], []) is None
