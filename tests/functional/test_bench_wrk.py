"""The benchmark's wrk driver against a real server, for one second at a time."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bench import seed, wrk
from bench.run import measure, parse_args
from bench.scenarios import SERVERS, Scenario, by_name
from bench.seed import Fixtures
from bench.server import Server, running_server, wait_until_idle
from civicauth.context import AppContext
from civicauth.tokens.models import AuthorizationCode
from tests.support import LiveServer, missing_service

LOAD = wrk.Load(connections=4, threads=1, duration_s=1)
FIXTURES = Fixtures("nobody@example.com", "pw", "cva_x", "cva_y", None, "no app", 0)


@pytest.fixture(autouse=True)
def _needs_wrk() -> None:
    if shutil.which("wrk") is None:
        missing_service("wrk is not installed")


def test_report_lua_reports_rate_latency_and_no_errors(server: LiveServer, tmp_path: Path) -> None:
    result = wrk.run(server.url, wrk.Request("/api/v2"), LOAD, tmp_path, count_statuses=False)
    assert result.requests > 0
    assert result.requests_per_s > 0
    assert 0 < result.latency_ms["p50"] <= result.latency_ms["p99"] <= result.latency_ms["max"]
    assert result.non_2xx == 0
    assert result.statuses is None


def test_report_lua_counts_each_status(server: LiveServer, tmp_path: Path) -> None:
    request = wrk.Request("/api/v2/profile", headers={"Authorization": "Bearer not-a-token"})
    result = wrk.run(server.url, request, LOAD, tmp_path, count_statuses=True)
    assert result.statuses == {401: result.requests}
    assert result.non_2xx == result.requests


def test_a_post_carries_its_body_and_headers(server: LiveServer, tmp_path: Path) -> None:
    # A body with an access_token is read as a credential (RFC 6750 §2.2): a
    # malformed one is 400, which only happens if wrk sent the form.
    request = wrk.Request(
        "/api/v2/users",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="access_token=%00",
    )
    result = wrk.run(server.url, request, LOAD, tmp_path, count_statuses=True)
    assert result.statuses == {400: result.requests}


def test_measure_runs_a_scenario_after_its_probe(server: LiveServer, tmp_path: Path) -> None:
    args = parse_args(["--duration=1", "--warmup=1", "--connections=4", "--threads=1"])
    scenario = next(s for s in by_name(["bearer-garbage"]) if s.name == "bearer-garbage")
    bench_server = Server(server.url, server.process.pid)
    outcome = measure(bench_server, scenario, FIXTURES, args, tmp_path)
    assert outcome.result is not None
    assert outcome.result.statuses == {401: outcome.result.requests}
    assert outcome.cpu_ms is not None
    assert outcome.cpu_ms > 0
    assert wait_until_idle(bench_server)


def test_a_scenario_whose_endpoint_is_missing_is_unavailable(
    server: LiveServer, tmp_path: Path
) -> None:
    args = parse_args(["--duration=1"])
    missing = Scenario("missing", "an endpoint not built", lambda f: wrk.Request("/api/v2/nope"))
    outcome = measure(Server(server.url, server.process.pid), missing, FIXTURES, args, tmp_path)
    assert outcome.result is None
    assert outcome.unavailable == "GET /api/v2/nope answered 404"


def test_spent_credentials_are_sent_once_each(
    server: LiveServer, ctx: AppContext, make_user: Any, tmp_path: Path
) -> None:
    """The code exchange scenario: the minted codes are exchanged once each
    across wrk's threads; once they run out, the last one again (a 400)."""
    with ctx.db.transaction() as session:
        app = seed.create_bearer_app(session, make_user()[1])
        codes = seed.mint_codes(session, app, 41)
    fixtures = Fixtures(
        "nobody@example.com", "pw", "cva_x", "cva_y", None, "", 0,
        bearer_client=(app.client_id, app.client_secret), codes=tuple(codes),
    )  # fmt: skip
    scenario = next(s for s in by_name(["code-exchange"]) if s.name == "code-exchange")
    request = scenario.request(fixtures)
    load = wrk.Load(connections=4, threads=2, duration_s=2)
    result = wrk.run(server.url, request, load, tmp_path, count_statuses=True)
    with ctx.db.read() as session:
        used = session.scalar(
            select(func.count())
            .select_from(AuthorizationCode)
            .where(
                AuthorizationCode.client_pk == app.client_pk, AuthorizationCode.used_at.is_not(None)
            )
        )
    assert result.statuses is not None
    assert set(result.statuses) == {200, 400}
    # Each 200 spent a code of its own; all but at most one per wrk thread (a
    # request wrk builds but never sends) of the 40 the load holds went out.
    # The probe's code, codes[0], is not among them.
    assert result.statuses[200] == used
    assert 40 - load.wrk_threads <= used <= 40


def test_the_ceiling_answers_as_civicauth_does(server: LiveServer, tmp_path: Path) -> None:
    ceiling = SERVERS["ceiling"]
    with running_server("granian", 1, dict(os.environ), tmp_path, ceiling.app) as running:
        result = wrk.run(running.url, wrk.Request("/api/v2"), LOAD, tmp_path, count_statuses=True)
        body = httpx.get(running.url + "/api/v2").content
    assert result.statuses == {200: result.requests}
    assert body == httpx.get(server.url + "/api/v2").content
