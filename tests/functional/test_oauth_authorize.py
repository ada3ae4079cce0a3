"""The authorization endpoint and the consent page over real HTTP: what is
shown, what is redirected, and every error case of RFC 6749 §4.1.2.1."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, update

from civicauth.clients.models import Client
from civicauth.tokens.models import Authorization
from tests.functional.oauth_support import (
    Resident,
    authorize_params,
    callback_params,
    form_of,
    register_app,
)

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B


@pytest.fixture
def app(server, ctx):
    return register_app(ctx, server.url)


def code_request(app, **extra: str) -> dict[str, str]:
    return authorize_params(app, "code", **{"state": "st8", **extra})


def test_signed_out_users_sign_in_first_and_come_back(server, app, make_user):
    _, email, password = make_user()
    visitor = Resident(server.url, email, password)
    first = visitor.open(code_request(app))
    assert first.status_code == 303
    login = urlsplit(first.headers["location"])
    assert login.path == "/login"
    page = visitor.http.get(first.headers["location"])
    _, fields = form_of(page.text, "/login")
    assert fields["next"].startswith("/oauth/authorize?")
    back = visitor.http.post("/login", data={**fields, "email": email, "password": password})
    assert back.headers["location"] == fields["next"]
    consent = visitor.http.get(back.headers["location"])
    assert consent.status_code == 200
    assert "Authorize Pothole Pal?" in consent.text
    visitor.close()


def test_consent_page_names_app_organization_and_scopes_and_cannot_be_framed(server, app, resident):
    page = resident.open(code_request(app, scope="public write"))
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "Pothole Pal" in page.text
    assert "Civic Apps Ltd" in page.text
    assert "See your profile, including your name and email address." in page.text
    assert "report issues, comment, vote and follow issues" in page.text
    # One form with both buttons.
    assert page.text.count('action="/oauth/authorize') == 1
    assert 'name="decision" value="approve"' in page.text
    assert 'name="decision" value="deny"' in page.text


def test_consent_page_shows_the_redirect_host_without_userinfo(server, ctx, resident):
    app = register_app(ctx, server.url, redirect_uris=["https://city.example@evil.example:8443/cb"])
    page = resident.open(code_request(app))
    assert page.status_code == 200
    assert "<strong>evil.example:8443</strong>" in page.text
    assert "city.example@" not in page.text  # (the form's action carries it URL-encoded)


def test_approve_redirects_with_code_state_and_issuer(server, app, resident):
    received = resident.authorize(code_request(app))
    assert received["code"].startswith("cvc_")
    assert received["state"] == "st8"
    assert received["iss"] == server.url


def test_deny_redirects_with_access_denied(server, app, resident):
    received = resident.authorize(code_request(app), decision="deny")
    assert received["error"] == "access_denied"
    assert received["state"] == "st8"
    assert received["iss"] == server.url
    assert "code" not in received


def test_the_same_scopes_are_not_asked_for_again(server, ctx, app, resident):
    resident.authorize(code_request(app, scope="public"))
    again = resident.open(code_request(app, scope="public"))
    assert again.status_code == 302
    assert callback_params(again)["code"].startswith("cvc_")
    more = resident.open(code_request(app, scope="public write"))
    assert more.status_code == 200  # a new scope is asked for
    resident.decide(more)
    with ctx.db.read() as session:
        granted = session.scalar(
            select(Authorization.scope).where(
                Authorization.user_id == resident.user_id, Authorization.client_pk == app.pk
            )
        )
        assert granted == "public write"
        rows = session.scalar(
            select(func.count()).select_from(Authorization).where(Authorization.client_pk == app.pk)
        )
        assert rows == 1


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"client_id": "no-such-app"}, "does not exist"),
        ({"client_id": None}, "client_id"),
        ({"redirect_uri": "https://evil.example/cb"}, "not supported"),
        ({"redirect_uri": "http://127.0.0.1:9/other"}, "not supported"),
    ],
    ids=["unknown-client", "missing-client", "foreign-redirect", "unregistered-path"],
)
def test_bad_client_or_redirect_uri_shows_an_error_page_and_never_redirects(
    server, app, resident, changes, says
):
    params = {k: v for k, v in {**code_request(app), **changes}.items() if v is not None}
    response = resident.open(params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert says in response.text
    assert response.headers["x-frame-options"] == "DENY"


def test_missing_redirect_uri_is_fine_with_one_registered_uri(server, app, resident):
    params = code_request(app)
    del params["redirect_uri"]
    received = resident.authorize(params)
    assert received["code"]


def test_missing_redirect_uri_with_several_registered_shows_the_error_page(server, ctx, resident):
    app = register_app(ctx, server.url, redirect_uris=[server.url + "/a", server.url + "/b"])
    params = code_request(app)
    del params["redirect_uri"]
    response = resident.open(params)
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "code token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": CHALLENGE}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
    ],
    ids=["unknown-response-type", "no-response-type", "unknown-scope", "plain", "no-method", "bad"],
)
def test_other_errors_redirect_with_error_and_state(server, app, resident, changes, error):
    params = {k: v for k, v in {**code_request(app), **changes}.items() if v is not None}
    received = callback_params(resident.open(params))
    assert received["error"] == error
    assert received["state"] == "st8"
    assert received["iss"] == server.url


def test_scopes_the_app_may_not_ask_for_are_refused(server, ctx, resident):
    app = register_app(ctx, server.url, scopes="public")
    received = callback_params(resident.open(code_request(app, scope="public write")))
    assert received["error"] == "invalid_scope"


def test_public_clients_must_use_pkce(server, ctx, resident):
    app = register_app(ctx, server.url, is_public=True)
    received = callback_params(resident.open(code_request(app)))
    assert received["error"] == "invalid_request"
    assert "PKCE" in received["error_description"]
    assert received["state"] == "st8"


def test_repeated_parameters_show_the_error_page(server, app, resident):
    query = httpx.QueryParams(code_request(app)).add("state", "again")
    response = resident.open(str(query))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "repeated" in response.text


def test_oversized_parameters_show_the_error_page(server, app, resident):
    response = resident.open(code_request(app, state="s" * 5000))
    assert response.status_code == 400
    assert "location" not in response.headers


def test_consent_post_needs_the_csrf_token(server, app, resident):
    page = resident.open(code_request(app))
    action, _ = form_of(page.text, "/oauth/authorize")
    response = resident.http.post(action, data={"decision": "approve"})
    assert response.status_code == 403
    assert "location" not in response.headers


def test_consent_post_needs_a_decision(server, app, resident):
    page = resident.open(code_request(app))
    action, fields = form_of(page.text, "/oauth/authorize")
    response = resident.http.post(action, data={**fields, "decision": "maybe"})
    assert response.status_code == 400
    assert "location" not in response.headers


def test_pending_apps_work_only_for_their_developer(server, ctx, resident, make_user):
    developer_id, email, password = make_user()
    app = register_app(ctx, server.url, status="pending", owner_id=developer_id)
    refused = resident.open(code_request(app))
    assert refused.status_code == 400
    assert "awaiting review" in refused.text
    assert "location" not in refused.headers
    developer = Resident(server.url, email, password).sign_in()
    assert developer.authorize(code_request(app))["code"]
    developer.close()


def set_status(ctx, app, status: str) -> None:
    with ctx.db.transaction() as session:
        session.execute(update(Client).where(Client.id == app.pk).values(status=status))


# A request the app would otherwise be sent back an error for (RFC 6749 §4.1.2.1).
REDIRECTED_ERRORS = [{"scope": "admin"}, {"code_challenge_method": "plain"}, {}]


@pytest.mark.parametrize("changes", REDIRECTED_ERRORS, ids=["bad-scope", "bad-pkce", "valid"])
def test_a_pending_app_never_redirects_before_its_developer_signs_in(
    server, ctx, make_user, changes
):
    developer_id, _, _ = make_user()
    app = register_app(ctx, server.url, status="pending", owner_id=developer_id)
    _, email, password = make_user()
    visitor = Resident(server.url, email, password)
    first = visitor.open(code_request(app, **changes))
    # Signed out: to the sign-in page of this site, never to the app.
    assert first.status_code == 303
    assert urlsplit(first.headers["location"]).path == "/login"
    visitor.sign_in()
    refused = visitor.open(code_request(app, **changes))
    assert refused.status_code == 400
    assert "location" not in refused.headers
    assert "awaiting review" in refused.text
    visitor.close()


@pytest.mark.parametrize("status", ["rejected", "suspended"])
@pytest.mark.parametrize("changes", REDIRECTED_ERRORS, ids=["bad-scope", "bad-pkce", "valid"])
def test_an_app_that_may_not_be_used_gets_the_error_page_signed_in_or_not(
    server, ctx, make_user, status, changes
):
    developer_id, email, password = make_user()
    app = register_app(ctx, server.url, owner_id=developer_id)
    set_status(ctx, app, status)
    visitor = Resident(server.url, email, password)
    signed_out = visitor.open(code_request(app, **changes))
    signed_in = visitor.sign_in().open(code_request(app, **changes))  # even its own developer
    for refused in (signed_out, signed_in):
        assert refused.status_code == 400, refused.headers.get("location")
        assert "location" not in refused.headers
        assert "Pothole Pal may not be used" in refused.text
        assert refused.headers["x-frame-options"] == "DENY"
    visitor.close()
