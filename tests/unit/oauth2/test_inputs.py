"""Reading OAuth parameters: strict form encoding, printable ASCII, no repeats."""

from __future__ import annotations

import pytest

from civicauth.oauth2.inputs import MalformedRequest, check_parameters, parse_urlencoded
from civicauth.oauth2.requests import CivicPayload


def test_parses_form_encoding_keeping_blanks_and_order():
    assert parse_urlencoded(b"a=1&b=&c=x+y%21") == [("a", "1"), ("b", ""), ("c", "x y!")]


@pytest.mark.parametrize("raw", [b"\xff=1", b"a=%ff", b"&".join([b"p=1"] * 40)])
def test_refuses_what_is_not_utf8_form_encoding_or_too_many_fields(raw):
    with pytest.raises(MalformedRequest):
        parse_urlencoded(raw)


@pytest.mark.parametrize(
    "params",
    [
        [("state", "a"), ("state", "b")],
        [("client_id", "a\x00b")],
        [("state", "caf\u00e9")],
        [("scope", "public\nwrite")],
        [("redirect_uri", "x" * 2001)],
        [("n" * 65, "1")],
    ],
    ids=["repeated", "nul", "non-ascii", "newline", "long-value", "long-name"],
)
def test_refuses_what_rfc_6749_does_not_allow(params):
    with pytest.raises(MalformedRequest):
        check_parameters(params)


def test_accepts_printable_ascii_within_limits():
    check_parameters([("state", "~!@#$%^&*()_+ {}|:<>?"), ("redirect_uri", "x" * 2000)])


def test_blank_values_count_as_omitted():
    payload = CivicPayload((("scope", ""), ("state", "s")))
    assert payload.data == {"state": "s"}
    assert "scope" not in payload.datalist
