"""The scenario registry: names, order and the request each one sends."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from bench.scenarios import SCENARIOS, SERVERS, Scenario, Unavailable, by_name
from bench.seed import Fixtures

FIXTURES = Fixtures(
    email="email@example.com",
    password="pass:word",
    access_token="cva_token",
    unknown_token="cva_unknown",
    client=("the-client", "cvs_secret"),
    client_unavailable="",
    issues=10,
    bbox={"min_lat": 41.3, "max_lat": 41.31, "min_lng": -72.93, "max_lng": -72.92},
    bearer_client=("the-app", "cvs_app"),
    codes=("cvc_1", "cvc_2", "cvc_3"),
    openid_codes=("cvc_o1", "cvc_o2"),
    refresh_tokens=("cvr_1", "cvr_2"),
    issue_id=42,
    search="Street light",
)


def scenario(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)


def test_names_are_unique_and_servers_known() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    assert all(s.server in SERVERS for s in SCENARIOS)
    assert names[:2] == ["ceiling", "bare"]
    assert SERVERS["ceiling"].app == "bench.ceiling:app"
    assert all(SERVERS[s.server].app is None for s in SCENARIOS if s.name != "ceiling")


def test_no_names_means_every_scenario() -> None:
    assert by_name([]) == list(SCENARIOS)


def test_a_selection_keeps_registry_order_and_always_the_ceiling() -> None:
    chosen = by_name(["basic-valid", "bearer-valid"])
    assert [s.name for s in chosen] == ["ceiling", "bare", "basic-valid", "bearer-valid"]


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown scenario.*nope.*known: ceiling, bare"):
        by_name(["nope"])


def test_basic_credentials_follow_rfc7617() -> None:
    request = scenario("basic-valid").request(FIXTURES)
    scheme, token = request.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == "email@example.com:pass:word"


def test_wrong_password_scenarios_use_the_demo_email() -> None:
    for name in ("basic-wrong", "basic-wrong-throttled"):
        token = scenario(name).request(FIXTURES).headers["Authorization"].split(" ")[1]
        email, _, password = base64.b64decode(token).decode().partition(":")
        assert email == FIXTURES.email
        assert password != FIXTURES.password


def test_throttled_variant_runs_with_default_limits() -> None:
    assert SERVERS[scenario("basic-wrong-throttled").server].env == {}
    assert "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT" in SERVERS[scenario("basic-wrong").server].env


def test_bearer_scenarios_send_their_tokens() -> None:
    assert scenario("bearer-valid").request(FIXTURES).headers == {
        "Authorization": "Bearer cva_token"
    }
    assert scenario("bearer-invalid").request(FIXTURES).headers == {
        "Authorization": "Bearer cva_unknown"
    }


def test_client_credentials_posts_a_form_with_basic_client_auth() -> None:
    request = scenario("client-credentials").request(FIXTURES)
    assert (request.method, request.path) == ("POST", "/oauth/token")
    assert request.body == "grant_type=client_credentials&scope=public"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    token = request.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode() == "the-client:cvs_secret"


def test_client_credentials_is_unavailable_without_an_app() -> None:
    fixtures = replace(FIXTURES, client=None, client_unavailable="no apps")
    with pytest.raises(Unavailable, match="no apps"):
        scenario("client-credentials").request(fixtures)


def test_issues_bbox_queries_the_box() -> None:
    request = scenario("issues-bbox").request(FIXTURES)
    assert request.path == (
        "/api/v2/issues?min_lat=41.3&max_lat=41.31&min_lng=-72.93&max_lng=-72.92"
    )


def test_targets_are_the_issues_shares_of_the_ceiling() -> None:
    targets = {s.name: s.target for s in SCENARIOS if s.target is not None}
    assert targets == {
        "basic-valid": 0.40,
        "bearer-valid": 0.40,
        "bearer-invalid": 0.50,
        "client-credentials": 0.05,
        "code-exchange": 0.03,
        "refresh": 0.03,
        "issues-bbox": 0.05,
    }


def test_the_code_exchange_spends_one_code_per_request() -> None:
    request = scenario("code-exchange").request(FIXTURES)
    assert (request.method, request.path) == ("POST", "/oauth/token")
    redirect = "&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback"
    assert request.body == "grant_type=authorization_code&code=cvc_1" + redirect
    assert request.bodies == tuple(
        f"grant_type=authorization_code&code={c}{redirect}" for c in ("cvc_2", "cvc_3")
    )
    token = request.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode() == "the-app:cvs_app"


def test_the_openid_code_exchange_spends_its_own_codes() -> None:
    request = scenario("code-exchange-openid").request(FIXTURES)
    assert request.body.startswith("grant_type=authorization_code&code=cvc_o1&")
    assert [body.split("&")[1] for body in request.bodies] == ["code=cvc_o2"]


def test_the_refresh_spends_one_refresh_token_per_request() -> None:
    request = scenario("refresh").request(FIXTURES)
    assert request.body == "grant_type=refresh_token&refresh_token=cvr_1"
    assert request.bodies == ("grant_type=refresh_token&refresh_token=cvr_2",)


def test_issue_reads_and_search() -> None:
    assert scenario("issue-show").request(FIXTURES).path == "/api/v2/issues/42"
    assert (
        scenario("issues-search").request(FIXTURES).path == "/api/v2/issues?search=Street%20light"
    )


def test_the_million_token_run_fills_the_table_first() -> None:
    assert scenario("bearer-valid-1m").prepare is not None
    assert scenario("bearer-valid-1m").request(FIXTURES) == scenario("bearer-valid").request(
        FIXTURES
    )


def test_warmups_are_skipped_where_the_first_requests_count_or_credentials_are_spent() -> None:
    # The throttled variant's first attempts (401s, before the limit trips)
    # are what it shows; a warm-up would spend codes and refresh tokens.
    skipped = [s.name for s in SCENARIOS if not s.warmup]
    assert skipped == ["code-exchange", "code-exchange-openid", "refresh", "basic-wrong-throttled"]
