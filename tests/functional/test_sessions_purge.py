"""A session idle longer than CIVICAUTH_SESSION_IDLE_DAYS opens nothing, and
``civicauth sessions purge`` deletes its row (and only such rows)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from civicauth.accounts.web_sessions import WebSession, digest_of
from civicauth.db import utcnow
from civicauth.web.config import SESSION_COOKIE
from tests.functional.pages import signed_in
from tests.functional.test_cli import run

SETTINGS = {"CIVICAUTH_SESSION_IDLE_DAYS": "3"}


def digest(client) -> str:
    return digest_of(client.cookies.get(SESSION_COOKIE))


def test_idle_sessions_are_dead_and_purged(server, backend, ctx, make_user):
    _, email, password = make_user()
    idle, fresh = signed_in(server, email, password), signed_in(server, email, password)
    idle_digest = digest(idle)
    with ctx.db.transaction() as db:
        db.execute(
            update(WebSession)
            .where(WebSession.digest == idle_digest)
            .values(last_seen_at=utcnow() - timedelta(days=3, minutes=1))
        )
    assert idle.get("/account/security").headers["location"].startswith("/login")

    result = run(backend, "sessions", "purge")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "purged 1 idle session(s)"
    with ctx.db.read() as db:
        left = set(db.scalars(select(WebSession.digest)))
    assert digest(fresh) in left
    assert idle_digest not in left
    assert fresh.get("/account/security").status_code == 200
    idle.close()
    fresh.close()
