"""The console's users, security log and usage, over real HTTP: locking
refuses every credential and unlocking restores them, the reset link is
mailed, the log's pages and CSV follow the filters, and API traffic shows
on the usage page once flushed."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from contextlib import closing

import httpx
import pytest

from civicauth.accounts.audit import record_event
from civicauth.tokens.personal import create_personal_token
from tests.functional.operator_support import act, operator_client
from tests.functional.pages import signed_in
from tests.functional.recovery_support import link_in
from tests.mail_support import smtp_server
from tests.support import free_port

SMTP_PORT = free_port()
SETTINGS = {
    "CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    # Counts reach the table this often; the tests poll the page for them.
    "CIVICAUTH_USAGE_FLUSH_SECONDS": "0.2",
}


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(SMTP_PORT) as received:
        yield received


@pytest.fixture
def signed_in_operator(server, ctx, make_user):
    client, user_id = operator_client(server, ctx, make_user)
    with closing(client):
        yield client, user_id


@pytest.fixture
def operator(signed_in_operator):
    return signed_in_operator[0]


def personal_token(ctx, user_id: int) -> str:
    with ctx.db.transaction() as session:
        _, secret = create_personal_token(
            session, user_id, name="script", expires_in="30", scopes=["public", "write"]
        )
    return secret


def eventually(check, timeout: float = 20.0):
    """Poll what another process writes (the server's flush), with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.05)  # another process's periodic write: nothing to await here


def test_every_console_path_of_this_part_is_404_for_residents(server, make_user):
    _, email, password = make_user()
    with closing(signed_in(server, email, password)) as resident:
        for path in (
            "/admin/users",
            "/admin/users/1",
            "/admin/log",
            "/admin/log.csv",
            "/admin/usage",
        ):
            assert resident.get(path).status_code == 404, path
        assert resident.post("/admin/users/1/lock", data={"reason": "x"}).status_code == 404
    with closing(server.client()) as anonymous:
        assert anonymous.get("/admin/log.csv").status_code == 404


def test_search_then_lock_refuses_every_credential_and_unlock_restores(
    server, ctx, operator, make_user
):
    user_id, email, password = make_user(name="Locky McLockface")
    token = personal_token(ctx, user_id)
    api = server.url + "/api/v2/profile"
    assert httpx.get(api, auth=(email, password)).status_code == 200  # cached now
    assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    found = operator.get("/admin/users", params={"q": "lockface"})
    assert found.status_code == 200
    assert f'href="/admin/users/{user_id}"' in found.text
    page = f"/admin/users/{user_id}"
    assert "script" in operator.get(page).text  # the token's name, never its secret
    assert token not in operator.get(page).text

    answer = act(operator, page, f"{page}/lock", reason="Reported stolen")
    assert answer.status_code == 303
    assert answer.headers["location"] == page

    def refused(response: httpx.Response) -> bool:
        return response.status_code == 401 and "locked" in response.text

    eventually(lambda: refused(httpx.get(api, auth=(email, password))), timeout=5)
    assert refused(httpx.get(api, headers={"Authorization": f"Bearer {token}"}))
    assert refused(httpx.get(api, auth=("__token__", token)))
    with closing(server.client()) as browser:
        from tests.functional.pages import csrf_of

        form = csrf_of(browser.get("/login").text)
        signing_in = browser.post(
            "/login", data={"email": email, "password": password, "_csrf_token": form}
        )
        assert signing_in.status_code != 303
    assert "Locked" in operator.get(page).text

    assert act(operator, page, f"{page}/unlock").status_code == 303  # one click, no reason
    eventually(lambda: httpx.get(api, auth=(email, password)).status_code == 200, timeout=5)
    assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with closing(signed_in(server, email, password)):
        pass
    log = operator.get("/admin/log", params={"email": email}).text
    assert "Account locked by an operator" in log
    assert "Account unlocked by an operator" in log


def test_lock_needs_a_reason_and_an_operator_cannot_lock_themself(
    server, ctx, signed_in_operator, make_user
):
    operator, operator_id = signed_in_operator
    user_id, _, _ = make_user()
    page = f"/admin/users/{user_id}"
    blank = act(operator, page, f"{page}/lock", reason="  ")
    assert blank.status_code == 422
    assert "can&#39;t be blank" in blank.text
    mine = f"/admin/users/{operator_id}"
    own = act(operator, mine, f"{mine}/lock", reason="oops")
    assert own.status_code == 422
    assert "You cannot lock your own account." in own.text


def test_a_reset_link_is_mailed_and_every_session_ends(server, ctx, operator, make_user, inbox):
    user_id, email, password = make_user(name="Forgetful Fern")
    page = f"/admin/users/{user_id}"
    with closing(signed_in(server, email, password)) as resident:
        assert resident.get("/account/security").status_code == 200
        assert act(operator, page, f"{page}/send-reset").status_code == 303
        mail = inbox.wait_for(email)[-1]
        assert "/password/reset?token=" in link_in(mail, "/password/reset")
        assert act(operator, page, f"{page}/end-sessions").status_code == 303
        assert resident.get("/account/security").status_code == 303  # signed out
    log = operator.get("/admin/log", params={"email": email}).text
    assert "Password reset link mailed by an operator" in log
    assert "Every session signed out by an operator" in log


def events_of(ctx, user_id: int, count: int, **fields) -> None:
    with ctx.db.transaction() as session:
        for n in range(count):
            record_event(session, "sign_in", user_id=user_id, detail=f"n{n}", **fields)


def test_log_pages_walk_every_match_once(server, ctx, operator, make_user):
    user_id, email, _ = make_user()
    events_of(ctx, user_id, 120)
    seen: list[str] = []
    link = "/admin/log?" + httpx.QueryParams({"email": email, "event": "sign_in"}).__str__()
    pages = 0
    while link:
        html = operator.get(link).text
        pages += 1
        seen += re.findall(r"<td>(n\d+)</td>", html)
        older = re.search(r'href="(/admin/log\?[^"]*before=\d+)"', html)
        link = older.group(1).replace("&amp;", "&") if older else ""
    assert pages == 3  # 50, 50, 20
    assert seen == [f"n{n}" for n in range(119, -1, -1)]


def test_bad_filters_are_named_not_a_500(operator):
    answer = operator.get("/admin/log", params={"since": "last tuesday", "event": "nope"})
    assert answer.status_code == 400
    assert "is not a date (YYYY-MM-DD)" in answer.text
    assert "is not a known event" in answer.text
    assert operator.get("/admin/log.csv", params={"until": "2026-02-30"}).status_code == 400
    assert operator.get("/admin/log", params={"before": "-1"}).status_code == 400


def test_csv_export_follows_the_filters_and_defuses_formulas(server, ctx, operator, make_user):
    user_id, email, _ = make_user()
    other_id, _, _ = make_user()
    client_id = "app-" + uuid.uuid4().hex[:8]
    events_of(ctx, user_id, 700, client_id=client_id)  # more than one export batch
    events_of(ctx, other_id, 5, client_id=client_id)
    with ctx.db.transaction() as session:
        record_event(session, "token_issued", user_id=user_id, detail='=HYPERLINK("http://x")')
    with operator.stream("GET", "/admin/log.csv", params={"email": email}) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.headers["content-disposition"].startswith("attachment;")
        assert "content-length" not in answer.headers  # streamed, not built whole
        body = "".join(answer.iter_text())
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 701
    assert {row["email"] for row in rows} == {email}
    assert rows[0]["event"] == "token_issued"  # newest first
    assert rows[0]["detail"] == '\'=HYPERLINK("http://x")'
    by_app = operator.get("/admin/log.csv", params={"client_id": client_id, "event": "sign_in"})
    assert len(list(csv.DictReader(io.StringIO(by_app.text)))) == 705
    today = time.strftime("%Y-%m-%d", time.gmtime())
    future = operator.get("/admin/log.csv", params={"email": email, "since": "2999-01-01"})
    assert list(csv.DictReader(io.StringIO(future.text))) == []
    same_day = operator.get(
        "/admin/log.csv", params={"email": email, "since": today, "until": today}
    )
    assert len(list(csv.DictReader(io.StringIO(same_day.text)))) == 701


def test_usage_page_counts_each_method_after_real_traffic(server, ctx, operator, make_user):
    user_id, email, password = make_user()
    token = personal_token(ctx, user_id)
    api = server.url + "/api/v2/profile"
    for _ in range(3):
        assert (
            httpx.get(
                api, auth=(email, password), headers={"User-Agent": "legacy-app/1.0"}
            ).status_code
            == 200
        )
    for _ in range(2):
        assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    def total(html: str, method: str) -> int:
        found = re.search(rf'data-total="{method}">(\d+)<', html)
        return int(found.group(1)) if found else 0

    def counted() -> str | None:
        # Each worker flushes its own counts, so the page may show one
        # worker's share before the other's: wait for the whole of them.
        html = operator.get("/admin/usage").text
        complete = total(html, "basic") >= 3 and total(html, "personal") >= 2
        return html if complete and email in html and "legacy-app/1.0" in html else None

    html = eventually(counted)
    assert "<svg" in html
    assert '<title id="usage-all-title">' in html
