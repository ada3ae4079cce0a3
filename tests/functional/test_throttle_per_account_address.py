"""Failures count per (account, address): guessing from one place stops that
place, not the resident elsewhere; a higher cap per account across every
address stops distributed guessing; a resident already verified keeps going.

Addresses are varied as a trusted proxy would forward them.
"""

from __future__ import annotations

import httpx

from tests.functional.pages import csrf_of

SETTINGS = {
    "CIVICAUTH_TRUST_FORWARDED": "true",
    "CIVICAUTH_FORWARDED_ALLOW_IPS": "127.0.0.1",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS": "3/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": "6/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": "100/minute",
}
HOME, ELSEWHERE = "198.51.100.10", "203.0.113.66"


def from_address(server, address: str) -> httpx.Client:
    return server.client(headers={"X-Forwarded-For": address})


def basic(server, address: str, email: str, password: str) -> httpx.Response:
    with from_address(server, address) as client:
        return client.get("/api/v2/profile", auth=(email, password))


def sign_in_page(client: httpx.Client, email: str, password: str) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "_csrf_token": token})


def assert_retry_after(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


def test_guessing_from_one_address_leaves_the_resident_elsewhere_alone(server, make_user):
    user_id, email, password = make_user()
    statuses = [basic(server, ELSEWHERE, email, f"guess {n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert_retry_after(basic(server, ELSEWHERE, email, password))
    assert basic(server, HOME, email, password).json()["id"] == user_id


def test_the_sign_in_page_counts_per_account_and_address(server, make_user):
    _, email, password = make_user()
    with from_address(server, ELSEWHERE) as attacker:
        assert [sign_in_page(attacker, email, "guess").status_code for _ in range(3)] == [400] * 3
        refused = sign_in_page(attacker, email, password)
    assert_retry_after(refused)
    assert "Too many failed attempts" in refused.text
    with from_address(server, HOME) as resident:
        assert sign_in_page(resident, email, password).status_code == 303


def guess_from_everywhere(server, email: str, count: int = 6) -> None:
    for n in range(count):
        assert basic(server, f"192.0.2.{n + 1}", email, "guess").status_code == 401


def test_the_account_cap_across_addresses_answers_429_with_retry_after(server, make_user):
    _, email, password = make_user()
    guess_from_everywhere(server, email)
    assert_retry_after(basic(server, HOME, email, password))
    with from_address(server, HOME) as resident:
        assert_retry_after(sign_in_page(resident, email, password))


def test_a_resident_already_verified_keeps_working_under_attack(server, make_user):
    user_id, email, password = make_user()
    assert basic(server, HOME, email, password).json()["id"] == user_id
    with from_address(server, HOME) as browser:
        assert sign_in_page(browser, email, password).status_code == 303
        guess_from_everywhere(server, email)
        # The account is at its cap: a password not yet verified is refused...
        assert_retry_after(basic(server, HOME, email, password + " but new"))
        # ...but the cached Basic credential and the live session go on.
        assert basic(server, HOME, email, password).json()["id"] == user_id
        assert browser.get("/account/security").status_code == 200
