"""No secret in the server's log, in either format: every flow runs over HTTP
against a server logging everything (access lines, debug level), every
secret the flows use or are given is collected, and none of them may appear
in the log, which must hold every request the flows made."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets as random
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import httpx
import pytest

from tests.functional.oauth_support import APP_DETAILS, form_of
from tests.functional.pages import csrf_of
from tests.functional.recovery_support import follow_form, link_in, token_of
from tests.mail_support import Inbox, smtp_server
from tests.support import Backend, LiveServer, free_port, live_server

SMTP_PORT = free_port()
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "CIVICAUTH_AUTO_APPROVE_APPS": "true",
}
LOUD = ("--access-log", "--log-level", "debug")
CALLBACK = "http://127.0.0.1:9/cb"
_HARVEST = (
    re.compile(r'name="_csrf_token" value="([^"]+)"'),
    re.compile(r'data-testid="client-secret">([^<]+)<'),
    re.compile(r'data-testid="new-token">([^<]+)<'),
)
SECRET_FIELDS = ("access_token", "refresh_token", "client_secret", "code", "id_token")


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server(SMTP_PORT) as received:
        yield received


@dataclass
class Collected:
    """Every secret seen, and the id of every request made."""

    secrets: set[str] = field(default_factory=set)
    request_ids: list[str] = field(default_factory=list)

    def add(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v)

    def harvest(self, response: httpx.Response) -> None:
        """What a browser or client would keep from this answer."""
        response.read()
        self.request_ids.append(response.headers["x-request-id"])
        for cookie in response.headers.get_list("set-cookie"):
            self.add(cookie.split(";", 1)[0].partition("=")[2])
        for pattern in _HARVEST:
            self.add(*pattern.findall(response.text))
        json_type = response.headers.get("content-type", "").startswith("application/json")
        if json_type and response.content:
            body = response.json()
            if isinstance(body, dict):
                self.add(*(str(body[k]) for k in SECRET_FIELDS if body.get(k)))
        if location := response.headers.get("location"):
            parts = urlsplit(location)
            for raw in (parts.query, parts.fragment):
                for name, values in parse_qs(raw).items():
                    if name in SECRET_FIELDS or name == "token":
                        self.add(*values)

    def client(self, server: LiveServer) -> httpx.Client:
        return httpx.Client(
            base_url=server.url, timeout=15, event_hooks={"response": [self.harvest]}
        )


def sign_up(http: httpx.Client, seen: Collected, email: str, password: str) -> None:
    fields = {"name": "Leak Tester", "email": email, "password": password}
    fields |= {"password_confirmation": password, "_csrf_token": csrf_of(http.get("/signup").text)}
    assert http.post("/signup", data=fields).status_code == 303


def mail_with(inbox: Inbox, email: str, path: str) -> EmailMessage:
    """The first mail to ``email`` with a link to ``path`` (other notices
    may come first)."""
    for count in range(1, 10):
        for mail in inbox.wait_for(email, count):
            if path in mail.get_content():
                return mail
    raise AssertionError(f"no mail to {email} links to {path}")


def confirm_email(http: httpx.Client, inbox: Inbox, seen: Collected, email: str) -> None:
    link = link_in(mail_with(inbox, email, "/email/verify"), "/email/verify")
    seen.add(token_of(link))
    assert follow_form(http, link, "/email/verify").status_code in (200, 303)


def sign_out_and_in(http: httpx.Client, email: str, password: str) -> None:
    signed_out = http.post("/logout", data={"_csrf_token": csrf_of(http.get("/").text)})
    assert signed_out.status_code == 303
    _, fields = form_of(http.get("/login").text, "/login")
    answer = http.post("/login", data={**fields, "email": email, "password": password})
    assert answer.status_code == 303, answer.text[:300]


def register_app(http: httpx.Client) -> tuple[str, str]:
    """On the developer portal, then the secret rotated; (client_id, secret)."""
    form = {
        **APP_DETAILS,
        "redirect_uris": CALLBACK,
        "client_type": "confidential",
        "grant_types": ["authorization_code", "refresh_token", "implicit", "client_credentials"],
        "scopes": ["public", "write"],
        "_csrf_token": csrf_of(http.get("/oauth/applications/new").text),
    }
    created = http.post("/oauth/applications", data=form)
    assert created.status_code == 303, created.text[:500]
    client_id = created.headers["location"].rsplit("/", 1)[1]
    page = http.get(f"/oauth/applications/{client_id}").text
    first = _HARVEST[1].findall(page)
    token = csrf_of(page)
    rotated = http.post(f"/oauth/applications/{client_id}/secret", data={"_csrf_token": token})
    assert rotated.status_code == 303
    (secret,) = _HARVEST[1].findall(http.get(f"/oauth/applications/{client_id}").text)
    assert first
    assert secret != first[0]
    return client_id, secret


def authorize(http: httpx.Client, params: dict[str, str]) -> dict[str, str]:
    """Consent (if asked) and what comes back to the callback."""
    answer = http.get("/oauth/authorize", params=params)
    if answer.status_code == 200:
        action, fields = form_of(answer.text, "/oauth/authorize")
        answer = http.post(action, data={**fields, "decision": "approve"})
    assert answer.status_code in (302, 303), answer.text[:300]
    parts = urlsplit(answer.headers["location"])
    return {k: v[0] for k, v in parse_qs(parts.fragment or parts.query).items()}


def oauth_flows(
    http: httpx.Client, api: httpx.Client, seen: Collected, app: tuple[str, str]
) -> None:
    client_id, secret = app
    verifier = random.token_urlsafe(48)
    seen.add(verifier)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    code = authorize(
        http,
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "public write",
            "state": "s1",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        },
    )["code"]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    tokens = api.post("/oauth/token", data={**exchange, "code_verifier": verifier}, auth=app).json()
    implicit = {"response_type": "token", "client_id": client_id, "redirect_uri": CALLBACK}
    assert authorize(http, {**implicit, "state": "s2"})["access_token"]
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    rotated = api.post("/oauth/token", data=refresh, auth=app).json()
    # The body form of client authentication, and secrets in the query (SeeClickFix's docs).
    body_auth = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
    }
    assert api.post("/oauth/token", data=body_auth).status_code == 200
    assert api.post("/oauth/token", params=body_auth).status_code == 200
    access = rotated["access_token"]
    assert (
        api.get("/api/v2/profile", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    )
    assert api.get("/api/v2/profile", params={"access_token": access}).status_code == 200
    assert api.post("/oauth/introspect", data={"token": access}, auth=app).json()["active"]
    assert (
        api.post("/oauth/revoke", data={"token": rotated["refresh_token"]}, auth=app).status_code
        == 200
    )


def personal_token(http: httpx.Client, api: httpx.Client, email: str) -> None:
    fields = {"action": "create_token", "name": "export", "expires_in": "30", "scopes": "public"}
    fields["_csrf_token"] = csrf_of(http.get("/account/security").text)
    assert http.post("/account/security", data=fields).status_code == 303
    (token,) = _HARVEST[2].findall(http.get("/account/security").text)
    assert (
        api.get("/api/v2/profile", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    assert api.get("/api/v2/profile", auth=("__token__", token)).status_code == 200


def reset_password(
    fresh: httpx.Client, inbox: Inbox, seen: Collected, email: str, new: str
) -> None:
    token = csrf_of(fresh.get("/password/forgot").text)
    assert (
        fresh.post("/password/forgot", data={"email": email, "_csrf_token": token}).status_code
        == 200
    )
    link = link_in(mail_with(inbox, email, "/password/reset"), "/password/reset")
    seen.add(token_of(link))
    fields = {"password": new, "password_confirmation": new}
    assert follow_form(fresh, link, "/password/reset", **fields).status_code in (200, 303)


def every_flow(server: LiveServer, inbox: Inbox) -> Collected:
    seen = Collected()
    email = f"leak-{random.token_hex(6)}@example.com"
    password, new_password = (
        "first long password " + random.token_hex(4),
        "second " + random.token_hex(8),
    )
    seen.add(password, new_password)
    with closing(seen.client(server)) as http, closing(seen.client(server)) as api:
        sign_up(http, seen, email, password)
        confirm_email(http, inbox, seen, email)
        assert api.get("/api/v2/profile", auth=(email, password)).json()["email"] == email
        sign_out_and_in(http, email, password)
        app = register_app(http)
        seen.add(app[1])
        oauth_flows(http, api, seen, app)
        personal_token(http, api, email)
        with closing(seen.client(server)) as fresh:
            reset_password(fresh, inbox, seen, email, new_password)
        assert api.get("/api/v2/profile", auth=(email, new_password)).status_code == 200
        credentials = (f"{email}:{password}", f"{email}:{new_password}", f"{app[0]}:{app[1]}")
        seen.add(*(base64.b64encode(c.encode()).decode() for c in credentials))
    return seen


def forms_of(secret: str) -> set[str]:
    """A secret as it might be written: raw, percent- or form-encoded, or JSON-escaped."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def settled_log(server: LiveServer, request_ids: list[str]) -> str:
    """The log once every request's access line is in it (each is written
    just after its answer)."""
    deadline = time.monotonic() + 20
    while True:
        text = server.log.read_text()
        missing = [i for i in request_ids if i not in text]
        if not missing or time.monotonic() > deadline:
            assert not missing, f"{len(missing)} of {len(request_ids)} requests not in the log"
            return text
        time.sleep(0.05)  # another process writes the file


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_reaches_the_log(backend: Backend, inbox, tmp_path, log_format):
    env = {**backend.env, "CIVICAUTH_LOG_FORMAT": log_format}
    with live_server(env, tmp_path, serve_args=LOUD) as server:
        seen = every_flow(server, inbox)
        log = settled_log(server, seen.request_ids)
    lines = log.splitlines()
    assert len(seen.request_ids) > 30
    assert len(lines) > len(seen.request_ids)
    access = [line for line in lines if "civicauth.access" in line]
    for path in ("/signup", "/login", "/oauth/token", "/oauth/authorize", "/password/reset"):
        assert any(path in line for line in access), path
    if log_format == "json":
        assert all(isinstance(json.loads(line), dict) for line in lines)
    else:
        assert all(f"[request_id={i}" in log for i in seen.request_ids[:5])
    assert len(seen.secrets) > 20
    leaked = [s for s in seen.secrets if len(s) >= 8 and any(f in log for f in forms_of(s))]
    assert not leaked, f"{len(leaked)} secrets in the log, e.g. {sorted(leaked)[0][:6]}..."
