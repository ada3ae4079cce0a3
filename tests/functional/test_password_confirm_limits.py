"""Wrong passwords on "Confirm your password" count toward the sign-in
limits (the one password gate): past the limit the page answers 429 with
Retry-After, and signing in is refused too."""

from __future__ import annotations

from tests.functional.pages import csrf_of, signed_in

SETTINGS = {"CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS": "2/5minutes"}
CONFIRM = "/account/confirm-password"


def test_wrong_confirmations_hit_the_sign_in_limits(server, make_user):
    _, email, password = make_user()
    client = signed_in(server, email, password)
    token = csrf_of(client.get(CONFIRM).text)
    for _ in range(2):
        wrong = client.post(CONFIRM, data={"password": "guess", "_csrf_token": token})
        assert wrong.status_code == 422
    throttled = client.post(CONFIRM, data={"password": password, "_csrf_token": token})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "Too many failed attempts." in throttled.text

    other = server.client()
    login_token = csrf_of(other.get("/login").text)
    fields = {"email": email, "password": password, "_csrf_token": login_token}
    assert other.post("/login", data=fields).status_code == 429
    other.close()
    client.close()
