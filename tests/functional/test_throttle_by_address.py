"""Failed attempts are limited per client address as well as per account."""

import httpx

SETTINGS = {
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": "100/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": "4/minute",
}


def test_many_accounts_from_one_address_are_throttled(server, make_user):
    for n in range(4):
        # Forwarded headers are not trusted unless the operator says so.
        response = httpx.get(
            server.url + "/api/v2/profile",
            auth=(f"guess{n}@example.com", "x"),
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        assert response.status_code == 401
    _, email, password = make_user()
    response = httpx.get(server.url + "/api/v2/profile", auth=(email, password))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
