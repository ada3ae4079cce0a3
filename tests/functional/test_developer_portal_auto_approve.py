"""With CIVICAUTH_AUTO_APPROVE_APPS=true a portal registration is approved at
once, and an edit of an approved app applies at once."""

from __future__ import annotations

from civicauth.clients.services import find_client
from tests.functional.oauth_support import register_app
from tests.functional.pages import post_form, signed_in
from tests.functional.test_developer_portal import FORM, HERE, register_on_the_portal

SETTINGS = {"CIVICAUTH_AUTO_APPROVE_APPS": "true"}


def test_registered_app_is_approved_at_once(server, make_user):
    _, email, password = make_user()
    page = signed_in(server, email, password)
    client_id = register_on_the_portal(page)
    shown = page.get(f"{HERE}/{client_id}").text
    assert "Pending review" not in shown
    assert "any resident can authorize it" in shown
    page.close()


def test_an_edit_of_an_approved_app_applies_at_once(server, ctx, make_user):
    owner_id, email, password = make_user()
    app = register_app(ctx, server.url, owner_id=owner_id)
    page = signed_in(server, email, password)
    assert 'id="review-notice"' not in page.get(f"{HERE}/{app.client_id}/edit").text
    form = {**FORM, "name": "Renamed", "redirect_uris": "https://renamed.example/cb"}
    answer = post_form(page, f"{HERE}/{app.client_id}/edit", form)
    assert answer.status_code == 303, answer.text[:500]
    shown = page.get(f"{HERE}/{app.client_id}").text
    assert "Renamed is updated." in shown
    assert 'data-testid="pending-change"' not in shown
    with ctx.db.read() as session:
        client = find_client(session, app.client_id)
        assert client is not None
        assert (client.name, client.redirect_uris) == ("Renamed", ["https://renamed.example/cb"])
        assert client.pending_change is None
    page.close()
