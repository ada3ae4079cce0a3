"""pyoidc (the ``oic`` package), an OpenID Connect relying party written
independently of Authlib, against the live server knowing only its issuer,
the resident in real Chromium: discovery, the code flow with a nonce
(sign-in and consent in the browser), pyoidc's own ID token validation (the
signature against the JWKS, iss, aud, exp, nonce), userinfo, and
RP-initiated logout with id_token_hint, post_logout_redirect_uri and state,
after which a silent authorization request (prompt=none) finds nobody
signed in: the server's session ended."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from oic import rndstr
from oic.oauth2.message import ErrorResponse
from oic.oic import Client
from oic.oic.message import AuthorizationResponse, OpenIDSchema, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from playwright.sync_api import expect

from tests.browser.openid_support import (
    CALLBACK_HEADING,
    SIGNED_OUT,
    relying_party_app,
    sign_in_on_the_way,
)


def relying_party(issuer: str, app: Any) -> Client:
    """A pyoidc client configured from the issuer alone (Discovery 1.0 §4):
    endpoints and the JWKS come from the discovery document."""
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(issuer)
    client.store_registration_info(
        RegistrationResponse(
            client_id=app.client_id,
            client_secret=app.client_secret,
            redirect_uris=[app.redirect_uri],
        )
    )
    client.redirect_uris = [app.redirect_uri]
    return client


def authorization_url(client: Client, state: str, nonce: str, **extra: Any) -> str:
    request = client.construct_AuthorizationRequest(
        request_args={
            "client_id": client.client_id,
            "response_type": "code",
            "scope": ["openid", "profile", "email"],
            "nonce": nonce,
            "redirect_uri": client.redirect_uris[0],
            "state": state,
            **extra,
        }
    )
    url: str = request.request(client.authorization_endpoint)
    return url


def came_back(client: Client, page: Any) -> Any:
    """What the browser brought back to the app's redirect URI, parsed by pyoidc."""
    expect(page.get_by_role("heading", name=CALLBACK_HEADING)).to_be_visible()
    query = urlsplit(page.url).query
    return client.parse_response(AuthorizationResponse, info=query, sformat="urlencoded")


@pytest.fixture
def app(server, ctx):
    return relying_party_app(ctx, server.url)


def test_pyoidc_signs_a_resident_in_and_out_through_chromium(page, server, app, make_user):
    user_id, email, password = make_user()
    client = relying_party(server.url, app)
    assert client.provider_info["issuer"] == server.url
    state, nonce = rndstr(), rndstr()
    page.goto(authorization_url(client, state, nonce))
    sign_in_on_the_way(page, email, password)
    expect(page.get_by_role("heading", name="Authorize Pothole Pal?")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    answer = came_back(client, page)
    assert isinstance(answer, AuthorizationResponse)
    assert answer["state"] == state

    # pyoidc verifies the ID token in the token response: the signature with
    # a key of the JWKS named by kid, iss, aud, exp, and the nonce it sent.
    token = client.do_access_token_request(
        state=state, request_args={"code": answer["code"]}, authn_method="client_secret_basic"
    )
    id_token = token["id_token"]
    assert id_token["iss"] == server.url
    assert id_token["aud"] == [app.client_id]
    assert id_token["sub"] == str(user_id)
    assert id_token["nonce"] == nonce
    assert id_token["amr"] == ["pwd"]
    info = client.do_user_info_request(state=state)
    assert isinstance(info, OpenIDSchema)
    assert info["sub"] == str(user_id)
    assert info["email"] == email
    assert info["name"] == "Test Resident"

    # RP-initiated logout: pyoidc builds it from the ID token it holds.
    logout_state = rndstr()
    end = client.construct_EndSessionRequest(
        state=state,
        request_args={
            "post_logout_redirect_uri": server.url + SIGNED_OUT,
            "state": logout_state,
        },
    )
    logout_url: str = end.request(client.provider_info["end_session_endpoint"])
    assert "id_token_hint" in parse_qs(urlsplit(logout_url).query)
    page.goto(logout_url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    back = urlsplit(page.url)
    assert back.path == SIGNED_OUT
    assert parse_qs(back.query)["state"] == [logout_state]

    # The server's session ended: a silent request cannot sign anyone in.
    silent_state = rndstr()
    page.goto(authorization_url(client, silent_state, rndstr(), prompt="none"))
    refused = came_back(client, page)
    assert isinstance(refused, ErrorResponse)
    assert refused["error"] == "login_required"
    assert refused["state"] == silent_state
