"""pyoidc (the ``oic`` package), an OpenID Connect relying party written
independently of Authlib, against the live server knowing only its issuer:
discovery, the code flow with a nonce, its own ID token validation (the
signature against the JWKS, iss, aud, exp, nonce), and userinfo. The
resident's sign-in and consent are driven over HTTP as a browser would."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from oic import rndstr
from oic.oauth2.message import ErrorResponse
from oic.oic import Client
from oic.oic.message import AuthorizationResponse, OpenIDSchema, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from tests.functional.oauth_support import Resident, callback_params
from tests.functional.openid_support import openid_app


def relying_party(server: Any, app: Any) -> Client:
    """A pyoidc client configured from the issuer alone (Discovery 1.0 §4)."""
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(server.url)
    client.store_registration_info(
        RegistrationResponse(
            client_id=app.client_id,
            client_secret=app.client_secret,
            redirect_uris=[app.redirect_uri],
        )
    )
    client.redirect_uris = [app.redirect_uri]
    return client


def authorization(client: Client, state: str, nonce: str, **extra: Any) -> str:
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


def sign_in_and_consent(resident: Resident, url: str) -> str:
    """The query the browser brings back to the app."""
    received = resident.authorize(urlsplit(url).query)
    assert "code" in received, received
    return urlencode(received)


SIGNED_OUT = "/signed-out"


@pytest.fixture
def app(server, ctx):
    return openid_app(ctx, server.url, post_logout_redirect_uris=[server.url + SIGNED_OUT])


def test_discovery_code_flow_validation_and_userinfo(server, app, resident):
    client = relying_party(server, app)
    assert client.provider_info["issuer"] == server.url
    state, nonce = rndstr(), rndstr()
    query = sign_in_and_consent(resident, authorization(client, state, nonce))
    answer = client.parse_response(AuthorizationResponse, info=query, sformat="urlencoded")
    assert answer["state"] == state
    # pyoidc verifies the ID token here: the JWKS signature, iss, aud, exp, nonce.
    token = client.do_access_token_request(
        state=state,
        request_args={"code": answer["code"]},
        authn_method="client_secret_basic",
    )
    id_token = token["id_token"]
    assert id_token["sub"] == str(resident.user_id)
    assert id_token["nonce"] == nonce
    assert id_token["amr"] == ["pwd"]
    info = client.do_user_info_request(state=state)
    assert isinstance(info, OpenIDSchema)
    assert info["sub"] == str(resident.user_id)
    assert info["email"] == resident.email
    assert info["name"] == "Test Resident"

    # RP-initiated logout: pyoidc builds the request from the ID token it holds.
    end = client.construct_EndSessionRequest(
        state=state,
        request_args={"post_logout_redirect_uri": server.url + SIGNED_OUT, "state": state},
    )
    url = end.request(client.provider_info["end_session_endpoint"])
    answer = resident.http.get(url)
    assert answer.status_code == 303, answer.text[:300]
    back = urlsplit(answer.headers["location"])
    assert back.path == SIGNED_OUT
    assert parse_qs(back.query)["state"] == [state]
    assert resident.http.get("/account/security").status_code != 200  # signed out


def test_the_relying_party_detects_a_wrong_nonce(server, app, resident):
    client = relying_party(server, app)
    state = rndstr()
    query = sign_in_and_consent(resident, authorization(client, state, "the-real-nonce"))
    answer = client.parse_response(AuthorizationResponse, info=query, sformat="urlencoded")
    token = client.do_access_token_request(
        state=state, request_args={"code": answer["code"]}, authn_method="client_secret_basic"
    )
    # What an attacker's replayed ID token would look like to this session:
    # the nonce this RP sent for it is not the one the token carries.
    with pytest.raises(Exception, match="nonce"):
        client._verify_id_token(token["id_token"], nonce="another-" + secrets.token_hex(4))


def test_prompt_none_while_signed_out_comes_back_login_required(server, app, make_user):
    _, email, password = make_user()
    visitor = Resident(server.url, email, password)
    client = relying_party(server, app)
    state = rndstr()
    response = visitor.open(urlsplit(authorization(client, state, rndstr(), prompt="none")).query)
    query = urlencode(callback_params(response))
    answer = client.parse_response(AuthorizationResponse, info=query, sformat="urlencoded")
    assert isinstance(answer, ErrorResponse)
    assert answer["error"] == "login_required"
    assert answer["state"] == state
