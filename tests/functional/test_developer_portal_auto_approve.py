"""With CIVICAUTH_AUTO_APPROVE_APPS=true a portal registration is approved at once."""

from __future__ import annotations

from tests.functional.pages import signed_in
from tests.functional.test_developer_portal import HERE, register_on_the_portal

SETTINGS = {"CIVICAUTH_AUTO_APPROVE_APPS": "true"}


def test_registered_app_is_approved_at_once(server, make_user):
    _, email, password = make_user()
    page = signed_in(server, email, password)
    client_id = register_on_the_portal(page)
    shown = page.get(f"{HERE}/{client_id}").text
    assert "Pending review" not in shown
    assert "any resident can authorize it" in shown
    page.close()
