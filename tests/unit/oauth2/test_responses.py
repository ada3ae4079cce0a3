"""The issuer on authorization responses (RFC 9207) and JSON errors."""

from __future__ import annotations

from civicauth.oauth2.responses import json_error, with_issuer

ISSUER = "https://civic.example"


def test_issuer_joins_the_query_of_a_code_response():
    location = with_issuer("https://app.example/cb?code=c&state=s", ISSUER)
    assert location == "https://app.example/cb?code=c&state=s&iss=https%3A%2F%2Fcivic.example"


def test_issuer_joins_the_fragment_of_an_implicit_response():
    location = with_issuer("https://app.example/cb#access_token=t&state=s", ISSUER)
    assert location.startswith("https://app.example/cb#access_token=t&state=s&iss=")
    assert "?" not in location


def test_json_errors_are_never_cached():
    answer = json_error(400, "invalid_request", "Bad.")
    assert answer.body == {"error": "invalid_request", "error_description": "Bad."}
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Pragma"] == "no-cache"
