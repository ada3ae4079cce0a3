"""Two server processes (two workers each) on one database and Redis, as
two hosts behind a load balancer: what one process does, the other honours.

A revocation through one process is refused by the other within one second
(DESIGN.md), measured by a bounded poll that starts once the first process
has answered; failed sign-ins through either count toward one limit; a page
session made on one is good on the other, and a sign-out on one ends it on
both. The other process holds the credential in its cache before each
revocation, so the test shows the revocation reaching it, not a cold lookup.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from civicauth.accounts.account_tokens import issue_link
from civicauth.accounts.models import User
from civicauth.tokens.personal import create_personal_token
from civicauth.web.config import SESSION_COOKIE
from tests.cluster import Cluster, needs_shared_redis, settles_within, status_of
from tests.functional.oauth_support import register_app
from tests.functional.pages import csrf_of, post_form, signed_in
from tests.functional.recovery_support import follow_form
from tests.grants import issue_tokens
from tests.support import LiveServer

PROFILE = "/api/v2/profile"
NEW_PASSWORD = "a different long password"


@pytest.fixture
def news(backend) -> None:
    """Revocations reach other processes at once through Redis; without it
    (SQLite: one host) a process's cache ages them out within a second of
    its last read, which a one-second deadline cannot tell from late."""
    needs_shared_redis(backend, "A revocation's news")


def warm(server: LiveServer, **request: object) -> None:
    """Make the process (each of its workers) hold the credential."""
    for _ in range(8):
        assert status_of(server, PROFILE, **request) == 200


def refused_by(server: LiveServer, **request: object) -> Callable[[], bool]:
    return lambda: status_of(server, PROFILE, **request) == 401


# Each refused probe with an old password is a failed sign-in, and ten use up
# the account's limit: password polls settle on fewer answers in a row.
PASSWORD_PROBES = 5


def bearer(token: str) -> dict[str, object]:
    return {"headers": {"Authorization": f"Bearer {token}"}}


def test_an_app_revoked_on_one_is_refused_by_the_other(news, cluster: Cluster, ctx, make_user):
    user_id, email, password = make_user()
    app = register_app(ctx, cluster.first.url)
    access, _ = issue_tokens(ctx, user_id, app.pk)
    warm(cluster.second, **bearer(access))
    page = signed_in(cluster.first, email, password)

    revoked = post_form(page, f"/oauth/authorized_applications/{app.client_id}/revoke", {})
    assert revoked.status_code == 303

    settles_within(refused_by(cluster.second, **bearer(access)))
    page.close()


def test_a_token_revoked_over_rfc7009_on_one_is_refused_by_the_other(
    news, cluster: Cluster, ctx, make_user
):
    user_id, _, _ = make_user()
    app = register_app(ctx, cluster.first.url)
    access, _ = issue_tokens(ctx, user_id, app.pk)
    warm(cluster.second, **bearer(access))

    revoked = httpx.post(cluster.first.url + "/oauth/revoke", data={"token": access}, auth=app.auth)
    assert revoked.status_code == 200

    settles_within(refused_by(cluster.second, **bearer(access)))


def test_a_personal_token_revoked_on_one_is_refused_by_the_other(
    news, cluster: Cluster, ctx, make_user
):
    user_id, email, password = make_user()
    with ctx.db.transaction() as session:
        row, token = create_personal_token(
            session, user_id, name="script", expires_in="30", scopes=["public"]
        )
        token_id = row.id
    warm(cluster.second, **bearer(token))
    warm(cluster.second, auth=("__token__", token))
    page = signed_in(cluster.first, email, password)

    revoked = post_form(
        page, "/account/security", {"action": "revoke_token", "token_id": str(token_id)}
    )
    assert revoked.status_code == 303

    settles_within(refused_by(cluster.second, **bearer(token)))
    settles_within(refused_by(cluster.second, auth=("__token__", token)))
    page.close()


def test_a_password_changed_on_one_is_refused_by_the_other(news, cluster: Cluster, make_user):
    _, email, password = make_user()
    warm(cluster.second, auth=(email, password))
    page = signed_in(cluster.first, email, password)

    changed = post_form(
        page,
        "/account/security",
        {
            "action": "change_password",
            "current_password": password,
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303

    settles_within(refused_by(cluster.second, auth=(email, password)), in_a_row=PASSWORD_PROBES)
    assert status_of(cluster.second, PROFILE, auth=(email, NEW_PASSWORD)) == 200
    page.close()


def test_a_password_reset_on_one_is_refused_by_the_other(news, cluster: Cluster, ctx, make_user):
    user_id, email, password = make_user()
    with ctx.db.transaction() as session:
        link = "/password/reset?token=" + issue_link(
            session, session.get_one(User, user_id), "password_reset"
        )
    warm(cluster.second, auth=(email, password))

    with cluster.first.client() as browser:
        reset = follow_form(
            browser,
            link,
            "/password/reset",
            password=NEW_PASSWORD,
            password_confirmation=NEW_PASSWORD,
        )
    assert reset.status_code in (200, 303), reset.text[:300]

    settles_within(refused_by(cluster.second, auth=(email, password)), in_a_row=PASSWORD_PROBES)
    assert status_of(cluster.second, PROFILE, auth=(email, NEW_PASSWORD)) == 200


# User locking and app suspension come with the operator console: their
# cross-process tests belong here, built like the ones above (warm the second
# process, act through the first, ``settles_within`` on the second). The
# code's hooks are ``AppContext.forget_user`` (a locked user) and
# ``AppContext.forget_client`` (a suspended app), which publish to every
# process (civicauth/auth/revocations.py).


def test_failed_sign_ins_through_both_count_toward_one_limit(backend, cluster: Cluster, make_user):
    """Ten wrong passwords spread over both processes use up the limit of ten
    per account and address (CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS):
    the eleventh, through either, is 429."""
    needs_shared_redis(backend, "A shared rate limit")
    _, email, _ = make_user()
    for attempt in range(10):
        server = cluster.servers[attempt % 2]
        assert status_of(server, PROFILE, auth=(email, f"wrong guess {attempt}")) == 401
    for server in cluster.servers:
        answer = httpx.get(server.url + PROFILE, auth=(email, "one more guess"))
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) > 0


def test_a_session_made_on_one_works_and_ends_on_the_other(cluster: Cluster, make_user):
    _, email, password = make_user(name="Hopping Resident")
    first = signed_in(cluster.first, email, password)
    assert first.cookies.get(SESSION_COOKIE)
    # The same browser meeting the other host: the same cookies.
    second = cluster.second.client(cookies=dict(first.cookies.items()))

    page = second.get("/account/security")
    assert page.status_code == 200
    assert "this session" in page.text
    assert second.post("/logout", data={"_csrf_token": csrf_of(page.text)}).status_code == 303

    def signed_out() -> bool:
        answer = first.get("/account/security")
        return answer.status_code == 303 and answer.headers["location"].startswith("/login")

    settles_within(signed_out, in_a_row=1)
    first.close()
    second.close()
