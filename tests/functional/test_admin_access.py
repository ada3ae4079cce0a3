"""``/admin`` is for operators only: everyone else, signed out included, gets
the 404 of an unknown path on every route of the console (enumerated from
the app's route table, so a route added later is covered), whatever the
method and with or without a CSRF token. Operator actions need a CSRF token
(403), a recent password and, for an operator with one, the second factor."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from civicauth.accounts.models import AuditEvent
from civicauth.clients.models import Client
from tests.factor_support import code_after, enrol_totp
from tests.functional.admin_support import act, make_operator, operator_client, password_long_ago
from tests.functional.oauth_support import register_app
from tests.functional.pages import csrf_of, signed_in

UNKNOWN = "/no-such-page"
CONFIRM = "/account/confirm-password"


def console_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path) of every console route, its path parameters filled in."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/admin"):
            continue
        path = re.sub(r"\{[^}]+\}", "some-id", route.path)
        found += [(method, path) for method in sorted(route.methods)]
    return found


def filled(path: str, client_id: str, user_id: int) -> str:
    """A console route's path for a real app and a real account."""
    return path.replace("/users/some-id", f"/users/{user_id}").replace("some-id", client_id)


def test_the_route_table_has_the_console(app):
    routes = console_routes(app)
    assert ("GET", "/admin") in routes
    assert ("GET", "/admin/apps") in routes
    assert ("POST", "/admin/apps/some-id/approve") in routes


def not_found_as_unknown(http: httpx.Client, method: str, path: str, **kwargs: object) -> None:
    answer = http.request(method, path, **kwargs)  # type: ignore[arg-type]
    unknown = http.request(method, UNKNOWN, **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == 404, (method, path, answer.status_code)
    assert unknown.status_code == 404
    assert answer.text == unknown.text, (method, path)
    assert "location" not in answer.headers
    assert "operator" not in answer.text.lower()


@pytest.mark.parametrize("who", ["signed out", "resident"])
def test_everyone_but_operators_gets_404_on_every_console_route(app, server, make_user, who):
    if who == "signed out":
        http = server.client()
    else:
        _, email, password = make_user()
        http = signed_in(server, email, password)
    token = csrf_of(http.get("/login" if who == "signed out" else "/account/security").text)
    for method, path in console_routes(app):
        not_found_as_unknown(http, method, path)
        if method == "POST":
            # A valid CSRF token changes nothing: still the unknown path's 404.
            not_found_as_unknown(http, method, path, data={"_csrf_token": token})
    # The methods a route does not have, too: a 405 would tell it exists.
    not_found_as_unknown(http, "DELETE", "/admin/apps")
    not_found_as_unknown(http, "GET", "/admin/apps/some-id/approve")
    http.close()


def test_a_revoked_or_locked_operator_is_refused_too(server, ctx, make_user):
    from sqlalchemy import update

    from civicauth.accounts.models import User
    from civicauth.db import utcnow

    http, user_id = operator_client(server, ctx, make_user)
    assert http.get("/admin/apps").status_code == 200
    with ctx.db.transaction() as session:
        session.execute(update(User).where(User.id == user_id).values(is_operator=False))
    assert http.get("/admin/apps").status_code == 404
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        user.is_operator, user.locked_at = True, utcnow()
    assert http.get("/admin/apps").status_code == 404


def test_operators_see_the_console_and_the_nav_link(app, server, ctx, make_user):
    application = register_app(ctx, status="pending")
    _, email, password = make_user()
    resident = signed_in(server, email, password)
    assert 'href="/admin"' not in resident.get("/account/security").text
    http, operator_id = operator_client(server, ctx, make_user)
    assert '<a href="/admin">Operator</a>' in http.get("/account/security").text
    for method, path in console_routes(app):
        if method != "GET":
            continue
        answer = http.get(filled(path, application.client_id, operator_id))
        assert answer.status_code == 200, (path, answer.text[:300])
        assert answer.headers["x-frame-options"] == "DENY"


def test_every_console_post_without_a_csrf_token_is_403(app, server, ctx, make_user):
    application = register_app(ctx, status="pending")
    http, operator_id = operator_client(server, ctx, make_user)
    http.get("/admin/apps")  # the CSRF cookie
    for method, path in console_routes(app):
        if method == "POST":
            target = filled(path, application.client_id, operator_id)
            answer = http.post(target, data={"reason": "spam"})
            assert answer.status_code == 403, (path, answer.status_code)
            bad = http.post(target, data={"reason": "spam", "_csrf_token": "forged"})
            assert bad.status_code == 403, path
    with ctx.db.read() as session:
        assert session.get(Client, application.pk).status == "pending"


def test_an_action_needs_a_password_entered_in_the_last_ten_minutes(server, ctx, make_user):
    application = register_app(ctx, status="pending")
    http, operator_id = operator_client(server, ctx, make_user)
    password_long_ago(ctx, operator_id)
    answer = act(http, application.client_id, "approve")
    assert answer.status_code == 303
    back = f"/admin/apps/{application.client_id}"
    assert answer.headers["location"] == f"{CONFIRM}?next=%2Fadmin%2Fapps%2F{application.client_id}"
    with ctx.db.read() as session:
        assert session.get(Client, application.pk).status == "pending"  # nothing done

    form = http.get(answer.headers["location"])
    token = csrf_of(form.text)
    confirmed = http.post(
        CONFIRM, data={"password": "correct horse battery", "next": back, "_csrf_token": token}
    )
    assert confirmed.headers["location"] == back
    assert act(http, application.client_id, "approve").status_code == 303
    with ctx.db.read() as session:
        assert session.get(Client, application.pk).status == "approved"
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.event == "app_approved", AuditEvent.client_id == application.client_id
            )
        ).one()
        assert event.operator_id == operator_id


def test_an_operator_with_a_second_factor_proves_it_again(server, ctx, make_user):
    application = register_app(ctx, status="pending")
    _, email, password = make_operator(ctx, make_user)
    http = signed_in(server, email, password)
    secret, _ = enrol_totp(http, password)  # enrolling is not proving it at sign-in
    answer = act(http, application.client_id, "approve")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location == f"/admin/confirm-factor?next=%2Fadmin%2Fapps%2F{application.client_id}"

    form = http.get(location)
    assert form.status_code == 200
    back = f"/admin/apps/{application.client_id}"
    wrong = http.post(
        "/admin/confirm-factor",
        data={"code": "000000", "next": back, "_csrf_token": csrf_of(form.text)},
    )
    assert wrong.status_code == 400
    with ctx.db.read() as session:
        assert session.get(Client, application.pk).status == "pending"
    right = http.post(
        "/admin/confirm-factor",
        data={"code": code_after(secret, 1), "next": back, "_csrf_token": csrf_of(form.text)},
    )
    assert right.status_code == 303
    assert right.headers["location"] == back
    assert act(http, application.client_id, "approve").status_code == 303
    with ctx.db.read() as session:
        assert session.get(Client, application.pk).status == "approved"


def test_the_factor_page_only_returns_into_the_console(server, ctx, make_user):
    http, _ = operator_client(server, ctx, make_user)
    form = http.get("/admin/confirm-factor?next=https://evil.example/")
    assert 'name="next" value="/admin"' in form.text
