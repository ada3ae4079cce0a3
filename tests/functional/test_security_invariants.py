"""DESIGN.md's security invariants that cut across parts: secrets are stored
only as digests, and session cookies carry the right flags."""

from __future__ import annotations

import hashlib
import re

import httpx
from litestar.testing import TestClient
from sqlalchemy import String, Text, select

from civicauth.app import create_app
from civicauth.models import Base
from civicauth.tokens.personal import create_personal_token
from tests.functional.oauth_support import Resident, register_app


def every_stored_text(ctx) -> str:
    """Every text value of every row of every table, joined."""
    values: list[str] = []
    with ctx.db.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if columns:
                for row in session.execute(select(*columns)):
                    values.extend(str(v) for v in row if v is not None)
    return "\n".join(values)


def test_no_secret_is_stored_in_plain_text(server, ctx, make_user):
    user_id, email, password = make_user()
    app = register_app(ctx, server.url, grant_types=["authorization_code", "refresh_token"])
    resident = Resident(server.url, email, password).sign_in()
    # The PKCE pair of RFC 7636 Appendix B.
    code = resident.authorize(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": app.redirect_uri,
            "scope": "public",
            "state": "s1",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )["code"]
    resident.close()
    tokens = httpx.post(
        server.url + "/oauth/token",
        auth=app.auth,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        },
    ).json()
    with ctx.db.transaction() as session:
        _, personal = create_personal_token(
            session, user_id, name="laptop", expires_in="30", scopes=["public"]
        )
    secrets = [
        app.client_secret,
        code,
        tokens["access_token"],
        tokens["refresh_token"],
        personal,
        password,
    ]
    stored = every_stored_text(ctx)
    for secret in secrets:
        assert secret
        assert secret not in stored
    for secret in secrets[:-1]:
        assert hashlib.sha256(secret.encode()).hexdigest() in stored
    # The password is an argon2id hash.
    assert re.search(r"\$argon2id\$v=19\$", stored)


def session_cookie(client, email: str, password: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return next(
        v for v in response.headers.get_list("set-cookie") if v.startswith("civicauth_session=")
    )


def test_session_cookie_is_httponly_and_lax_but_not_secure_on_http(client, make_user):
    _, email, password = make_user()
    cookie = session_cookie(client, email, password).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie.replace("samesite", "")


def test_session_cookie_is_secure_on_https(settings, make_user):
    _, email, password = make_user()
    https = create_app(settings.model_copy(update={"issuer": "https://auth.example.org"}))
    with TestClient(https, base_url="https://auth.example.org") as client:
        cookie = session_cookie(client, email, password).lower()
    assert "; secure" in cookie
    assert "httponly" in cookie
