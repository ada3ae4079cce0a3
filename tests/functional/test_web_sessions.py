"""Page sessions are records on the server the cookie only points to:
listed on Password & Security, ended there from another browser, by sign-out
and by a password change; a copied cookie of an ended session gets nothing;
a secret shown once is neither in the cookie nor in plain text in the table;
sensitive actions ask for the password again after 10 minutes."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from civicauth.accounts.web_sessions import WebSession, digest_of
from civicauth.db import utcnow
from civicauth.tokens.models import PersonalAccessToken
from civicauth.web.config import SESSION_COOKIE
from tests.functional.pages import csrf_of, post_form, signed_in

SECURITY = "/account/security"
CONFIRM = "/account/confirm-password"
_SESSION_ID = re.compile(r'name="session_id" value="(\d+)"')
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def signed_in_as(server, email, password, user_agent):
    client = server.client(headers={"User-Agent": user_agent})
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    return client


def is_signed_out(client: httpx.Client) -> bool:
    answer = client.get(SECURITY)
    return answer.status_code == 303 and answer.headers["location"].startswith("/login")


def rows_of(ctx, user_id):
    with ctx.db.read() as db:
        return list(db.scalars(select(WebSession).where(WebSession.user_id == user_id)))


def row_of(ctx, client: httpx.Client) -> WebSession | None:
    raw = client.cookies.get(SESSION_COOKIE)
    with ctx.db.read() as db:
        return db.scalar(select(WebSession).where(WebSession.digest == digest_of(raw or "")))


def test_one_browser_lists_both_and_signs_out_the_other(server, ctx, make_user):
    user_id, email, password = make_user()
    laptop = signed_in_as(server, email, password, CHROME)
    phone = signed_in_as(server, email, password, FIREFOX)

    listing = laptop.get(SECURITY).text
    assert "Chrome on Linux" in listing
    assert "Firefox on Windows" in listing
    assert "this session" in listing
    (other_id,) = _SESSION_ID.findall(listing)  # no sign-out button for this one
    assert int(other_id) == row_of(ctx, phone).id

    token = csrf_of(listing)
    answer = laptop.post(
        "/account/sessions/sign-out", data={"session_id": other_id, "_csrf_token": token}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == SECURITY

    assert is_signed_out(phone)
    assert not is_signed_out(laptop)
    assert [row.id for row in rows_of(ctx, user_id)] == [row_of(ctx, laptop).id]
    laptop.close()
    phone.close()


def test_someone_elses_session_cannot_be_signed_out(server, ctx, make_user):
    _, email, password = make_user()
    _stranger_id, stranger_email, stranger_password = make_user()
    mine = signed_in(server, email, password)
    theirs = signed_in(server, stranger_email, stranger_password)
    token = csrf_of(mine.get(SECURITY).text)
    their_row = row_of(ctx, theirs).id
    for bad in (str(their_row), "not a number", str(row_of(ctx, mine).id)):
        answer = mine.post(
            "/account/sessions/sign-out", data={"session_id": bad, "_csrf_token": token}
        )
        assert answer.status_code == 404
    assert not is_signed_out(theirs)
    assert not is_signed_out(mine)
    mine.close()
    theirs.close()


def test_sign_out_every_other_session(server, ctx, make_user):
    user_id, email, password = make_user()
    this = signed_in(server, email, password)
    others = [signed_in(server, email, password) for _ in range(2)]
    token = csrf_of(this.get(SECURITY).text)
    answer = this.post("/account/sessions/sign-out-others", data={"_csrf_token": token})
    assert answer.status_code == 303
    assert "Signed out 2 other session(s)." in this.get(SECURITY).text
    assert all(is_signed_out(other) for other in others)
    assert len(rows_of(ctx, user_id)) == 1
    for client in (this, *others):
        client.close()


def test_a_copied_cookie_of_a_signed_out_session_gets_nothing(server, ctx, make_user):
    user_id, email, password = make_user()
    client = signed_in(server, email, password)
    copied = client.cookies.get(SESSION_COOKIE)
    assert copied
    assert len(copied) == 43

    token = csrf_of(client.get(SECURITY).text)
    assert client.post("/logout", data={"_csrf_token": token}).status_code == 303
    assert rows_of(ctx, user_id) == []

    thief = server.client(cookies={SESSION_COOKIE: copied})
    assert is_signed_out(thief)
    assert thief.get("/login").status_code == 200
    client.close()
    thief.close()


def test_a_password_change_ends_the_other_sessions_on_the_server(server, ctx, make_user):
    user_id, email, password = make_user()
    this, other = signed_in(server, email, password), signed_in(server, email, password)
    old_cookie = this.cookies.get(SESSION_COOKIE)
    new = "a different long password"
    fields = {
        "action": "change_password",
        "current_password": password,
        "password": new,
        "password_confirmation": new,
    }
    assert post_form(this, SECURITY, fields).status_code == 303
    assert is_signed_out(other)
    assert not is_signed_out(this)
    # This session goes on under a new id; the old id opens nothing.
    assert this.cookies.get(SESSION_COOKIE) != old_cookie
    assert [row.id for row in rows_of(ctx, user_id)] == [row_of(ctx, this).id]
    assert is_signed_out(server.client(cookies={SESSION_COOKIE: old_cookie}))
    this.close()
    other.close()


def test_anonymous_page_loads_write_no_session(server, ctx):
    with ctx.db.read() as db:
        before = db.scalar(select(func.count()).select_from(WebSession))
    client = server.client()
    for path in ("/login", "/signup", "/"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert SESSION_COOKIE not in answer.cookies
    with ctx.db.read() as db:
        assert db.scalar(select(func.count()).select_from(WebSession)) == before
    client.close()


def test_a_forged_session_cookie_is_no_session(server):
    for forged in ("x" * 43, "not even the right shape", "A" * 500):
        client = server.client(cookies={SESSION_COOKIE: forged})
        assert is_signed_out(client)
        client.close()


def test_a_new_token_is_shown_once_and_never_rides_in_the_cookie(server, ctx, make_user):
    _user_id, email, password = make_user()
    client = signed_in(server, email, password)
    fields = {"action": "create_token", "name": "sync", "expires_in": "30", "scopes": "public"}
    answer = post_form(client, SECURITY, fields)
    assert answer.status_code == 303
    cookie_header = "; ".join(answer.headers.get_list("set-cookie"))

    page = client.get(SECURITY).text
    secret = re.search(r'data-testid="new-token">([^<]+)<', page).group(1)
    assert secret not in cookie_header
    assert all(secret not in value for value in client.cookies.values())
    with ctx.db.read() as db:
        stored = [row.data for row in db.scalars(select(WebSession))]
    assert stored
    assert all(secret.encode() not in data for data in stored)
    # Shown once: the next load of the page no longer has it.
    assert secret not in client.get(SECURITY).text
    client.close()


def confirmed_long_ago(ctx, client: httpx.Client, minutes: int = 11) -> None:
    """Move the session's last password entry into the past."""
    with ctx.db.transaction() as db:
        db.execute(
            update(WebSession)
            .where(WebSession.id == row_of(ctx, client).id)
            .values(password_confirmed_at=utcnow() - timedelta(minutes=minutes))
        )


def tokens_of(ctx, user_id) -> int:
    with ctx.db.read() as db:
        query = select(func.count()).where(PersonalAccessToken.user_id == user_id)
        return int(db.scalar(query.select_from(PersonalAccessToken)))


def test_a_sensitive_action_asks_for_the_password_after_ten_minutes(server, ctx, make_user):
    user_id, email, password = make_user()
    client = signed_in(server, email, password)
    fields = {"action": "create_token", "name": "sync", "expires_in": "30", "scopes": "public"}

    confirmed_long_ago(ctx, client, minutes=9)
    assert post_form(client, SECURITY, fields).status_code == 303
    assert tokens_of(ctx, user_id) == 1

    confirmed_long_ago(ctx, client, minutes=11)
    answer = post_form(client, SECURITY, fields)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{CONFIRM}?next=%2Faccount%2Fsecurity"
    assert tokens_of(ctx, user_id) == 1  # nothing was created

    form = client.get(answer.headers["location"])
    assert form.status_code == 200
    assert "Confirm your password" in form.text
    token = csrf_of(form.text)
    wrong = client.post(
        CONFIRM, data={"password": "not it", "next": SECURITY, "_csrf_token": token}
    )
    assert wrong.status_code == 422
    assert "That password is incorrect." in wrong.text
    assert post_form(client, SECURITY, fields).headers["location"].startswith(CONFIRM)

    right = client.post(
        CONFIRM, data={"password": password, "next": SECURITY, "_csrf_token": token}
    )
    assert right.status_code == 303
    assert right.headers["location"] == SECURITY
    assert post_form(client, SECURITY, fields).headers["location"] == SECURITY
    assert tokens_of(ctx, user_id) == 2
    client.close()


def test_the_confirmation_page_returns_only_to_local_pages(server, make_user):
    _, email, password = make_user()
    client = signed_in(server, email, password)
    token = csrf_of(client.get(CONFIRM + "?next=https://evil.example/").text)
    answer = client.post(
        CONFIRM, data={"password": password, "next": "//evil.example/", "_csrf_token": token}
    )
    assert answer.headers["location"] == SECURITY
    client.close()


def test_the_developer_pages_and_sessions_ask_too(server, ctx, make_user):
    _, email, password = make_user()
    client = signed_in(server, email, password)
    confirmed_long_ago(ctx, client)
    new_app = client.get("/oauth/applications/new")
    assert new_app.headers["location"] == f"{CONFIRM}?next=%2Foauth%2Fapplications%2Fnew"
    token = csrf_of(client.get(SECURITY).text)
    for path, back in [
        ("/oauth/applications", "/oauth/applications/new"),
        ("/oauth/applications/abc/secret", "/oauth/applications/abc"),
        ("/oauth/applications/abc/delete", "/oauth/applications/abc/delete"),
        ("/oauth/authorized_applications/abc/revoke", "/oauth/authorized_applications/abc/revoke"),
        ("/account/sessions/sign-out-others", SECURITY),
    ]:
        answer = client.post(path, data={"_csrf_token": token})
        assert answer.status_code == 303, path
        location = httpx.URL(answer.headers["location"])
        assert location.path == CONFIRM, path
        assert location.params["next"] == back, path
    client.close()


def test_the_confirmation_page_is_for_signed_in_residents(server):
    client = server.client()
    answer = client.get(CONFIRM)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
    client.close()


def test_the_table_holds_the_digest_and_last_seen_moves_at_most_once_a_minute(
    server, ctx, make_user
):
    _, email, password = make_user()
    client = signed_in(server, email, password)
    raw = client.cookies.get(SESSION_COOKIE)
    row = row_of(ctx, client)
    assert row.digest == digest_of(raw) != raw
    assert raw.encode() not in row.data

    assert client.get(SECURITY).status_code == 200
    assert row_of(ctx, client).last_seen_at == row.last_seen_at  # no write per page load

    two_minutes_ago = utcnow() - timedelta(minutes=2)
    with ctx.db.transaction() as db:
        db.execute(
            update(WebSession).where(WebSession.id == row.id).values(last_seen_at=two_minutes_ago)
        )
    assert client.get(SECURITY).status_code == 200
    assert row_of(ctx, client).last_seen_at > two_minutes_ago + timedelta(minutes=1)
    client.close()
