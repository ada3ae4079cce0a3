"""Behind a trusted TLS-terminating proxy: its forwarded address and scheme count."""

import httpx

SETTINGS = {
    "CIVICAUTH_TRUST_FORWARDED": "true",
    "CIVICAUTH_FORWARDED_ALLOW_IPS": "127.0.0.1",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": "100/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": "2/minute",
}


def guess(server, n: int, address: str) -> int:
    return httpx.get(
        server.url + "/api/v2/profile",
        auth=(f"guess{n}@example.com", "x"),
        headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"},
    ).status_code


def test_the_forwarded_client_address_is_the_one_throttled(server):
    assert [guess(server, n, "203.0.113.7") for n in range(3)] == [401, 401, 429]
    assert guess(server, 9, "203.0.113.8") == 401


def test_the_client_is_the_right_most_address_that_is_not_the_proxy(server):
    # The client may write anything to the left of what the proxy appends.
    chains = [f"198.51.100.{n}, 203.0.113.9, 127.0.0.1" for n in range(3)]
    assert [guess(server, n, chain) for n, chain in enumerate(chains)] == [401, 401, 429]


def token_request(server, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Host": "auth.example.org", **headers},
    )


def test_the_forwarded_scheme_is_the_one_authlib_checks(server):
    # Authlib refuses OAuth over plain http to a host that is not loopback...
    plain = token_request(server, {})
    assert plain.status_code == 400
    # ...and goes on (to ask who the client is) over the https the proxy forwarded.
    forwarded = token_request(server, {"X-Forwarded-Proto": "https"})
    assert forwarded.status_code == 401
    assert forwarded.json()["error"] == "invalid_client"
