"""Two server processes (two workers each) on one database and Redis, as
two hosts behind a load balancer: what one process does, the other honours.

A revocation through one process is refused by the other within one second
(DESIGN.md), measured by a bounded poll that starts once the first process
has answered; failed sign-ins through either count toward one limit; a page
session made on one is good on the other, and a sign-out on one ends it on
both. The other process holds the credential in its cache before each
revocation, so the test shows the revocation reaching it, not a cold lookup;
and the test hears the revocation announced on Redis, which the poll alone
cannot tell from a cache entry ageing out within the same second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from civicauth.accounts.account_tokens import issue_link
from civicauth.accounts.models import User
from civicauth.clients.services import DEFAULT_GRANT_TYPES
from civicauth.tokens.personal import create_personal_token
from civicauth.web.config import SESSION_COOKIE
from tests.cluster import (
    Cluster,
    News,
    needs_shared_redis,
    news_of,
    settles_within,
    status_of,
)
from tests.functional.oauth_support import App, register_app
from tests.functional.operator_support import act, operator_client
from tests.functional.pages import csrf_of, post_form, signed_in
from tests.functional.recovery_support import follow_form
from tests.grants import issue_tokens
from tests.support import LiveServer, run_civicauth

PROFILE = "/api/v2/profile"
NEW_PASSWORD = "a different long password"


@pytest.fixture
def news(backend) -> Iterator[News]:
    """Revocations reach other processes at once through Redis; without it
    (SQLite: one host) a process's cache ages them out within a second of
    its last read, which a one-second deadline cannot tell from late. The
    test hears the news too (``news.heard``)."""
    needs_shared_redis(backend, "A revocation's news")
    with news_of(backend) as listening:
        yield listening


Request = dict[str, object]


def warm(server: LiveServer, *requests: Request) -> None:
    """Make the process (each of its workers) hold the credentials."""
    for _ in range(8):
        for request in requests:
            assert status_of(server, PROFILE, **request) == 200


def answered_by(server: LiveServer, status: int, *requests: Request) -> Callable[[], bool]:
    """Whether ``server`` answers each credential's profile read with ``status``."""
    return lambda: all(status_of(server, PROFILE, **request) == status for request in requests)


def refused_by(server: LiveServer, *requests: Request) -> Callable[[], bool]:
    return answered_by(server, 401, *requests)


# Each refused probe with an old password is a failed sign-in, and ten use up
# the account's limit: password polls settle on fewer answers in a row.
PASSWORD_PROBES = 5


def bearer(token: str) -> Request:
    return {"headers": {"Authorization": f"Bearer {token}"}}


CLIENT_TOKEN = "client_credentials"


def client_token(server: LiveServer, app: App) -> str:
    """An access token of the app itself, for no user (RFC 6749 §4.4)."""
    answer = httpx.post(
        server.url + "/oauth/token", data={"grant_type": CLIENT_TOKEN}, auth=app.auth
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_an_app_revoked_on_one_is_refused_by_the_other(news, cluster: Cluster, ctx, make_user):
    user_id, email, password = make_user()
    app = register_app(ctx, cluster.first.url)
    access, _ = issue_tokens(ctx, user_id, app.pk)
    warm(cluster.second, bearer(access))
    page = signed_in(cluster.first, email, password)

    revoked = post_form(page, f"/oauth/authorized_applications/{app.client_id}/revoke", {})
    assert revoked.status_code == 303

    settles_within(refused_by(cluster.second, bearer(access)))
    page.close()


@pytest.mark.parametrize("owner", ["a user", "the app itself"])
def test_a_token_revoked_over_rfc7009_on_one_is_refused_by_the_other(
    news, cluster: Cluster, ctx, make_user, owner
):
    """A user's token, and one the app holds for itself (client credentials,
    no user: its app's cached tokens are forgotten)."""
    app = register_app(ctx, cluster.first.url, grant_types=[*DEFAULT_GRANT_TYPES, CLIENT_TOKEN])
    if owner == "a user":
        user_id, _, _ = make_user()
        access, _ = issue_tokens(ctx, user_id, app.pk)
        announced = f"user:{user_id}"
    else:
        access, announced = client_token(cluster.first, app), f"client:{app.client_id}"
    warm(cluster.second, bearer(access))

    revoked = httpx.post(cluster.first.url + "/oauth/revoke", data={"token": access}, auth=app.auth)
    assert revoked.status_code == 200

    settles_within(refused_by(cluster.second, bearer(access)))
    news.heard(announced)


def test_a_personal_token_revoked_on_one_is_refused_by_the_other(
    news, cluster: Cluster, ctx, make_user
):
    user_id, email, password = make_user()
    with ctx.db.transaction() as session:
        row, token = create_personal_token(
            session, user_id, name="script", expires_in="30", scopes=["public"]
        )
        token_id = row.id
    as_bearer, as_password = bearer(token), {"auth": ("__token__", token)}
    warm(cluster.second, as_bearer, as_password)
    page = signed_in(cluster.first, email, password)

    revoked = post_form(
        page, "/account/security", {"action": "revoke_token", "token_id": str(token_id)}
    )
    assert revoked.status_code == 303

    settles_within(refused_by(cluster.second, as_bearer, as_password))
    page.close()


def test_a_password_changed_on_one_is_refused_by_the_other(news, cluster: Cluster, make_user):
    _, email, password = make_user()
    warm(cluster.second, {"auth": (email, password)})
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

    settles_within(
        refused_by(cluster.second, {"auth": (email, password)}), in_a_row=PASSWORD_PROBES
    )
    assert status_of(cluster.second, PROFILE, auth=(email, NEW_PASSWORD)) == 200
    page.close()


def test_a_password_reset_on_one_is_refused_by_the_other(news, cluster: Cluster, ctx, make_user):
    user_id, email, password = make_user()
    with ctx.db.transaction() as session:
        link = "/password/reset?token=" + issue_link(
            session, session.get_one(User, user_id), "password_reset"
        )
    warm(cluster.second, {"auth": (email, password)})

    with cluster.first.client() as browser:
        reset = follow_form(
            browser,
            link,
            "/password/reset",
            password=NEW_PASSWORD,
            password_confirmation=NEW_PASSWORD,
        )
    assert reset.status_code in (200, 303), reset.text[:300]

    settles_within(
        refused_by(cluster.second, {"auth": (email, password)}), in_a_row=PASSWORD_PROBES
    )
    assert status_of(cluster.second, PROFILE, auth=(email, NEW_PASSWORD)) == 200


def test_a_user_locked_on_one_is_refused_by_the_other_until_unlocked(
    news, cluster: Cluster, ctx, make_user
):
    user_id, email, password = make_user()
    app = register_app(ctx, cluster.first.url)
    access, _ = issue_tokens(ctx, user_id, app.pk)
    credentials = ({"auth": (email, password)}, bearer(access))
    warm(cluster.second, *credentials)
    console, _ = operator_client(cluster.first, ctx, make_user)
    page = f"/admin/users/{user_id}"

    locked = act(console, page, f"{page}/lock", reason="reported as hijacked")
    assert locked.status_code == 303

    settles_within(refused_by(cluster.second, *credentials))
    news.heard(f"user:{user_id}")

    assert act(console, page, f"{page}/unlock").status_code == 303
    settles_within(answered_by(cluster.second, 200, *credentials))
    console.close()


def test_an_app_suspended_on_one_is_refused_by_the_other_until_reinstated(
    news, cluster: Cluster, ctx, make_user
):
    user_id, _, _ = make_user()
    app = register_app(ctx, cluster.first.url, grant_types=[*DEFAULT_GRANT_TYPES, CLIENT_TOKEN])
    access, _ = issue_tokens(ctx, user_id, app.pk)
    credentials = (bearer(access), bearer(client_token(cluster.first, app)))
    warm(cluster.second, *credentials)
    console, _ = operator_client(cluster.first, ctx, make_user)
    page = f"/admin/apps/{app.client_id}"

    suspended = act(console, page, f"{page}/suspend", reason="flooding the API")
    assert suspended.status_code == 303

    settles_within(refused_by(cluster.second, *credentials))
    news.heard(f"client:{app.client_id}")

    # Reinstated: the refusal each process remembered is forgotten too.
    assert act(console, page, f"{page}/reinstate").status_code == 303
    settles_within(answered_by(cluster.second, 200, *credentials))
    console.close()


def test_an_app_suspended_by_the_command_line_is_refused_by_every_process(
    news, backend, cluster: Cluster, ctx, make_user
):
    """The command runs in a process of its own, which serves nothing: it
    tells the servers over Redis."""
    user_id, _, _ = make_user()
    app = register_app(ctx, cluster.first.url)
    access, _ = issue_tokens(ctx, user_id, app.pk)
    for server in cluster.servers:
        warm(server, bearer(access))

    command = ("apps", "suspend", app.client_id, "--reason", "flooding the API")
    suspended = run_civicauth(backend, *command)
    assert suspended.returncode == 0, suspended.stderr

    news.heard(f"client:{app.client_id}")
    settles_within(lambda: all(refused_by(server, bearer(access))() for server in cluster.servers))

    reinstated = run_civicauth(backend, "apps", "reinstate", app.client_id)
    assert reinstated.returncode == 0, reinstated.stderr
    settles_within(
        lambda: all(answered_by(server, 200, bearer(access))() for server in cluster.servers)
    )


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
