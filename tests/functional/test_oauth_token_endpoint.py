"""POST /oauth/token over real HTTP: the code exchange and its error cases
(RFC 6749 §4.1.3, RFC 7636 §4.6), refresh rotation (§6), client credentials
(§4.4), client authentication (§2.3) and the §5.2 error responses."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client as AuthlibSession
from sqlalchemy import select, update

from civicauth.clients.models import Client
from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.models import AuthorizationCode, OAuthToken
from tests.functional.oauth_support import api_status, authorize_params, register_app
from tests.token_support import forged

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B


@pytest.fixture
def app(server, ctx):
    return register_app(
        ctx,
        server.url,
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
    )


def get_code(resident, app, **extra: str) -> str:
    return resident.authorize(authorize_params(app, **extra))["code"]


def post_token(server, data: dict[str, str], auth=None, **kwargs) -> httpx.Response:
    response = httpx.post(server.url + "/oauth/token", data=data, auth=auth, **kwargs)
    # RFC 6749 §5.1, §5.2: never cached, success or error.
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"].startswith("application/json")
    return response


def exchange(server, app, code: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
    return post_token(server, {**data, **extra}, auth=app.auth)


def error_of(response: httpx.Response) -> str:
    assert response.status_code in (400, 401), response.text
    return response.json()["error"]


# -- the authorization code ------------------------------------------------


def test_a_code_works_once_and_a_replay_revokes_its_tokens(server, app, resident):
    code = get_code(resident, app)
    first = exchange(server, app, code)
    assert first.status_code == 200
    tokens = first.json()
    assert api_status(server, tokens["access_token"]) == 200
    replay = exchange(server, app, code)
    assert error_of(replay) == "invalid_grant"
    # RFC 6749 §4.1.2: the tokens issued from the replayed code die too.
    assert api_status(server, tokens["access_token"]) == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert error_of(post_token(server, refresh, auth=app.auth)) == "invalid_grant"


def test_a_replay_also_revokes_what_the_refresh_token_became(server, app, resident):
    code = get_code(resident, app)
    tokens = exchange(server, app, code).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    rotated = post_token(server, refresh, auth=app.auth).json()
    assert api_status(server, rotated["access_token"]) == 200
    assert error_of(exchange(server, app, code)) == "invalid_grant"
    assert api_status(server, rotated["access_token"]) == 401


def test_a_code_is_bound_to_its_client(server, ctx, app, resident):
    other = register_app(ctx, server.url)
    code = get_code(resident, app)
    assert error_of(exchange(server, other, code)) == "invalid_grant"


def test_a_code_is_bound_to_its_redirect_uri(server, ctx, resident):
    app = register_app(ctx, server.url, redirect_uris=[server.url + "/a", server.url + "/b"])
    code = get_code(resident, app, redirect_uri=server.url + "/a")
    wrong = exchange(server, app, code, redirect_uri=server.url + "/b")
    assert error_of(wrong) == "invalid_grant"


def test_a_code_named_with_a_redirect_uri_needs_it_again(server, app, resident):
    code = get_code(resident, app)
    data = {"grant_type": "authorization_code", "code": code}
    assert error_of(post_token(server, data, auth=app.auth)) == "invalid_grant"


def test_an_expired_code_is_refused(server, ctx, app, resident):
    code = get_code(resident, app)
    with ctx.db.transaction() as session:
        session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_digest == secrets.digest(code))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = exchange(server, app, code)
    assert error_of(response) == "invalid_grant"
    assert "expired" in response.json()["error_description"]


def test_codes_live_auth_code_ttl(server, ctx, settings, app, resident):
    code = get_code(resident, app)
    with ctx.db.read() as session:
        row = session.scalar(
            select(AuthorizationCode).where(AuthorizationCode.code_digest == secrets.digest(code))
        )
        lifetime = (row.expires_at - row.created_at).total_seconds()
    assert lifetime == settings.auth_code_ttl


@pytest.mark.parametrize("code", ["", "cvc_not-a-real-code", forged(secrets.Kind.CODE)])
def test_missing_malformed_and_unknown_codes(server, app, code):
    response = exchange(server, app, code)
    assert error_of(response) in ("invalid_request", "invalid_grant")


def test_pkce_verifier_is_checked(server, app, resident):
    code = get_code(resident, app, code_challenge=CHALLENGE, code_challenge_method="S256")
    assert error_of(exchange(server, app, code)) == "invalid_request"  # verifier missing
    code = get_code(resident, app, code_challenge=CHALLENGE, code_challenge_method="S256")
    wrong = exchange(server, app, code, code_verifier="x" * 43)
    assert error_of(wrong) == "invalid_grant"
    code = get_code(resident, app, code_challenge=CHALLENGE, code_challenge_method="S256")
    good = exchange(server, app, code, code_verifier=VERIFIER)
    assert good.status_code == 200, good.text


def test_a_verifier_without_a_challenge_is_refused(server, app, resident):
    code = get_code(resident, app)
    assert error_of(exchange(server, app, code, code_verifier=VERIFIER)) == "invalid_request"


def test_public_clients_exchange_with_client_id_and_verifier(server, ctx, resident):
    app = register_app(ctx, server.url, is_public=True)
    code = get_code(resident, app, code_challenge=CHALLENGE, code_challenge_method="S256")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        "client_id": app.client_id,
        "code_verifier": VERIFIER,
    }
    token = post_token(server, data).json()
    assert token["refresh_token"].startswith("cvr_")


# -- refresh tokens -----------------------------------------------------------


def refresh(server, app, refresh_token: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return post_token(server, data, auth=app.auth)


def test_refresh_tokens_rotate_and_reuse_revokes_the_grant(server, app, resident):
    first = exchange(server, app, get_code(resident, app)).json()
    second = refresh(server, app, first["refresh_token"]).json()
    third = refresh(server, app, second["refresh_token"]).json()
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert api_status(server, third["access_token"]) == 200
    # The grace window is off by default: reuse is theft, the grant ends.
    assert error_of(refresh(server, app, first["refresh_token"])) == "invalid_grant"
    assert api_status(server, third["access_token"]) == 401
    assert error_of(refresh(server, app, third["refresh_token"])) == "invalid_grant"


def test_refresh_may_narrow_but_not_widen_the_scope(server, app, resident):
    tokens = exchange(server, app, get_code(resident, app, scope="public write")).json()
    narrowed = refresh(server, app, tokens["refresh_token"], scope="public")
    assert narrowed.json()["scope"] == "public"
    tokens = exchange(server, app, get_code(resident, app, scope="public")).json()
    assert error_of(refresh(server, app, tokens["refresh_token"], scope="write")) == (
        "invalid_scope"
    )


def set_scopes(ctx, app, scopes: str) -> None:
    with ctx.db.transaction() as session:
        session.execute(update(Client).where(Client.id == app.pk).values(scopes=scopes))


def test_a_refresh_keeps_only_the_scopes_the_app_still_has(server, ctx, app, resident):
    tokens = exchange(server, app, get_code(resident, app, scope="public write")).json()
    set_scopes(ctx, app, "public")  # the app lost write since
    oauth = AuthlibSession(app.client_id, app.client_secret, token=tokens)
    refreshed = oauth.refresh_token(server.url + "/oauth/token")
    assert refreshed["scope"] == "public"
    write = httpx.put(
        server.url + "/api/v2/profile",
        data={"name": "Renamed"},
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
    )
    assert write.status_code == 403
    assert api_status(server, refreshed["access_token"]) == 200
    # Asking for the lost scope explicitly gets no more.
    again = refresh(server, app, refreshed["refresh_token"], scope="public")
    assert again.json()["scope"] == "public"


def test_a_refresh_with_none_of_its_scopes_left_is_refused(server, ctx, app, resident):
    tokens = exchange(server, app, get_code(resident, app, scope="write")).json()
    set_scopes(ctx, app, "public")
    refused = refresh(server, app, tokens["refresh_token"])
    assert error_of(refused) == "invalid_scope"
    set_scopes(ctx, app, "public write")  # nothing was rotated by the refusal
    assert refresh(server, app, tokens["refresh_token"]).json()["scope"] == "write"


def test_a_refresh_token_is_bound_to_its_client(server, ctx, app, resident):
    other = register_app(ctx, server.url)
    tokens = exchange(server, app, get_code(resident, app)).json()
    assert error_of(refresh(server, other, tokens["refresh_token"])) == "invalid_grant"
    assert refresh(server, app, tokens["refresh_token"]).status_code == 200


def test_an_access_token_is_not_a_refresh_token(server, app, resident):
    tokens = exchange(server, app, get_code(resident, app)).json()
    assert error_of(refresh(server, app, tokens["access_token"])) == "invalid_grant"


# -- client credentials and client authentication ----------------------------------


def test_client_credentials_by_basic_body_and_query_string(server, app):
    by_basic = post_token(server, {"grant_type": "client_credentials"}, auth=app.auth)
    assert by_basic.status_code == 200
    body = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    assert post_token(server, body).status_code == 200
    # The SeeClickFix documentation's example sends the parameters in the query.
    by_query = httpx.post(server.url + "/oauth/token", params=body)
    assert by_query.status_code == 200
    token = by_query.json()
    assert token["scope"] == "public"
    assert "refresh_token" not in token
    assert token["expires_in"] > 0


def metric_for(server, client_id: str) -> float:
    name = "civicauth_oauth_params_in_query_total"
    for line in server.scrape().splitlines():
        if line.startswith(f'{name}{{client_id="{client_id}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_secrets_in_the_query_string_work_with_a_warning_and_are_counted_per_app(server, app):
    """RFC 6749 §2.3.1: accepted (CIVICAUTH_TOKEN_PARAMS_IN_QUERY=accept, the
    default) for SeeClickFix's clients, but warned about and counted."""
    before = metric_for(server, app.client_id)
    body = {"grant_type": "client_credentials", "client_secret": app.client_secret}
    by_query = httpx.post(server.url + "/oauth/token", params={**body, "client_id": app.client_id})
    assert by_query.status_code == 200
    assert by_query.headers["warning"].startswith('299 civicauth "Send client_secret')
    assert "RFC 6749 section 2.3.1" in by_query.headers["warning"]
    assert metric_for(server, app.client_id) == before + 1
    # A wrong secret in the query is warned about too, but counted for no app.
    wrong = httpx.post(
        server.url + "/oauth/token",
        params={**body, "client_id": app.client_id, "client_secret": "cvs_wrong"},
    )
    assert wrong.status_code == 401
    assert "warning" in wrong.headers
    assert metric_for(server, app.client_id) == before + 1
    # Parameters in the body: no warning.
    by_body = post_token(server, {**body, "client_id": app.client_id})
    assert by_body.status_code == 200
    assert "warning" not in by_body.headers


def test_client_credentials_need_the_grant_type_registered(server, ctx):
    app = register_app(ctx, server.url)
    response = post_token(server, {"grant_type": "client_credentials"}, auth=app.auth)
    assert error_of(response) == "unauthorized_client"


def test_client_credentials_are_refused_to_pending_apps(server, ctx, make_user):
    owner_id, _, _ = make_user()
    app = register_app(
        ctx, server.url, status="pending", owner_id=owner_id, grant_types=["client_credentials"]
    )
    response = post_token(server, {"grant_type": "client_credentials"}, auth=app.auth)
    assert error_of(response) == "unauthorized_client"
    assert "awaiting review" in response.json()["error_description"]


def set_status(ctx, app, status: str) -> None:
    with ctx.db.transaction() as session:
        session.execute(update(Client).where(Client.id == app.pk).values(status=status))


@pytest.mark.parametrize("status", ["rejected", "suspended"])
def test_an_app_that_may_not_be_used_gets_no_tokens(server, ctx, app, resident, status):
    tokens = exchange(server, app, get_code(resident, app)).json()
    code = get_code(resident, app)
    set_status(ctx, app, status)
    for refused in (
        refresh(server, app, tokens["refresh_token"]),
        exchange(server, app, code),
        post_token(server, {"grant_type": "client_credentials"}, auth=app.auth),
    ):
        assert error_of(refused) == "unauthorized_client"
        assert refused.json()["error_description"] == "The application may not be used."
    set_status(ctx, app, "approved")  # reinstated: the refresh token works again
    assert refresh(server, app, tokens["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    "auth",
    [("no-such-app", "cvs_x"), ("CLIENT", "wrong secret"), ("CLIENT", "")],
    ids=["unknown-client", "wrong-secret", "empty-secret"],
)
def test_failed_client_authentication_is_401_with_a_challenge(server, app, auth):
    auth = tuple(app.client_id if part == "CLIENT" else part for part in auth)
    response = post_token(server, {"grant_type": "client_credentials"}, auth=auth)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith('Basic realm="OAuth"')


def test_confidential_clients_cannot_skip_their_secret(server, app, resident):
    code = get_code(resident, app)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        "client_id": app.client_id,
    }
    assert post_token(server, data).status_code == 401


def test_two_client_authentication_methods_at_once_are_refused(server, app):
    data = {"grant_type": "client_credentials", "client_secret": app.client_secret}
    response = post_token(server, data, auth=app.auth)
    assert error_of(response) == "invalid_request"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "admin"}, "invalid_scope"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
    ],
)
def test_rfc_6749_errors(server, app, data, error):
    assert error_of(post_token(server, data, auth=app.auth)) == error


def test_tokens_are_stored_only_as_digests(server, ctx, app, resident):
    tokens = exchange(server, app, get_code(resident, app)).json()
    with ctx.db.read() as session:
        row = session.scalar(
            select(OAuthToken).where(
                OAuthToken.access_token_digest == secrets.digest(tokens["access_token"])
            )
        )
        assert row is not None
        assert row.refresh_token_digest == secrets.digest(tokens["refresh_token"])
        stored = " ".join(str(value) for value in vars(row).values())
    assert tokens["access_token"] not in stored
    assert tokens["refresh_token"] not in stored
    assert secrets.kind_of(tokens["access_token"]) is secrets.Kind.ACCESS
    assert secrets.kind_of(tokens["refresh_token"]) is secrets.Kind.REFRESH
