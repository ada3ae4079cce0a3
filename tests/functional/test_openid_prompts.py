"""What an OpenID Connect request asks of the sign-in (OIDC Core §3.1.2.1):
prompt=none|login|consent, max_age, login_hint, id_token_hint, and the
errors of §3.1.2.6 sent back to the client with its state."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from civicauth.accounts.web_sessions import WebSession
from civicauth.db import utcnow
from tests.factor_support import code_after, enrol_totp, factor_step, password_step
from tests.functional.oauth_support import Resident, authorize_params, callback_params, form_of
from tests.functional.openid_support import claims_of, openid_app


@pytest.fixture
def app(server, ctx):
    return openid_app(ctx, server.url)


def ask(app, response_type: str = "code", **extra: str) -> dict[str, str]:
    return authorize_params(app, response_type, scope="openid", state="st", nonce="n", **extra)


def login_redirect(response) -> dict[str, list[str]]:
    assert response.status_code == 303, response.text[:300]
    target = urlsplit(response.headers["location"])
    assert target.path == "/login"
    return parse_qs(target.query)


def signed_in_long_ago(ctx, user_id: int) -> None:
    """The resident's sessions began an hour ago (auth_time is their start)."""
    with ctx.db.transaction() as session:
        session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id)
            .values(created_at=utcnow() - timedelta(hours=1))
        )


def test_prompt_none_while_signed_out_is_login_required(server, app, make_user):
    _, email, password = make_user()
    visitor = Resident(server.url, email, password)
    for response_type, where in (("code", "query"), ("id_token", "fragment")):
        response = visitor.open(ask(app, response_type, prompt="none"))
        parts = urlsplit(response.headers["location"])
        assert getattr(parts, where), (response_type, response.headers["location"])
        received = callback_params(response)
        assert received["error"] == "login_required"
        assert received["state"] == "st"
        assert received["iss"] == server.url


def test_prompt_none_without_plain_oauth_openid_too(server, app, make_user):
    _, email, password = make_user()
    visitor = Resident(server.url, email, password)
    params = authorize_params(app, "code", scope="public", state="st", prompt="none")
    assert callback_params(visitor.open(params))["error"] == "login_required"


def test_prompt_none_without_consent_is_consent_required(server, app, resident):
    received = callback_params(resident.open(ask(app, prompt="none")))
    assert received["error"] == "consent_required"
    assert received["state"] == "st"


def test_prompt_none_with_the_second_factor_pending_is_login_required(server, app, make_user):
    _, email, password = make_user()
    enrolling = Resident(server.url, email, password).sign_in()
    secret, _ = enrol_totp(enrolling.http, password)
    enrolling.authorize(ask(app))  # consent given: only the sign-in can be missing
    half = Resident(server.url, email, password)  # another browser
    step = password_step(half.http, email, password)
    assert step.status_code == 303
    assert step.headers["location"].startswith("/login/second-factor")
    for response_type in ("code", "id_token"):
        received = callback_params(half.open(ask(app, response_type, prompt="none")))
        assert received["error"] == "login_required", response_type
        assert received["state"] == "st"
    # Once the second step is done, the same request is answered silently.
    assert factor_step(half.http, code_after(secret, 1)).status_code == 303
    assert "code" in callback_params(half.open(ask(app, prompt="none")))


def test_prompt_none_after_consent_answers_without_a_page(server, app, resident):
    resident.authorize(ask(app))
    received = callback_params(resident.open(ask(app, prompt="none")))
    assert "code" in received


def test_prompt_none_with_another_value_is_invalid(server, app, resident):
    received = callback_params(resident.open(ask(app, prompt="none login")))
    assert received["error"] == "invalid_request"


def test_prompt_consent_asks_again_after_consent(server, app, resident):
    resident.authorize(ask(app))
    again = resident.open(ask(app, prompt="consent"))
    assert again.status_code == 200
    assert "Authorize" in again.text


def test_prompt_login_asks_for_the_password_even_when_signed_in(server, ctx, app, resident):
    resident.authorize(ask(app))  # consent given, signed in
    asked = login_redirect(resident.open(ask(app, prompt="login")))
    assert asked["again"] == ["1"]
    back = asked["next"][0]
    assert "prompt" not in parse_qs(urlsplit(back).query)  # satisfied by the sign-in
    page = resident.http.get("/login", params={"next": back, "again": "1"})
    assert page.status_code == 200
    assert resident.email in page.text  # the signed-in resident's email, filled in
    _, fields = form_of(page.text, "/login")
    posted = resident.http.post(
        "/login", data={**fields, "email": resident.email, "password": resident.password}
    )
    assert posted.status_code == 303
    received = callback_params(resident.http.get(posted.headers["location"]))
    assert "code" in received


def test_an_expired_max_age_forces_a_new_sign_in(server, ctx, app, resident):
    resident.authorize(ask(app))
    signed_in_long_ago(ctx, resident.user_id)
    asked = login_redirect(resident.open(ask(app, max_age="600")))
    assert asked["again"] == ["1"]
    assert "max_age" not in parse_qs(urlsplit(asked["next"][0]).query)
    # Recent enough: answered at once, and the ID token says when.
    fresh = callback_params(resident.open(ask(app, max_age="7200")))
    assert "code" in fresh


def test_an_expired_max_age_with_prompt_none_is_login_required(server, ctx, app, resident):
    resident.authorize(ask(app))
    signed_in_long_ago(ctx, resident.user_id)
    received = callback_params(resident.open(ask(app, max_age="600", prompt="none")))
    assert received["error"] == "login_required"


def test_max_age_must_be_a_number(server, app, resident):
    received = callback_params(resident.open(ask(app, max_age="soon")))
    assert received["error"] == "invalid_request"


def test_a_new_sign_in_gives_a_newer_auth_time(server, ctx, app, resident):
    first = resident.authorize(ask(app, "id_token"))
    signed_in_long_ago(ctx, resident.user_id)
    old = claims_of(resident.authorize(ask(app, "id_token"))["id_token"])["auth_time"]
    assert old < claims_of(first["id_token"])["auth_time"]
    page = resident.http.get("/login", params={"again": "1"})
    _, fields = form_of(page.text, "/login")
    resident.http.post(
        "/login", data={**fields, "email": resident.email, "password": resident.password}
    )
    new = claims_of(resident.authorize(ask(app, "id_token"))["id_token"])["auth_time"]
    assert new > old


def test_login_hint_fills_in_the_email(server, app, make_user):
    _, email, password = make_user()
    visitor = Resident(server.url, email, password)
    asked = login_redirect(visitor.open(ask(app, login_hint="jane@example.com")))
    assert asked["login_hint"] == ["jane@example.com"]
    page = visitor.http.get("/login", params={k: v[0] for k, v in asked.items()})
    assert 'value="jane@example.com"' in page.text


def test_id_token_hint_for_the_signed_in_resident_answers_silently(server, app, resident):
    hint = resident.authorize(ask(app, "id_token"))["id_token"]
    received = callback_params(resident.open(ask(app, prompt="none", id_token_hint=hint)))
    assert "code" in received


def test_id_token_hint_for_someone_else_is_login_required(server, app, resident, make_user):
    other = Resident.new(server.url, make_user)
    hint = other.authorize(ask(app, "id_token"))["id_token"]
    resident.authorize(ask(app))
    received = callback_params(resident.open(ask(app, prompt="none", id_token_hint=hint)))
    assert received["error"] == "login_required"
    # Without prompt=none the resident is asked to sign in as the right person.
    assert login_redirect(resident.open(ask(app, id_token_hint=hint)))["again"] == ["1"]


def test_an_id_token_hint_that_is_no_id_token_of_ours_is_refused(server, app, resident):
    resident.authorize(ask(app))
    received = callback_params(resident.open(ask(app, id_token_hint="eyJhbGciOi.e30.x")))
    assert received["error"] == "invalid_request"


def test_amr_says_password_and_authenticator_app(server, app, make_user):
    _, email, password = make_user()
    enrolling = Resident(server.url, email, password).sign_in()
    secret, _ = enrol_totp(enrolling.http, password)
    fresh = Resident(server.url, email, password)  # another browser
    assert password_step(fresh.http, email, password).status_code == 303
    assert factor_step(fresh.http, code_after(secret, 1)).status_code == 303
    claims = claims_of(fresh.authorize(ask(app, "id_token"))["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
