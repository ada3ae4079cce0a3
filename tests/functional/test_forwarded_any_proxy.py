"""With ``CIVICAUTH_FORWARDED_ALLOW_IPS=*`` the client address is the
right-most X-Forwarded-For entry, the one the proxy wrote: whatever the
client puts to its left changes neither the limits nor the security log."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from civicauth.accounts.models import AuditEvent

SETTINGS = {
    "CIVICAUTH_TRUST_FORWARDED": "true",
    "CIVICAUTH_FORWARDED_ALLOW_IPS": "*",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": "100/minute",
    "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": "2/minute",
}
CLIENT = "203.0.113.7"


def spoofed_guess(server, email: str, spoof: str) -> int:
    # The client wrote ``spoof``; the proxy appended the address it saw.
    headers = {"X-Forwarded-For": f"{spoof}, {CLIENT}"}
    return httpx.get(server.url + "/api/v2/profile", auth=(email, "x"), headers=headers).status_code


def test_a_spoofed_left_most_entry_does_not_escape_the_address_limit(server):
    statuses = [spoofed_guess(server, f"guess{n}@example.com", f"10.9.8.{n}") for n in range(3)]
    assert statuses == [401, 401, 429]


def test_the_security_log_records_the_address_the_proxy_saw(server, ctx, make_user):
    user_id, email, _ = make_user()
    headers = {"X-Forwarded-For": "192.0.2.250, 198.51.100.99"}
    response = httpx.get(server.url + "/api/v2/profile", auth=(email, "x"), headers=headers)
    assert response.status_code == 401
    with ctx.db.read() as session:
        query = select(AuditEvent.address).where(AuditEvent.user_id == user_id)
        assert list(session.scalars(query)) == ["198.51.100.99"]
