"""API requests are counted with no database write of their own: through
the real middleware, many requests touch ``api_usage`` not at all until the
flush, which adds them with one statement; shutting down flushes the rest."""

from __future__ import annotations

import base64

from sqlalchemy import event, func, select

from civicauth.usage.models import ApiUsage

# Long enough that only the test's own flushes run.
SETTINGS = {"CIVICAUTH_USAGE_FLUSH_SECONDS": "3600"}


def basic(email: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}", "User-Agent": "nightly-sync/3"}


def counted(ctx, user_id: int) -> int:
    with ctx.db.read() as session:
        total = session.scalar(
            select(func.sum(ApiUsage.count)).where(
                ApiUsage.user_id == user_id, ApiUsage.method == "basic"
            )
        )
    return int(total or 0)


def test_requests_write_nothing_until_the_flush(app, client, ctx, make_user):
    user_id, email, password = make_user()
    statements: list[str] = []
    engine = app.state.ctx.db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(50):
            assert client.get("/api/v2/profile", headers=basic(email, password)).status_code == 200
        assert not [s for s in statements if "api_usage" in s]
        assert counted(ctx, user_id) == 0
        client.blocking_portal.call(app.state.usage.flush)
        writes = [s for s in statements if "api_usage" in s]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(writes) == 1
    assert counted(ctx, user_id) == 50


def test_shutting_down_flushes_what_was_counted(settings, ctx, make_user):
    from litestar.testing import TestClient

    from civicauth.app import create_app

    user_id, email, password = make_user()
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as worker:
        for _ in range(7):
            assert worker.get("/api/v2/profile", headers=basic(email, password)).status_code == 200
        assert counted(ctx, user_id) == 0  # the period is an hour: nothing flushed yet
    assert counted(ctx, user_id) == 7  # the shutdown's flush
