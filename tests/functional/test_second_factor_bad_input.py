"""Nasty input to every second-factor form never ends in a 500, and never
turns a factor on or signs anyone in."""

from __future__ import annotations

from contextlib import closing

import httpx
import pytest

from tests.factor_support import enrol_totp, password_step
from tests.functional.pages import csrf_of, signed_in
from tests.functional.test_bad_input_fuzz import NASTY_VALUES

SETTINGS = {
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS": "10000/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": "10000/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": "10000/minute",
}
# Each settings form: its path, and the fields it sends (with the password
# right, so the nasty value reaches the code behind it).
SETTINGS_FORMS = {
    "/account/second-factors/totp": {"code": "", "current_password": None},
    "/account/second-factors/passkey": {"name": "key", "credential": "", "current_password": None},
    "/account/second-factors/remove": {
        "factor": "totp",
        "current_password": None,
        "code": "",
        "credential": "",
    },
    "/account/second-factors/recovery-codes": {"recovery_password": None},
}


def no_server_error(response: httpx.Response, what: object) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"


def post(
    client: httpx.Client, path: str, data: dict[str, str], page: str = "/account/security"
) -> httpx.Response:
    token = csrf_of(client.get(page).text)
    return client.post(path, data={**data, "_csrf_token": token})


@pytest.mark.parametrize("path", sorted(SETTINGS_FORMS))
def test_settings_forms_take_nasty_values(server, make_user, path):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        if path.endswith(("remove", "recovery-codes")):
            enrol_totp(client, password)
        fields = {k: password if v is None else v for k, v in SETTINGS_FORMS[path].items()}
        for name in fields:
            for value in NASTY_VALUES:
                answer = post(client, path, {**fields, name: value})
                no_server_error(answer, (path, name, value))
        response = client.get("/account/second-factors/remove", params={"factor": "\x00"})
        no_server_error(response, "remove page")


def test_sign_in_steps_take_nasty_values(server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as client:
        enrol_totp(client, password)
    with closing(server.client()) as client:
        password_step(client, email, password)
        for name in ("code", "credential"):
            for value in NASTY_VALUES:
                answer = post(client, "/login/second-factor", {name: value}, "/login")
                no_server_error(answer, (name, value))
                assert answer.status_code == 400, (name, value)
        for name in ("credential", "next"):
            for value in NASTY_VALUES:
                answer = post(client, "/login/passkey", {"credential": "{}", name: value}, "/login")
                no_server_error(answer, (name, value))
                assert answer.status_code == 400, (name, value)
