"""Every page for signed-in users sends a signed-out visitor to sign in and
back (GET and POST alike), and does nothing else."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.functional.pages import csrf_of

PAGES = [
    "/oauth/applications",
    "/oauth/applications/new",
    "/oauth/applications/some-app",
    "/oauth/applications/some-app/edit",
    "/oauth/applications/some-app/delete",
    "/oauth/authorized_applications",
    "/oauth/authorized_applications/some-app/revoke",
    "/account/security",
]
FORMS = [
    "/oauth/applications",
    "/oauth/applications/some-app/edit",
    "/oauth/applications/some-app/secret",
    "/oauth/applications/some-app/delete",
    "/oauth/authorized_applications/some-app/revoke",
    "/account/security",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_sends_visitors_to_sign_in(client, path):
    client.cookies.clear()
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={quote(path)}"


@pytest.mark.parametrize("path", FORMS)
def test_a_form_sends_visitors_to_sign_in(client, path):
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)  # a valid form, only signed out
    response = client.post(path, data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={quote(path)}"
