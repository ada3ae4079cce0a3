"""A server whose PostgreSQL or Redis goes away while it serves, and comes
back: a PostgreSQL and a Redis of this module's own (tests/private_services.py),
since the shared ones must never be stopped.

PostgreSQL down: /healthz answers 503, the API and the OAuth endpoints 503
with a JSON error (promptly: connections are refused, not waited for), pages
a plain 503 page; when it is back the same server process answers again by
itself. Redis down: the API keeps answering, rate limits count in the
process's memory with a logged warning, and a revocation still takes effect.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from civicauth.accounts.services import register_user
from civicauth.app import build_context
from civicauth.context import AppContext
from civicauth.db.migrate import upgrade
from civicauth.settings import Settings
from civicauth.tokens import secrets
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens
from tests.private_services import PrivatePostgres, PrivateRedis, private_postgres, private_redis
from tests.support import BACKEND, CHEAP_ARGON2, LiveServer, live_server, settings_env

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="runs in the PostgreSQL + Redis pass (CIVICAUTH_TEST_BACKEND)"
)

PASSWORD = "correct horse battery"
# Long enough to see a hang as a failure, far below any client's patience.
PATIENCE = 10.0


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as running:
        yield running


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    with private_redis() as running:
        yield running


@pytest.fixture(scope="module")
def env(postgres, redis, tmp_path_factory) -> dict[str, str]:
    """Settings on the private PostgreSQL (migrated) and Redis."""
    upgrade(postgres.url)
    return {
        **CHEAP_ARGON2,
        "CIVICAUTH_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "CIVICAUTH_SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "CIVICAUTH_DATABASE_URL": postgres.url,
        "CIVICAUTH_REDIS_URL": redis.url,
    }


@pytest.fixture(scope="module")
def served(env, tmp_path_factory) -> Iterator[LiveServer]:
    """One server process (one worker: its memory is what counts while Redis is away)."""
    with live_server(env, tmp_path_factory.mktemp("server"), workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def services(env) -> Iterator[AppContext]:
    """civicauth's services on the private database, for arranging state."""
    with settings_env(env):
        context = build_context(Settings())
    yield context
    context.db.dispose()


@pytest.fixture
def make_user(services):
    def make() -> tuple[int, str, str]:
        email = f"resident-{uuid.uuid4().hex[:10]}@example.com"
        with services.db.transaction() as session:
            user = register_user(
                session, services.passwords, name="Resident", email=email, password=PASSWORD
            )
            return user.id, email, PASSWORD

    return make


def new_resident(server: LiveServer) -> str:
    email = f"resident-{uuid.uuid4().hex[:10]}@example.com"
    answer = httpx.post(
        server.url + "/api/v2/users",
        json={"name": "Resident", "email": email, "password": PASSWORD,
              "password_confirmation": PASSWORD},
        timeout=PATIENCE,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return email


def get(server: LiveServer, path: str, **request: object) -> httpx.Response:
    return httpx.get(server.url + path, timeout=PATIENCE, **request)  # type: ignore[arg-type]


def await_healthy(server: LiveServer, seconds: float = 30) -> float:
    """Poll /healthz until 200; the seconds it took."""
    start = time.monotonic()
    while get(server, "/healthz").status_code != 200:
        assert time.monotonic() - start < seconds, "the server did not recover by itself"
    return time.monotonic() - start


def test_redis_away_the_api_answers_and_limits_count_in_memory(served, redis):
    email = new_resident(served)
    redis.stop()
    try:
        assert get(served, "/api/v2/profile", auth=(email, PASSWORD)).status_code == 200
        assert get(served, "/api/v2/issues").status_code == 200
        with httpx.Client(base_url=served.url, timeout=PATIENCE) as client:
            for attempt in range(10):
                wrong = client.get("/api/v2/profile", auth=(email, f"guess {attempt}"))
                assert wrong.status_code == 401
            throttled = client.get("/api/v2/profile", auth=(email, "one more guess"))
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "rate limits count in this process's memory" in served.log.read_text()
    finally:
        redis.start()


def test_redis_away_a_revocation_still_takes_effect(served, services, redis, make_user):
    user_id, _, _ = make_user()
    app = register_app(services, served.url)
    access, _ = issue_tokens(services, user_id, app.pk)
    bearer = {"Authorization": f"Bearer {access}"}
    assert get(served, "/api/v2/profile", headers=bearer).status_code == 200
    redis.stop()
    try:
        revoked = httpx.post(
            served.url + "/oauth/revoke", data={"token": access}, auth=app.auth, timeout=PATIENCE
        )
        assert revoked.status_code == 200
        assert get(served, "/api/v2/profile", headers=bearer).status_code == 401
    finally:
        redis.start()


def test_postgres_away_answers_503_and_recovers_by_itself(served, services, postgres):
    email = new_resident(served)
    assert get(served, "/api/v2/profile", auth=(email, PASSWORD)).status_code == 200
    pid = served.process.pid
    postgres.stop()
    try:
        health = get(served, "/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "error", "database": "unreachable"}

        issues = get(served, "/api/v2/issues")
        assert issues.status_code == 503
        assert issues.headers["content-type"].startswith("application/json")
        assert issues.json()["error"] == "service_unavailable"
        assert int(issues.headers["retry-after"]) > 0

        # Credentials this process has not verified yet need the database.
        basic = get(served, "/api/v2/profile", auth=("someone@example.com", "a password"))
        assert basic.status_code == 503
        assert basic.json()["error"] == "service_unavailable"
        unknown = services.tokens.mint(secrets.Kind.ACCESS)
        bearer = get(served, "/api/v2/profile", headers={"Authorization": f"Bearer {unknown}"})
        assert bearer.status_code == 503

        token = httpx.post(
            served.url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("some-client", "some-secret"),
            timeout=PATIENCE,
        )
        assert token.status_code == 503
        assert token.json()["error"] == "temporarily_unavailable"
        assert token.headers["cache-control"] == "no-store"

        page = get(served, "/issues/1")
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "Temporarily unavailable" in page.text
        assert "Traceback" not in page.text
    finally:
        postgres.start()

    await_healthy(served)
    assert served.process.poll() is None
    assert served.process.pid == pid
    assert get(served, "/api/v2/issues").status_code == 200
    assert get(served, "/api/v2/profile", auth=(email, PASSWORD)).json()["email"] == email
    assert "Traceback" not in served.log.read_text()
