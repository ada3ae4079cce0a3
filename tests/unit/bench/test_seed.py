"""The bench's seeding: what it writes is what the app accepts."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import seed
from bench.scenarios import basic, bearer
from civicauth.clients.models import Client
from civicauth.context import AppContext
from civicauth.issues.models import STATUSES, Issue
from civicauth.tokens import secrets
from tests.support import Backend


def test_the_seeded_tokens_and_codes_work_at_the_api_and_the_token_endpoint(
    ctx: AppContext, client: Any, make_user: Any
) -> None:
    user_id, email, _ = make_user()
    with ctx.db.transaction() as session:
        app = seed.create_bearer_app(session, email.upper())
        token, refresh_tokens = seed.issue_tokens(session, app, 2)
        codes = seed.mint_codes(session, app, 2)
        openid_codes = seed.mint_codes(session, app, 1, openid=True)
    assert secrets.kind_of(token) is secrets.Kind.ACCESS
    response = client.get("/api/v2/profile", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["id"] == user_id
    auth = basic(app.client_id, app.client_secret)
    forms = [
        {"grant_type": "authorization_code", "code": codes[1], "redirect_uri": seed.REDIRECT_URI},
        {"grant_type": "refresh_token", "refresh_token": refresh_tokens[1]},
    ]
    for form in forms:
        answer = client.post("/oauth/token", data=form, headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["token_type"] == "Bearer"
    openid = {**forms[0], "code": openid_codes[0]}
    answer = client.post("/oauth/token", data=openid, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id_token"].count(".") == 2


def test_fill_access_tokens_reaches_the_total(ctx: AppContext, backend: Backend) -> None:
    with ctx.db.read() as session:
        stored = session.scalar(select(func.count()).select_from(seed.TOKENS)) or 0
    seed.fill_access_tokens(backend.database_url, stored + 2500, chunk=1000)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(seed.TOKENS)) == stored + 2500


def test_issue_rows_are_deterministic_and_spread_over_the_city() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = seed.issue_rows(2000, reporter_id=7, now=now)
    assert rows == seed.issue_rows(2000, reporter_id=7, now=now)
    (lat, lng), (dlat, dlng) = seed.CENTER, seed.CITY_HALF_SPAN
    assert all(abs(r["lat"] - lat) <= dlat and abs(r["lng"] - lng) <= dlng for r in rows)
    assert {r["status"] for r in rows} == set(STATUSES)
    box = seed.bbox()
    inside = [
        r
        for r in rows
        if box["min_lat"] <= r["lat"] <= box["max_lat"]
        and box["min_lng"] <= r["lng"] <= box["max_lng"]
    ]
    assert 0 < len(inside) < len(rows) // 20  # a neighbourhood, not the city


def test_issue_dates_agree_with_the_status() -> None:
    for row in seed.issue_rows(500, reporter_id=1):
        assert (row["acknowledged_at"] is None) == (row["status"] == "open")
        assert (row["closed_at"] is not None) == (row["status"] in ("closed", "archived"))
        assert row["created_at"] <= row["updated_at"]


def test_insert_issues_writes_every_row(ctx: AppContext, make_user: Any) -> None:
    reporter_id, _, _ = make_user()
    count = select(func.count()).select_from(Issue).where(Issue.reporter_id == reporter_id)
    seed.insert_issues(ctx.db, seed.issue_rows(1200, reporter_id), chunk=500)
    with ctx.db.read() as session:
        assert session.scalar(count) == 1200


def test_the_client_credentials_app_or_a_reason(
    ctx: AppContext, backend: Backend, tmp_path: Path
) -> None:
    """Before the ``apps`` command lands the scenario reports why; after, the
    app it creates may use client_credentials."""
    made = seed.create_client_credentials_app({**os.environ, **backend.env}, tmp_path)
    if isinstance(made, str):
        assert "civicauth apps create" in made
        return
    client_id, client_secret = made
    assert secrets.kind_of(client_secret) is secrets.Kind.CLIENT_SECRET
    with ctx.db.read() as session:
        app = session.scalar(select(Client).where(Client.client_id == client_id))
    assert app is not None
    assert "client_credentials" in app.grant_types.split()
