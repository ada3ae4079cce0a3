"""Every form of the pages refuses a missing or wrong CSRF token with 403
and changes nothing; the same submission with the page's own token works."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import civicauth.models  # noqa: F401  (every table known to the metadata)
from civicauth.db import Base
from civicauth.tokens.personal import create_personal_token
from tests.functional.oauth_support import APP_DETAILS, form_of, register_app
from tests.functional.pages import csrf_of, signed_in
from tests.grants import issue_tokens

APP_FORM = {
    **APP_DETAILS,
    "name": "Form App",
    "redirect_uris": "https://form.example/cb",
    "client_type": "confidential",
    "grant_types": ["authorization_code"],
    "scopes": ["public"],
}


@dataclass
class World:
    server: Any
    email: str
    password: str
    pat_id: int
    authorized: Any  # an app holding this user's tokens
    own: Any  # an app this user registered
    other: Any  # an app asking for consent


@dataclass
class Form:
    """Where a form's page is, what it posts, and whether a user is signed in."""

    page: str
    submit: Callable[[World, httpx.Client], tuple[str, dict[str, Any]]]
    signed_in: bool = True


def _consent(world: World, client: httpx.Client) -> tuple[str, dict[str, Any]]:
    params = {
        "response_type": "code",
        "client_id": world.other.client_id,
        "redirect_uri": world.other.redirect_uri,
        "scope": "public",
        "state": "s1",
    }
    consent = client.get("/oauth/authorize", params=params)
    action, fields = form_of(consent.text, "/oauth/authorize")
    fields.pop("_csrf_token", None)
    return action, {**fields, "decision": "approve"}


FORMS = {
    "login": Form(
        "/login", lambda w, _: ("/login", {"email": w.email, "password": w.password}), False
    ),
    "signup": Form(
        "/signup",
        lambda w, _: (
            "/signup",
            {
                "name": "Newcomer",
                "email": "newcomer-" + w.email,
                "password": "long enough",
                "password_confirmation": "long enough",
            },
        ),
        False,
    ),
    "logout": Form("/", lambda w, _: ("/logout", {})),
    # RP-initiated logout without an id_token_hint: the resident confirms.
    "logout_confirm": Form("/oauth/logout", lambda w, _: ("/oauth/logout/confirm", {})),
    "change_password": Form(
        "/account/security",
        lambda w, _: (
            "/account/security",
            {
                "action": "change_password",
                "current_password": w.password,
                "password": "another password",
                "password_confirmation": "another password",
            },
        ),
    ),
    "create_token": Form(
        "/account/security",
        lambda w, _: (
            "/account/security",
            {"action": "create_token", "name": "n", "expires_in": "7", "scopes": ["public"]},
        ),
    ),
    "revoke_token": Form(
        "/account/security",
        lambda w, _: ("/account/security", {"action": "revoke_token", "token_id": str(w.pat_id)}),
    ),
    "revoke_app": Form(
        "/oauth/authorized_applications",
        lambda w, _: (f"/oauth/authorized_applications/{w.authorized.client_id}/revoke", {}),
    ),
    "consent": Form("/oauth/applications", _consent),
    "register_app": Form("/oauth/applications/new", lambda w, _: ("/oauth/applications", APP_FORM)),
    "edit_app": Form(
        "/oauth/applications",
        lambda w, _: (f"/oauth/applications/{w.own.client_id}/edit", APP_FORM),
    ),
    "rotate_secret": Form(
        "/oauth/applications",
        lambda w, _: (f"/oauth/applications/{w.own.client_id}/secret", {}),
    ),
    "delete_app": Form(
        "/oauth/applications",
        lambda w, _: (f"/oauth/applications/{w.own.client_id}/delete", {}),
    ),
}


@pytest.fixture
def world(server, ctx, make_user) -> World:
    user_id, email, password = make_user()
    with ctx.db.transaction() as session:
        pat, _ = create_personal_token(
            session, user_id, name="kept", expires_in="30", scopes=["public"]
        )
        pat_id = pat.id
    authorized = register_app(ctx, server.url, name="Authorized App")
    issue_tokens(ctx, user_id, authorized.pk)
    own = register_app(ctx, server.url, name="Own App", owner_id=user_id)
    other = register_app(ctx, server.url, name="Asking App")
    return World(server, email, password, pat_id, authorized, own, other)


def snapshot(ctx) -> dict[str, list[str]]:
    """Every row of every table, to compare before and after."""
    with ctx.db.read() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def is_signed_in(client: httpx.Client) -> bool:
    return client.get("/account/security").status_code == 200


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_refuses_missing_or_wrong_csrf_token(name, world, server, ctx):
    form = FORMS[name]
    client = signed_in(server, world.email, world.password) if form.signed_in else server.client()
    own_token = csrf_of(client.get(form.page).text)
    with server.client() as stranger:  # a real token, but of another browser
        foreign_token = csrf_of(stranger.get("/login").text)
    path, data = form.submit(world, client)
    before = snapshot(ctx)

    assert client.post(path, data=data).status_code == 403
    for wrong in (foreign_token, own_token[:-2] + "xx", ""):
        assert client.post(path, data={**data, "_csrf_token": wrong}).status_code == 403
    assert snapshot(ctx) == before
    assert is_signed_in(client) == form.signed_in

    # The same submission with the page's own token does what the form is for.
    answer = client.post(path, data={**data, "_csrf_token": own_token})
    assert answer.status_code in (200, 302, 303), answer.text[:300]
    changed = snapshot(ctx) != before or is_signed_in(client) != form.signed_in
    assert changed, f"{name} changed nothing even with its token"
    client.close()
