"""An app's OpenID Connect settings, on the developer portal and the CLI:
sign-out return URLs (validated like callback URLs, reviewed like them) and
the ID token signing algorithm (applied at once)."""

from __future__ import annotations

import json
import re

from civicauth.clients.services import find_client
from tests.functional.oauth_support import APP_DETAILS, register_app
from tests.functional.pages import csrf_of, post_form, signed_in
from tests.functional.test_developer_portal_review import edit_form, pending_row
from tests.functional.test_oauth_cli import APP
from tests.support import run_civicauth

HERE = "/oauth/applications"
RETURN = "https://app.example.com/signed-out"


def stored(ctx, client_id):
    with ctx.db.read() as session:
        return find_client(session, client_id)


def register(page, **changes):
    """POST the registration form as its page (``/new``) does."""
    token = csrf_of(page.get(HERE + "/new").text)
    return page.post(HERE, data={**new_app_form(**changes), "_csrf_token": token})


def new_app_form(**changes):
    return {
        **APP_DETAILS,
        "redirect_uris": "https://app.example.com/cb",
        "client_type": "confidential",
        "grant_types": ["authorization_code"],
        "scopes": ["public"],
        **changes,
    }


def test_the_portal_registers_return_urls_and_es256(server, ctx, make_user):
    _, email, password = make_user()
    page = signed_in(server, email, password)
    form = page.get(HERE + "/new").text
    assert 'name="post_logout_redirect_uris"' in form
    assert 'name="id_token_signed_response_alg"' in form
    answer = register(
        page,
        post_logout_redirect_uris=f"{RETURN}\nhttp://127.0.0.1:8080/out",
        id_token_signed_response_alg="ES256",
    )
    assert answer.status_code == 303, answer.text[:500]
    client_id = answer.headers["location"].rsplit("/", 1)[1]
    client = stored(ctx, client_id)
    assert client.post_logout_redirect_uris == [RETURN, "http://127.0.0.1:8080/out"]
    assert client.id_token_signed_response_alg == "ES256"
    shown = page.get(f"{HERE}/{client_id}").text
    assert RETURN in shown
    assert "ES256" in shown


def test_bad_return_urls_and_algorithms_are_said_next_to_the_field(server, make_user):
    _, email, password = make_user()
    page = signed_in(server, email, password)
    answer = register(
        page,
        post_logout_redirect_uris="http://app.example.com/out\nhttps://x.example/#frag",
        id_token_signed_response_alg="HS256",
    )
    assert answer.status_code == 422
    errors = dict(
        re.findall(r'<p class="error" id="([^"]+)-error" role="alert">(.*?)</p>', answer.text)
    )
    assert "must use https" in errors["post_logout_redirect_uris"]
    assert "must not contain a fragment" in errors["post_logout_redirect_uris"]
    assert "must be one of RS256, ES256" in errors["id_token_signed_response_alg"]


def test_return_urls_wait_for_review_and_the_algorithm_does_not(server, ctx, make_user):
    owner_id, email, password = make_user()
    app = register_app(ctx, server.url, owner_id=owner_id)
    page = signed_in(server, email, password)
    changes = {"post_logout_redirect_uris": RETURN, "id_token_signed_response_alg": "ES256"}
    answer = post_form(page, f"{HERE}/{app.client_id}/edit", edit_form(app, **changes))
    assert answer.status_code == 303, answer.text[:500]
    client = stored(ctx, app.client_id)
    assert client.post_logout_redirect_uris == []
    assert client.pending_change == {"post_logout_redirect_uris": [RETURN]}
    assert client.id_token_signed_response_alg == "ES256"
    shown = page.get(f"{HERE}/{app.client_id}").text
    assert pending_row(shown, "Sign-out return URLs") == ([], [RETURN])


def test_the_cli_registers_return_urls_and_the_algorithm(backend, ctx):
    created = run_civicauth(
        backend,
        *APP,
        "--post-logout-redirect-uri",
        RETURN,
        "--post-logout-redirect-uri",
        "https://app.example.com/bye",
        "--id-token-alg",
        "ES256",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    client_id = json.loads(created.stdout)["client_id"]
    client = stored(ctx, client_id)
    assert client.post_logout_redirect_uris == [RETURN, "https://app.example.com/bye"]
    assert client.id_token_signed_response_alg == "ES256"
    shown = run_civicauth(backend, "apps", "show", client_id)
    assert f"post_logout_redirect_uris: {RETURN} https://app.example.com/bye" in shown.stdout
    assert "id_token_signed_response_alg: ES256" in shown.stdout
    # The default: none, RS256.
    plain = run_civicauth(backend, *APP, "--json")
    client = stored(ctx, json.loads(plain.stdout)["client_id"])
    assert client.post_logout_redirect_uris == []
    assert client.id_token_signed_response_alg == "RS256"


def test_the_cli_refuses_bad_values_in_one_line(backend):
    bad_uri = run_civicauth(backend, *APP, "--post-logout-redirect-uri", "http://example.com/out")
    assert bad_uri.returncode != 0
    assert bad_uri.stderr.count("\n") == 1
    assert "post_logout_redirect_uris http://example.com/out must use https" in bad_uri.stderr
    bad_alg = run_civicauth(backend, *APP, "--id-token-alg", "HS256")
    assert bad_alg.returncode != 0
    assert "invalid choice: 'HS256'" in bad_alg.stderr
