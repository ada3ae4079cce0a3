"""Helpers for the OAuth functional tests: register applications, and drive
the sign-in and consent forms with httpx the way a browser would (GET the
page, read the form's CSRF token, POST)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from civicauth.clients.services import Registration, register_client
from tests.support import LiveServer

CALLBACK = "/cb"
# The seed's text items of a registration, as every test fills them in.
APP_DETAILS = {
    "name": "Pothole Pal",
    "organization": "Civic Apps Ltd",
    "technical_contact_name": "Tess Tech",
    "technical_contact_email": "tech@example.com",
    "technical_contact_phone": "+1 203 555 0100",
    "admin_contact_name": "Adam Admin",
    "admin_contact_email": "admin@example.com",
    "admin_contact_phone": "+1 203 555 0101",
}


def register_app(ctx: Any, server_url: str = "http://127.0.0.1:9", **changes: Any) -> Any:
    """An approved (unless told) application; returns an object with
    client_id, client_secret, redirect_uri and pk."""
    status = changes.pop("status", "approved")
    owner_id = changes.pop("owner_id", None)
    values: dict[str, Any] = {**APP_DETAILS, "redirect_uris": [server_url + CALLBACK], **changes}
    with ctx.db.transaction() as session:
        client, secret = register_client(
            session, Registration(**values), status=status, owner_id=owner_id
        )
        return App(client.id, client.client_id, secret, values["redirect_uris"][0])


class App:
    def __init__(self, pk: int, client_id: str, client_secret: str | None, redirect_uri: str):
        self.pk = pk
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri

    @property
    def auth(self) -> tuple[str, str]:
        assert self.client_secret is not None
        return (self.client_id, self.client_secret)


def authorize_params(app: App, response_type: str = "code", **extra: str) -> dict[str, str]:
    """An authorization request of ``app`` back to its registered redirect
    URI (RFC 6749 §4.1.1, §4.2.1)."""
    return {
        "response_type": response_type,
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        **extra,
    }


def form_of(html: str, path: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the POST form that goes to ``path``."""
    pattern = rf'<form method="post" action="({re.escape(path)}[^"]*)"[^>]*>(.*?)</form>'
    match = re.search(pattern, html, re.S)
    assert match, f"page has no form posting to {path}"
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(2))
    return unescape(match.group(1)), {name: unescape(value) for name, value in hidden}


def callback_params(response: httpx.Response) -> dict[str, str]:
    """The parameters of a redirect back to the client, from the query or,
    for the implicit flow, the fragment."""
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    parts = urlsplit(response.headers["location"])
    raw = parts.fragment or parts.query
    return {name: values[0] for name, values in parse_qs(raw, keep_blank_values=True).items()}


class Resident:
    """A signed-in user with a cookie jar, as a browser would hold one."""

    def __init__(
        self, server_url: str, email: str, password: str, user_id: int | None = None
    ) -> None:
        self.http = httpx.Client(base_url=server_url, follow_redirects=False, timeout=10)
        self.email, self.password, self.user_id = email, password, user_id

    @classmethod
    def new(cls, server_url: str, make_user: Any) -> Resident:
        """A new user (from the ``make_user`` fixture), signed in."""
        user_id, email, password = make_user()
        return cls(server_url, email, password, user_id).sign_in()

    def sign_in(self) -> Resident:
        page = self.http.get("/login")
        _, fields = form_of(page.text, "/login")
        posted = self.http.post(
            "/login", data={**fields, "email": self.email, "password": self.password}
        )
        assert posted.status_code == 303, posted.text[:300]
        return self

    def open(self, params: dict[str, str] | str) -> httpx.Response:
        """GET /oauth/authorize: the consent page, an error page or a redirect."""
        return self.http.get("/oauth/authorize", params=params)

    def decide(self, consent: httpx.Response, decision: str = "approve") -> httpx.Response:
        assert consent.status_code == 200, consent.text[:500]
        action, fields = form_of(consent.text, "/oauth/authorize")
        return self.http.post(action, data={**fields, "decision": decision})

    def authorize(self, params: dict[str, str] | str, decision: str = "approve") -> dict[str, str]:
        """Consent (if asked) and return what the client receives."""
        response = self.open(params)
        if response.status_code == 200:
            response = self.decide(response, decision)
        return callback_params(response)

    def close(self) -> None:
        self.http.close()


def code_grant(server: LiveServer, resident: Resident, app: App, **params: str) -> dict[str, Any]:
    """The token response for a code the resident approved for ``app``
    (RFC 6749 §4.1), the client authenticating with HTTP Basic."""
    code = resident.authorize(authorize_params(app, **params))["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
    token: dict[str, Any] = httpx.post(server.url + "/oauth/token", data=data, auth=app.auth).json()
    return token


def api_status(server: LiveServer, token: str) -> int:
    """The status of ``GET /api/v2/profile`` with this bearer token."""
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(server.url + "/api/v2/profile", headers=headers).status_code
