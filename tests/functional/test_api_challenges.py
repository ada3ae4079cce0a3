"""WWW-Authenticate on API v2 (RFC 7235 §4.1, RFC 6750 §3, RFC 7617): the
challenge for the scheme the client used comes first and alone carries the
error; Basic is offered where Basic was tried or nothing usable was sent."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from civicauth.tokens import secrets
from civicauth.tokens.personal import create_personal_token
from tests.functional.issues_support import bearer, oauth_token
from tests.functional.oauth_support import register_app
from tests.token_support import forged

SETTINGS = {
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": "2/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": "1000/minute",
}
_CHALLENGE = re.compile(r'([A-Za-z]+) ((?:[a-z_]+="(?:[^"\\]|\\.)*"(?:, (?=[a-z_]+=))?)+)')
_PARAM = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


def challenges(response: httpx.Response) -> list[tuple[str, dict[str, str]]]:
    """(scheme, parameters) of each challenge in WWW-Authenticate, in order."""
    header = response.headers["www-authenticate"]
    found = [(s, dict(_PARAM.findall(p))) for s, p in _CHALLENGE.findall(header)]
    assert ", ".join(f"{s} {p}" for s, p in _CHALLENGE.findall(header)) == header
    return found


def schemes(response: httpx.Response) -> list[str]:
    return [scheme for scheme, _ in challenges(response)]


def carrying_errors(response: httpx.Response) -> list[str]:
    return [scheme for scheme, params in challenges(response) if "error" in params]


def profile(server, **kwargs) -> httpx.Response:
    return httpx.get(server.url + "/api/v2/profile", **kwargs)


def rename(server, **kwargs) -> httpx.Response:
    return httpx.put(server.url + "/api/v2/profile", json={"name": "Renamed"}, **kwargs)


def basic_header(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@pytest.mark.parametrize("how", ["header", "authentication", "query"])
def test_a_bad_bearer_token_gets_only_a_bearer_challenge_with_the_error(server, how):
    token = forged(secrets.Kind.ACCESS)
    if how == "query":
        response = profile(server, params={"access_token": token})
    else:
        name = "Authorization" if how == "header" else "Authentication"
        response = profile(server, headers={name: f"Bearer {token}"})
    assert response.status_code == 401
    [(scheme, params)] = challenges(response)
    assert scheme == "Bearer"
    assert params["realm"] == "API v2"
    assert params["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="API v2", error="invalid_token"'
    )


def test_a_malformed_bearer_token_is_invalid_request_on_bearer(server):
    response = profile(server, headers={"Authorization": "Bearer not a token"})
    assert response.status_code == 400
    assert schemes(response) == ["Bearer"]
    assert challenges(response)[0][1]["error"] == "invalid_request"


def test_insufficient_scope_rides_on_bearer(server, ctx, make_user):
    user_id, _, _ = make_user()
    response = rename(server, headers=bearer(oauth_token(ctx, user_id, scope="public")))
    assert response.status_code == 403
    [(scheme, params)] = challenges(response)
    assert scheme == "Bearer"
    assert (params["error"], params["scope"]) == ("insufficient_scope", "write")


def test_insufficient_scope_of_a_token_sent_as_basic_rides_on_basic(server, ctx, make_user):
    user_id, _, _ = make_user()
    with ctx.db.transaction() as session:
        _, token = create_personal_token(
            session, user_id, name="read only", expires_in="30", scopes=["public"]
        )
    response = rename(server, auth=("__token__", token))
    assert response.status_code == 403
    assert schemes(response) == ["Basic", "Bearer"]
    assert carrying_errors(response) == ["Basic"]
    assert challenges(response)[0][1]["scope"] == "write"


def test_a_wrong_password_gets_basic_first_carrying_the_error(server, make_user):
    _, email, password = make_user()
    response = profile(server, auth=(email, password + "x"))
    assert response.status_code == 401
    assert schemes(response) == ["Basic", "Bearer"]
    assert carrying_errors(response) == ["Basic"]
    basic = challenges(response)[0][1]
    assert basic == {
        "realm": "API v2",
        "charset": "UTF-8",
        "error": "invalid_credentials",
        "error_description": "Wrong email or password.",
    }


def test_malformed_basic_is_invalid_request_on_basic(server):
    response = profile(server, headers=basic_header(b"no colon"))
    assert response.status_code == 400
    assert schemes(response) == ["Basic", "Bearer"]
    assert carrying_errors(response) == ["Basic"]
    assert challenges(response)[0][1]["error"] == "invalid_request"


def test_a_throttled_account_is_answered_on_basic(server, make_user):
    _, email, password = make_user()
    for _ in range(2):
        assert profile(server, auth=(email, "wrong")).status_code == 401
    response = profile(server, auth=(email, password))
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert schemes(response) == ["Basic", "Bearer"]
    assert carrying_errors(response) == ["Basic"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Digest username=x"}], ids=["none", "unsupported-scheme"]
)
def test_without_usable_credentials_both_challenges_and_no_error(server, headers):
    response = rename(server, headers=headers)
    assert response.status_code == 401
    assert schemes(response) == ["Basic", "Bearer"]
    assert carrying_errors(response) == []


def test_basic_and_bearer_together_is_invalid_request_on_bearer_then_basic(server):
    headers = basic_header(b"a@example.com:pw")
    response = profile(
        server, headers=headers, params={"access_token": forged(secrets.Kind.ACCESS)}
    )
    assert response.status_code == 400
    assert schemes(response) == ["Bearer", "Basic"]
    assert carrying_errors(response) == ["Bearer"]
    assert challenges(response)[0][1]["error"] == "invalid_request"


def test_a_token_for_no_user_cannot_write_and_is_told_so_on_bearer(server, ctx):
    app = register_app(ctx, server.url, grant_types=["client_credentials"])
    token = httpx.post(
        server.url + "/oauth/token", data={"grant_type": "client_credentials"}, auth=app.auth
    ).json()["access_token"]
    response = rename(server, headers=bearer(token))
    assert response.status_code == 401
    [(scheme, params)] = challenges(response)
    assert (scheme, params["error"]) == ("Bearer", "invalid_token")
