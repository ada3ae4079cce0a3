"""The bench's usage check against real servers: wrk's load by Basic, an
OAuth token and a personal access token, then the operator's /admin/usage
read over HTTP agrees with the 2xx answers wrk got, per method and app."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.run import measure, parse_args
from bench.scenarios import by_name
from bench.seed import Fixtures
from bench.server import Server
from bench.table import Outcome
from bench.usage_check import Expected, compare, expected_counts, read_usage_page
from civicauth.context import AppContext
from civicauth.tokens.personal import create_personal_token
from tests.functional.oauth_support import register_app
from tests.functional.operator_support import make_operator
from tests.grants import issue_tokens
from tests.support import Backend, LiveServer, live_server, missing_service

ARGS = ["--duration=1", "--warmup=1", "--connections=4", "--threads=1"]
COUNTED = ["basic-valid", "bearer-valid", "personal-valid"]


def personal_token(ctx: AppContext, user_id: int) -> str:
    with ctx.db.transaction() as session:
        _, secret = create_personal_token(
            session, user_id, name="bench", expires_in="30", scopes=["public"]
        )
    return secret


@pytest.fixture(autouse=True)
def _needs_wrk() -> None:
    if shutil.which("wrk") is None:
        missing_service("wrk is not installed")


def test_the_usage_page_agrees_with_what_wrk_got(
    backend: Backend, server: LiveServer, ctx: AppContext, make_user: Any, tmp_path: Path
) -> None:
    user_id, email, password = make_user()
    app = register_app(ctx, name="Bench Check App")
    access, _ = issue_tokens(ctx, user_id, app.pk)
    fixtures = Fixtures(
        email, password, access, "cva_y", None, "", 0,
        personal_token=personal_token(ctx, user_id),
    )  # fmt: skip
    args = parse_args(ARGS)
    scenarios = [s for s in by_name(COUNTED) if s.name in COUNTED]
    # A server of its own, stopped (so flushed) before the page is read.
    with live_server(backend.env, tmp_path, workers=2) as loaded:
        bench_server = Server(loaded.url, loaded.process.pid)
        outcomes = [measure(bench_server, s, fixtures, args, tmp_path) for s in scenarios]
    assert all(o.result is not None and o.result.non_2xx == 0 for o in outcomes)

    _, operator_email, operator_password = make_operator(ctx, make_user)
    shown = read_usage_page(server.url, operator_email, operator_password)
    rows = compare(expected_counts(outcomes, app.client_id), shown, args.connections)

    assert [row.key for row in rows] == [
        ("basic", ""),
        ("oauth", ""),
        ("oauth", app.client_id),
        ("personal", ""),
    ]
    assert all(row.ok for row in rows), rows
    for row in rows:
        assert row.expected.runs == 2  # the warm-up and the measured run
        assert row.expected.sent > 2 * args.connections  # wrk ran, not just the probe


def test_fewer_on_the_page_than_wrk_got_or_more_than_the_slack_fails() -> None:
    expected = {("basic", ""): Expected(sent=100, runs=2)}
    assert compare(expected, {("basic", ""): 100}, connections=4)[0].ok
    assert compare(expected, {("basic", ""): 108}, connections=4)[0].ok
    assert not compare(expected, {("basic", ""): 99}, connections=4)[0].ok
    assert not compare(expected, {("basic", ""): 109}, connections=4)[0].ok
    # An app on the page that no scenario called is a difference too.
    unexpected = compare(expected, {("basic", ""): 100, ("oauth", "other"): 1}, connections=4)
    assert [row.ok for row in unexpected] == [True, False]


def test_scenarios_that_did_not_run_count_nothing() -> None:
    (personal,) = [s for s in by_name(["personal-valid"]) if s.name == "personal-valid"]
    expected = expected_counts([Outcome(personal, unavailable="401")], "app")
    assert expected == {(m, ""): Expected() for m in ("basic", "oauth", "personal")}
