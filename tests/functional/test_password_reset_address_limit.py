"""Reset requests from one client address are limited across email
addresses, so one place cannot mail a link to every resident."""

from __future__ import annotations

import uuid
from contextlib import closing

from tests.functional.recovery_support import ask_for_reset

SETTINGS = {"CIVICAUTH_PASSWORD_RESET_LIMIT_ADDRESS": "2/hour"}


def test_one_client_address_is_limited_across_emails(server, make_user):
    emails = [make_user()[1], f"nobody-{uuid.uuid4().hex[:8]}@example.com", make_user()[1]]
    with closing(server.client()) as client:
        answers = [ask_for_reset(client, email) for email in emails]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "Too many reset links" in answers[-1].text
