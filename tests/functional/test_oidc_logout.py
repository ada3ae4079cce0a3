"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) over HTTP:
a valid id_token_hint ends the server-side session and returns to the app's
registered URI with its state; anything else asks the resident first, and
an unregistered URI is never followed."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from civicauth.accounts.audit import recent_events
from civicauth.signing_keys.services import sign_jwt
from tests.functional.oauth_support import Resident, form_of, register_app

RETURN = "https://app.example.com/signed-out"
ELSEWHERE = "https://evil.example.com/signed-out"


@pytest.fixture(scope="module")
def app(ctx, server):
    return register_app(ctx, server.url, post_logout_redirect_uris=[RETURN])


def id_token(ctx, server, app, user_id, **changes):
    """An ID token as the server issues them, signed with its own keys."""
    now = int(time.time())
    claims = {"iss": server.url, "sub": str(user_id), "aud": app.client_id, "iat": now}
    claims.update({"exp": now + 300, "auth_time": now, **changes})
    with ctx.db.write_transaction() as session:
        return sign_jwt(session, claims)


def signed_in(resident: Resident) -> bool:
    """Whether the resident's cookie still opens a session on the server."""
    return resident.http.get("/account/security").status_code == 200


def logout(resident: Resident, **params: str):
    return resident.http.get("/oauth/logout", params=params)


def test_a_valid_hint_signs_out_and_returns_with_state(ctx, server, app, resident):
    old_cookie = resident.http.cookies.get("civicauth_session")
    hint = id_token(ctx, server, app, resident.user_id)
    answer = logout(resident, id_token_hint=hint, post_logout_redirect_uri=RETURN, state="s 1")
    assert answer.status_code == 303, answer.text[:300]
    location = urlsplit(answer.headers["location"])
    assert location._replace(query="").geturl() == RETURN
    assert parse_qs(location.query) == {"state": ["s 1"]}
    assert not signed_in(resident)
    # The old session is gone on the server, not only from this browser.
    replay = Resident(server.url, resident.email, resident.password)
    replay.http.cookies.set("civicauth_session", old_cookie)
    assert not signed_in(replay)
    replay.close()


def test_an_expired_hint_is_accepted(ctx, server, app, resident):
    now = int(time.time())
    hint = id_token(ctx, server, app, resident.user_id, iat=now - 7200, exp=now - 3600)
    answer = logout(resident, id_token_hint=hint, post_logout_redirect_uri=RETURN)
    assert answer.status_code == 303
    assert answer.headers["location"] == RETURN
    assert not signed_in(resident)


def test_without_a_return_uri_the_resident_lands_on_the_sign_in_page(ctx, server, app, resident):
    answer = logout(resident, id_token_hint=id_token(ctx, server, app, resident.user_id))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert "You are signed out." in resident.http.get("/login").text
    assert not signed_in(resident)


def test_an_unregistered_uri_gets_an_error_page_and_no_redirect(ctx, server, app, resident):
    hint = id_token(ctx, server, app, resident.user_id)
    for uri in (ELSEWHERE, RETURN + "/", RETURN + "?x=1", RETURN.upper()):
        answer = logout(resident, id_token_hint=hint, post_logout_redirect_uri=uri)
        assert answer.status_code == 400, uri
        assert "location" not in answer.headers
        assert "is not a sign-out return URL registered for Pothole Pal" in answer.text
    assert signed_in(resident)


def test_without_a_hint_the_resident_is_asked_first(ctx, server, app, resident):
    asked = logout(resident, client_id=app.client_id, post_logout_redirect_uri=RETURN, state="x")
    assert asked.status_code == 200
    assert "Sign out of civicauth?" in asked.text
    assert "Pothole Pal" in asked.text
    assert signed_in(resident)
    action, fields = form_of(asked.text, "/oauth/logout/confirm")
    assert fields["post_logout_redirect_uri"] == RETURN
    assert fields["state"] == "x"
    answer = resident.http.post(action, data=fields)
    assert answer.status_code == 303
    assert answer.headers["location"] == RETURN + "?state=x"
    assert not signed_in(resident)


def test_the_confirmation_needs_our_csrf_token(ctx, server, app, resident):
    answer = resident.http.post("/oauth/logout/confirm", data={"client_id": app.client_id})
    assert answer.status_code == 403
    assert signed_in(resident)


def test_a_hint_for_someone_else_or_not_ours_asks_first(ctx, server, app, resident, make_user):
    other, _, _ = make_user()
    foreign = id_token(ctx, server, app, resident.user_id, iss="https://elsewhere.example")
    for hint in (id_token(ctx, server, app, other), foreign, "not.a.token"):
        asked = logout(resident, id_token_hint=hint)
        assert asked.status_code == 200, hint
        assert "Sign out of civicauth?" in asked.text
    assert signed_in(resident)


def test_refused_requests(ctx, server, app, resident):
    other_app = register_app(ctx, server.url, name="Graffiti Watch")
    hint = id_token(ctx, server, app, resident.user_id)
    cases = [
        ({"id_token_hint": hint, "client_id": other_app.client_id}, "not the application"),
        ({"client_id": "no-such-app"}, "no application with the client_id"),
        ({"post_logout_redirect_uri": RETURN}, "needs an id_token_hint or a client_id"),
        ({"post_logout_redirect_uri": RETURN, "id_token_hint": "forged"}, "needs an id_token_hint"),
    ]
    for params, message in cases:
        answer = logout(resident, **params)
        assert answer.status_code == 400, params
        assert message in answer.text, params
        assert "location" not in answer.headers
    assert signed_in(resident)


def test_a_signed_out_browser_with_a_valid_hint_is_only_sent_back(ctx, server, app, make_user):
    user_id, _, _ = make_user()
    stranger = Resident(server.url, "", "")
    hint = id_token(ctx, server, app, user_id)
    answer = logout(stranger, id_token_hint=hint, post_logout_redirect_uri=RETURN, state="z")
    assert answer.status_code == 303
    assert answer.headers["location"] == RETURN + "?state=z"
    stranger.close()


def test_an_app_may_post_the_request(ctx, server, app, resident):
    hint = id_token(ctx, server, app, resident.user_id)
    fields = {"id_token_hint": hint, "post_logout_redirect_uri": RETURN, "state": "p"}
    posted = resident.http.post("/oauth/logout", data=fields)  # no CSRF token: from the app
    assert posted.status_code == 303
    assert urlsplit(posted.headers["location"]).path == "/oauth/logout"
    assert signed_in(resident)  # a POST alone changes nothing
    answer = resident.http.get(posted.headers["location"])
    assert answer.headers["location"] == RETURN + "?state=p"
    assert not signed_in(resident)


def test_malformed_parameters_are_no_500(ctx, server, app, resident):
    for params in (
        {"client_id": "a\x00b"},
        {"id_token_hint": "x\x00y", "post_logout_redirect_uri": RETURN},
        {"client_id": app.client_id, "post_logout_redirect_uri": "\x00"},
        {"id_token_hint": "e" * 20000},
        {"client_id": "c" * 5000},
    ):
        answer = logout(resident, **params)
        assert answer.status_code in (200, 400), params
    assert signed_in(resident)


def security_page_rows(resident: Resident) -> list[str]:
    """The rows of the resident's security log, as text, newest first
    (signed in again: the log is theirs to read)."""
    resident.sign_in()
    page = resident.http.get("/account/security")
    assert page.status_code == 200, page.text[:300]
    rows = re.findall(r"<tr>(.*?)</tr>", page.text, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_the_security_log_says_which_app_signed_the_resident_out(ctx, server, app, resident):
    hint = id_token(ctx, server, app, resident.user_id)
    answer = logout(resident, id_token_hint=hint, post_logout_redirect_uri=RETURN)
    assert answer.status_code == 303
    with ctx.db.read() as session:
        event = recent_events(session, resident.user_id, limit=1)[0]
        assert (event.event, event.client_id, event.detail) == (
            "signed_out_by_app",
            app.client_id,
            "Pothole Pal",
        )
    newest = next(row for row in security_page_rows(resident) if "Signed out" in row)
    assert "Signed out by an application" in newest
    assert app.client_id in newest
    assert "Pothole Pal" in newest


def test_a_confirmed_logout_an_app_asked_for_is_logged_too(ctx, server, app, resident):
    asked = logout(resident, client_id=app.client_id, post_logout_redirect_uri=RETURN)
    action, fields = form_of(asked.text, "/oauth/logout/confirm")
    assert resident.http.post(action, data=fields).status_code == 303
    with ctx.db.read() as session:
        event = recent_events(session, resident.user_id, limit=1)[0]
        assert (event.event, event.client_id) == ("signed_out_by_app", app.client_id)


def test_a_logout_without_an_app_is_not_logged_as_one(ctx, server, app, resident):
    asked = logout(resident)
    action, fields = form_of(asked.text, "/oauth/logout/confirm")
    assert resident.http.post(action, data=fields).status_code == 303
    assert not signed_in(resident)
    with ctx.db.read() as session:
        events = {e.event for e in recent_events(session, resident.user_id)}
    assert "signed_out_by_app" not in events
