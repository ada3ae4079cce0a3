"""Nasty input never ends in a 500: ids in paths, the pages' form fields,
crafted session or CSRF cookies, and the OAuth endpoints' parameters, each
over HTTP against a live server.

A table of nasty values where a table does, so every run tries the same
inputs and a failure names the one that broke; generated parameters
(hypothesis, derandomized) for the OAuth endpoints, whose inputs combine."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional.oauth_support import App, Resident, authorize_params, form_of, register_app
from tests.functional.pages import csrf_of, signed_in
from tests.functional.test_oauth_bad_input import RFC_ERRORS
from tests.functional.test_page_forms_csrf import FORMS, world  # noqa: F401  (fixture)
from tests.grants import issue_tokens

# What int() accepts but is no id, what overflows SQLite's and PostgreSQL's
# integers, and what is no number at all.
NASTY_IDS = [
    "9223372036854775808",
    "9223372036854775807",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "2147483648",
    "0",
    "-1",
    "+1",
    "1_0",
    "1.0",
    "1e3",
    "0x10",
    "²",
    "٣",
    "\uff11",  # fullwidth one
    "%20 1",
    "abc",
]
NASTY_VALUES = [
    *NASTY_IDS,
    "",
    "\x00",
    "a" * 5000,
    "<script>alert(1)</script>",
    "ä\u202e",
    "null",
]

ID_READS = [
    "/api/v2/users/{}",
    "/api/v2/issues/{}",
    "/api/v2/issues/{}/comments",
    "/issues/{}",
]
ID_WRITES = [
    ("POST", "/api/v2/issues/{}/comments"),
    ("POST", "/api/v2/issues/{}/vote"),
    ("DELETE", "/api/v2/issues/{}/vote"),
    ("POST", "/api/v2/issues/{}/follow"),
    ("DELETE", "/api/v2/issues/{}/follow"),
    ("POST", "/api/v2/issues/{}/close"),
    ("POST", "/api/v2/issues/{}/open"),
]

_AAD = b"additional_authenticated_data="


def _sealed(associated: bytes) -> str:
    """The layout of Litestar's cookie session (nonce, ciphertext, associated
    data), with associated data of an attacker's choosing."""
    return base64.b64encode(b"\0" * 12 + b"x" * 16 + _AAD + associated).decode()


BAD_COOKIES = [
    "",
    "null",
    "garbage",
    "====",
    "%C3%A4",
    base64.b64encode(b"short").decode(),
    _sealed(b"not json"),
    _sealed(b"[]"),
    _sealed(b"1"),
    _sealed(b"{}"),
    _sealed(b'{"expires_at": "soon"}'),
    _sealed(b'{"expires_at": null}'),
    _sealed(b'{"expires_at": [1]}'),
    _sealed(b'{"expires_at": 1e999}'),
    _sealed(json.dumps({"expires_at": 10**30}).encode()),
]
COOKIE_NAMES = ["civicauth_session", "civicauth_session-0", "civicauth_csrf"]
PAGES = [
    ("GET", "/"),
    ("GET", "/login"),
    ("GET", "/signup"),
    ("GET", "/account/security"),
    ("GET", "/oauth/applications"),
    ("GET", "/oauth/authorized_applications"),
    ("GET", "/oauth/authorize?response_type=code&client_id=nobody"),
    ("GET", "/oauth/token/info"),
    ("GET", "/oauth/logout"),
    ("GET", "/issues/1"),
    ("POST", "/login"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"),
]


def no_server_error(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"


@pytest.mark.parametrize("template", ID_READS)
def test_an_id_in_a_path_that_is_no_id_is_not_found(server, template):
    with server.client() as client:
        for raw in NASTY_IDS:
            response = client.get(template.format(raw))
            assert response.status_code == 404, (raw, response.status_code, response.text[:300])


@pytest.mark.parametrize("name", ["page", "per_page"])
def test_a_page_number_that_is_no_number_is_refused(server, name):
    with server.client() as client:
        for raw in NASTY_IDS:
            response = client.get("/api/v2/issues", params={name: raw})
            assert response.status_code in (200, 422), (raw, response.status_code, response.text)
            if response.status_code == 422:
                assert name in response.json()["errors"]


@pytest.mark.parametrize(("method", "template"), ID_WRITES)
def test_a_write_to_an_id_that_is_no_id_is_not_found(server, make_user, method, template):
    _, email, password = make_user()
    with server.client(auth=(email, password)) as client:
        for raw in NASTY_IDS:
            response = client.request(method, template.format(raw), json={"comment": "hi"})
            assert response.status_code == 404, (raw, response.status_code, response.text[:300])


def test_revoking_a_token_whose_id_is_no_id_shows_the_forms_error(server, world):  # noqa: F811
    client = signed_in(server, world.email, world.password)
    token = csrf_of(client.get("/account/security").text)
    for raw in NASTY_VALUES:
        data = {"action": "revoke_token", "token_id": raw, "_csrf_token": token}
        response = client.post("/account/security", data=data)
        assert response.status_code == 404, (raw, response.status_code, response.text[:300])
        assert "no such token" in response.text
    client.close()


@pytest.mark.parametrize("name", sorted(FORMS))
def test_nasty_form_fields_are_refused_without_a_server_error(name, server, world):  # noqa: F811
    form = FORMS[name]
    client = signed_in(server, world.email, world.password) if form.signed_in else server.client()
    token = csrf_of(client.get(form.page).text)
    path, data = form.submit(world, client)
    for field in [*data, "unknown"]:
        others = {k: v for k, v in data.items() if k != field}
        no_server_error(client.post(path, data={**others, "_csrf_token": token}), f"no {field}")
        for value in NASTY_VALUES:
            sent = {**others, field: value, "_csrf_token": token}
            no_server_error(client.post(path, data=sent), f"{field}={value!r}")
        repeated = {**others, field: ["one", "two"], "_csrf_token": token}
        no_server_error(client.post(path, data=repeated), f"{field} twice")
    # Bodies of the wrong kind: JSON, and a multipart upload where a field was.
    headers = {"X-CSRFToken": token}
    no_server_error(client.post(path, json={"action": [1]}, headers=headers), "JSON body")
    files = {next(iter(data), "f"): ("x.bin", b"\xff\xfe", "application/octet-stream")}
    no_server_error(client.post(path, files=files, data={"_csrf_token": token}), "multipart")
    client.close()


@pytest.mark.parametrize("cookie", COOKIE_NAMES)
def test_a_crafted_cookie_is_no_session(server, cookie):
    for value in BAD_COOKIES:
        with server.client(cookies={cookie: value}) as client:
            for method, path in PAGES:
                no_server_error(client.request(method, path), f"{method} {path} {value!r}")
            # Treated as no session at all: the signed-in pages ask to sign in.
            answer = client.get("/account/security")
            assert answer.status_code in (302, 303), (value, answer.status_code)
            assert answer.headers["location"].startswith("/login")


# -- the OAuth endpoints' parameters, generated (hypothesis) -----------------
# Each draws a set of parameters from the names the endpoint knows, with
# values that are plausible (this server's client, redirect URI, tokens),
# nasty (the table above) or anything at all, in the body or the query, with
# the client's credentials, wrong ones or none. Derandomized: every run tries
# the same examples, so a failure names its input again.

TOKEN_NAMES = [
    "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope",
    "client_id", "client_secret", "token", "token_type_hint", "state", "access_token",
]  # fmt: skip
AUTHORIZE_NAMES = [
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
    "code_challenge_method", "nonce", "prompt", "max_age", "login_hint", "response_mode",
]  # fmt: skip
# CIVICAUTH_FUZZ_EXAMPLES=1000 digs deeper than make test's modest count.
FUZZ = settings(
    max_examples=int(os.environ.get("CIVICAUTH_FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class OAuthWorld:
    app: App
    public_app: App
    resident: Resident
    access: str
    refresh: str

    def plausible(self) -> list[str]:
        app = self.app
        return [
            app.client_id, self.public_app.client_id, app.client_secret or "", app.redirect_uri,
            app.redirect_uri.replace("127.0.0.1:", "127.0.0.1:1"), "https://evil.example/cb",
            self.access, self.refresh, "authorization_code", "refresh_token",
            "client_credentials", "implicit", "password", "code", "token", "id_token",
            "code token", "public", "write", "public write", "openid", "S256", "plain",
            "access_token", "refresh_token", "none", "login", "consent", "0", "-1",
            "cvc_" + "A" * 40, "cva_" + "A" * 40, "cvr_" + "A" * 40, "A" * 43,
        ]  # fmt: skip


@pytest.fixture
def oauth_world(server, ctx, make_user) -> Iterator[OAuthWorld]:
    grants = ["authorization_code", "refresh_token", "client_credentials", "implicit"]
    app = register_app(ctx, server.url, grant_types=grants)
    public_app = register_app(ctx, server.url, is_public=True)
    resident = Resident.new(server.url, make_user)
    assert resident.user_id is not None
    access, refresh = issue_tokens(ctx, resident.user_id, app.pk)
    yield OAuthWorld(app, public_app, resident, access, refresh)
    resident.close()


def values(oauth: OAuthWorld) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(oauth.plausible()),
        st.sampled_from(NASTY_VALUES),
        st.text(max_size=60),
    )


def parameters(names: list[str], oauth: OAuthWorld) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(names), values(oauth), max_size=len(names))


def client_auth(oauth: OAuthWorld) -> st.SearchStrategy[tuple[str, str] | None]:
    app = oauth.app
    return st.sampled_from(
        [None, app.auth, (app.client_id, "wrong secret"), ("nobody", "x"), (":", ":")]
    )


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_generated_parameters_get_an_rfc_error_never_a_500(server, oauth_world, path):
    @given(
        params=parameters(TOKEN_NAMES, oauth_world),
        in_query=st.booleans(),
        auth=client_auth(oauth_world),
    )
    @FUZZ
    def call(params, in_query, auth):
        placed = {"params": params} if in_query else {"data": params}
        answer = httpx.post(server.url + path, auth=auth, timeout=10, **placed)
        no_server_error(answer, f"{path} {params!r} query={in_query}")
        assert answer.headers["cache-control"] == "no-store"
        if answer.status_code >= 400:
            assert answer.json()["error"] in RFC_ERRORS, (params, answer.text)

    call()


def test_generated_authorization_requests_never_500_nor_redirect_elsewhere(server, oauth_world):
    """Signed in or not: a 4xx page, the consent page, sign-in, or a redirect
    to the registered callback (any loopback port, RFC 8252 §7.3), never to
    a redirect URI of the request's choosing."""
    signed_out = server.client()

    @given(params=parameters(AUTHORIZE_NAMES, oauth_world), signed_in=st.booleans())
    @FUZZ
    def call(params, signed_in):
        client = oauth_world.resident.http if signed_in else signed_out
        answer = client.get("/oauth/authorize", params=params)
        no_server_error(answer, f"authorize {params!r}")
        if answer.status_code in (301, 302, 303, 307):
            target = urlsplit(answer.headers["location"])
            if target.scheme:
                assert (target.hostname, target.path) == ("127.0.0.1", "/cb"), params

    call()
    signed_out.close()


def test_generated_consent_decisions_never_500(server, oauth_world):
    """The consent form posted back with its fields replaced by generated ones."""
    resident = oauth_world.resident
    # A public app is asked every time (RFC 8252 §8.6), with PKCE.
    request = authorize_params(
        oauth_world.public_app,
        scope="public",
        state="s",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
    )
    consent = resident.open(request)
    action, fields = form_of(consent.text, "/oauth/authorize")

    @given(changes=parameters([*AUTHORIZE_NAMES, "decision", *fields], oauth_world))
    @FUZZ
    def call(changes):
        answer = resident.http.post(action, data={**fields, **changes})
        no_server_error(answer, f"consent {changes!r}")

    call()


def test_generated_token_info_requests_never_500(server, oauth_world):
    credentials = values(oauth_world)

    @given(
        header=st.one_of(st.none(), credentials, credentials.map(lambda v: "Bearer " + v)),
        query=st.one_of(st.none(), credentials),
    )
    @FUZZ
    def call(header, query):
        headers = {"authorization": header} if header is not None else {}
        params = {"access_token": query} if query is not None else {}
        try:
            answer = httpx.get(
                server.url + "/oauth/token/info", headers=headers, params=params, timeout=10
            )
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            return  # a header value no client can send
        no_server_error(answer, f"token info {header!r} {query!r}")
        if not answer.headers.get("content-type", "").startswith("application/json"):
            # The HTTP server refused a field value with control characters
            # (RFC 9110 §5.5) before civicauth saw the request.
            assert (answer.status_code, answer.content) == (400, b""), (header, answer.text)
            return
        if answer.status_code >= 400:
            # "unauthorized": no credentials at all, where RFC 6750 §3.1 has no code.
            assert answer.json()["error"] in {*RFC_ERRORS, "unauthorized"}, answer.text

    call()
