"""Authlib's OpenID Connect client as a relying party that knows only the
issuer: discovery, the code flow with a nonce (sign-in and consent in real
Chromium), the ID token validated against the published JWKS (joserfc and
Authlib's CodeIDToken claims), and userinfo; negative cases a relying
party must catch (a wrong nonce) or the provider must answer (max_age)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.openid_support import (
    CALLBACK_HEADING,
    SIGNED_OUT,
    relying_party_app,
    sign_in_on_the_way,
)


class RelyingParty:
    """What an app built on Authlib does, from the issuer URL alone."""

    def __init__(self, issuer: str, app: Any) -> None:
        self.issuer = issuer
        discovery = issuer + "/.well-known/openid-configuration"
        self.metadata: dict[str, Any] = requests.get(discovery, timeout=10).json()
        self.client_id = app.client_id
        self.session = OAuth2Session(
            app.client_id,
            app.client_secret,
            scope="openid profile email",
            redirect_uri=app.redirect_uri,
            code_challenge_method="S256",
        )
        self.code_verifier = secrets.token_urlsafe(48)

    def authorization_url(self, nonce: str, **extra: str) -> tuple[str, str]:
        url, state = self.session.create_authorization_url(
            self.metadata["authorization_endpoint"],
            nonce=nonce,
            code_verifier=self.code_verifier,
            **extra,
        )
        return url, state

    def fetch_token(self, callback_url: str, state: str) -> dict[str, Any]:
        token: dict[str, Any] = self.session.fetch_token(
            self.metadata["token_endpoint"],
            authorization_response=callback_url,
            state=state,
            code_verifier=self.code_verifier,
        )
        return token

    def validated(self, token: dict[str, Any], nonce: str) -> CodeIDToken:
        """Signature against the JWKS, then OIDC Core §3.1.3.7's checks."""
        keys = KeySet.import_key_set(requests.get(self.metadata["jwks_uri"], timeout=10).json())
        decoded = jwt.decode(token["id_token"], keys)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {"iss": {"values": [self.issuer]}, "aud": {"values": [self.client_id]}},
            {"nonce": nonce, "client_id": self.client_id, "access_token": token["access_token"]},
        )
        claims.validate(leeway=5)
        return claims

    def logout_url(self, id_token: str, state: str) -> str:
        """RP-Initiated Logout 1.0 §2, to the metadata's end_session_endpoint."""
        params = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": self.issuer + SIGNED_OUT,
            "state": state,
        }
        return f"{self.metadata['end_session_endpoint']}?{urlencode(params)}"

    def userinfo(self) -> dict[str, Any]:
        answer = self.session.get(self.metadata["userinfo_endpoint"])
        answer.raise_for_status()
        info: dict[str, Any] = answer.json()
        return info


@pytest.fixture
def app(server, ctx):
    return relying_party_app(ctx, server.url)


def test_authlib_relying_party_signs_a_resident_in(page, server, app, make_user):
    user_id, email, password = make_user()
    rp = RelyingParty(server.url, app)
    nonce = secrets.token_urlsafe(16)
    url, state = rp.authorization_url(nonce)
    page.goto(url)
    sign_in_on_the_way(page, email, password)
    expect(page.get_by_role("heading", name="Authorize Pothole Pal?")).to_be_visible()
    expect(page.get_by_text("Sign you in with your civicauth account")).to_be_visible()
    expect(page.get_by_text("See your email address and whether")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "consent-openid")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name=CALLBACK_HEADING)).to_be_visible()
    token = rp.fetch_token(page.url, state)
    claims = rp.validated(token, nonce)
    assert claims["sub"] == str(user_id)
    assert claims["amr"] == ["pwd"]
    info = rp.userinfo()
    assert info["sub"] == str(user_id)
    assert info["email"] == email
    assert info["email_verified"] is False

    page.goto(rp.logout_url(token["id_token"], "bye"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["state"] == ["bye"]
    page.goto("/account/security")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # signed out


def test_authlib_relying_party_refuses_a_wrong_nonce(page, server, app, make_user):
    _, email, password = make_user()
    rp = RelyingParty(server.url, app)
    url, state = rp.authorization_url("the-nonce-sent")
    page.goto(url)
    sign_in_on_the_way(page, email, password)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name=CALLBACK_HEADING)).to_be_visible()
    token = rp.fetch_token(page.url, state)
    with pytest.raises(InvalidClaimError, match="nonce"):
        rp.validated(token, "another-nonce")


def test_an_expired_max_age_makes_chromium_sign_in_again(page, server, app, make_user):
    _, email, password = make_user()
    rp = RelyingParty(server.url, app)
    url, state = rp.authorization_url("n1")
    page.goto(url)
    sign_in_on_the_way(page, email, password)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("heading", name=CALLBACK_HEADING)).to_be_visible()
    first = rp.validated(rp.fetch_token(page.url, state), "n1")
    # max_age=0: any earlier sign-in is too old (OIDC Core §3.1.2.1).
    rp2 = RelyingParty(server.url, app)
    url, state = rp2.authorization_url("n2", max_age="0")
    page.goto(url)
    expect(page.locator("#sign-in-again")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    assert_accessible(page)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=CALLBACK_HEADING)).to_be_visible()
    assert "code" in parse_qs(urlsplit(page.url).query)
    second = rp2.validated(rp2.fetch_token(page.url, state), "n2")
    assert second["auth_time"] >= first["auth_time"]
