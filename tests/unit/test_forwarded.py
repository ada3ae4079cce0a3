"""Which X-Forwarded-For entry is the client (civicauth/forwarded.py)."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from civicauth.forwarded import TrustedProxies, parse_address


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7:4711 ", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]:4711", "2001:db8::1"),
        ("unknown", None),
        ("_hidden", None),
        ("[2001:db8::1", None),
        ("", None),
    ],
)
def test_parse_address(entry, address):
    assert parse_address(entry) == (ip_address(address) if address else None)


@pytest.mark.parametrize(
    ("hosts", "headers", "client"),
    [
        # Any peer is a proxy: the right-most entry, which it wrote.
        (["*"], ["1.1.1.1, 203.0.113.7"], "203.0.113.7"),
        (["*"], ["1.1.1.1", "203.0.113.7"], "203.0.113.7"),
        # Named proxies are skipped from the right.
        (["10.0.0.0/8"], ["1.1.1.1, 203.0.113.7, 10.0.0.2"], "203.0.113.7"),
        (["10.0.0.1", "10.0.0.2"], ["203.0.113.7, 10.0.0.1"], "203.0.113.7"),
        # Every hop is ours: the first is the client.
        (["10.0.0.0/8"], ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),
        # Garbage where the client should be: no address taken from it.
        (["*"], ["1.1.1.1, garbage"], None),
    ],
)
def test_client_of(hosts, headers, client):
    assert TrustedProxies(hosts).client_of(headers) == (ip_address(client) if client else None)


def test_a_bad_proxy_address_is_refused():
    with pytest.raises(ValueError):
        TrustedProxies(["proxy.internal"])
