"""The developer portal over HTTP: a registered app waits for the operator's
``civicauth apps approve``; another user's application is 404 to every form."""

from __future__ import annotations

import re

from civicauth.clients.services import find_client
from tests.functional.oauth_support import APP_DETAILS, register_app
from tests.functional.pages import csrf_of, signed_in
from tests.support import run_civicauth

HERE = "/oauth/applications"
FORM = {
    **APP_DETAILS,
    "redirect_uris": "https://pothole.example/cb",
    "client_type": "confidential",
    "grant_types": ["authorization_code", "refresh_token"],
    "scopes": ["public", "write"],
}


def register_on_the_portal(client) -> str:  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(HERE + "/new").text)
    answer = client.post(HERE, data={**FORM, "_csrf_token": token})
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["location"].rsplit("/", 1)[1]


def test_registered_app_is_pending_until_the_operator_approves(server, backend, make_user):
    _, email, password = make_user()
    page = signed_in(server, email, password)
    client_id = register_on_the_portal(page)
    assert "Pending review" in page.get(f"{HERE}/{client_id}").text

    approve = run_civicauth(backend, "apps", "approve", client_id)
    assert approve.returncode == 0, approve.stderr
    assert "tech@example.com" in approve.stdout  # the operator sees the contacts
    shown = page.get(f"{HERE}/{client_id}").text
    assert "Pending review" not in shown
    assert "Approved" in shown
    page.close()


def test_bad_client_type_is_refused(server, make_user):
    _, email, password = make_user()
    page = signed_in(server, email, password)
    token = csrf_of(page.get(HERE + "/new").text)
    answer = page.post(HERE, data={**FORM, "client_type": "root", "_csrf_token": token})
    assert answer.status_code == 422
    assert re.search(r'id="client_type-error"[^>]*>Application type is not one', answer.text)
    assert "You have not registered any application yet." in page.get(HERE).text
    page.close()


def test_another_users_application_is_404_to_every_form(server, ctx, make_user):
    _, email, password = make_user()
    neighbour, _, _ = make_user()
    theirs = register_app(ctx, owner_id=neighbour, name="Neighbour's App")
    page = signed_in(server, email, password)
    token = csrf_of(page.get(HERE).text)
    for path, data in (
        ("/edit", {**FORM, "name": "Hijacked"}),
        ("/secret", {}),
        ("/delete", {}),
    ):
        answer = page.post(f"{HERE}/{theirs.client_id}{path}", data={**data, "_csrf_token": token})
        assert answer.status_code == 404, path
    with ctx.db.read() as session:
        stored = find_client(session, theirs.client_id)
        assert stored is not None
        assert stored.name == "Neighbour's App"
    page.close()
