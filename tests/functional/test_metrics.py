"""/metrics with two workers: one scrape adds up both workers' counts; labels
are route templates; the security counters and gauges move."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.mmap_dict import MmapedDict

import civicauth.metrics  # noqa: F401 (defines the metrics in REGISTRY)
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens
from tests.support import ROOT, Backend, LiveServer, live_server

REQUESTS = "civicauth_http_requests_total"
ISSUE_ROUTE = "/api/v2/issues/{issue_id}"


@pytest.fixture(scope="module")
def two_workers(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(backend.env, tmp_path_factory.mktemp("two"), workers=2) as running:
        yield running


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    line = f"{name}{{{wanted}}} " if labels else f"{name} "
    for row in text.splitlines():
        if row.startswith(line):
            return float(row.rsplit(" ", 1)[1])
    return 0.0


def served_by_each_worker(backend: Backend, route: str) -> dict[str, float]:
    """Per worker process: the requests to ``route`` in its own metrics file."""
    served: dict[str, float] = {}
    for path in Path(backend.env["CIVICAUTH_VAR_DIR"]).glob("metrics/*/counter_*.db"):
        total = 0.0
        for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path)):
            if f'"{REQUESTS}"' in key and f'"route": "{route}"' in key:
                total += value
        served[path.stem.split("_")[1]] = total
    return served


def send_issue_reads(server: LiveServer, first: int, count: int) -> None:
    """``count`` reads of issues that do not exist, each on a new connection
    (so the kernel hands them to either worker), eight at a time."""

    def read(issue_id: int) -> int:
        return httpx.get(f"{server.url}/api/v2/issues/{issue_id}").status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(read, range(first, first + count))) == {404}


def test_one_scrape_counts_the_requests_of_both_workers(two_workers, backend):
    sent, deadline = 0, time.monotonic() + 60
    while True:
        send_issue_reads(two_workers, 900_000 + sent, 40)
        sent += 40
        served = served_by_each_worker(backend, ISSUE_ROUTE)
        if len([n for n in served.values() if n > 0]) >= 2 or time.monotonic() > deadline:
            break
    assert len([n for n in served.values() if n > 0]) == 2, served  # both workers answered
    text = two_workers.scrape()
    labels = {"method": "GET", "route": ISSUE_ROUTE, "status": "404"}
    assert sample(text, REQUESTS, **labels) == sent == sum(served.values())
    histogram = "civicauth_http_request_duration_seconds_count"
    assert sample(text, histogram, method="GET", route=ISSUE_ROUTE) == sent


def test_routes_are_templates_never_raw_paths(two_workers):
    httpx.get(two_workers.url + "/api/v2/users/424242")
    httpx.get(two_workers.url + "/no/such/page/77")
    text = two_workers.scrape()
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert "/api/v2/users/{user_id}" in routes
    assert "unmatched" in routes  # a path no route knows
    assert not [r for r in routes if re.search(r"\d{3,}", r)], routes
    assert sample(text, REQUESTS, method="GET", route="unmatched", status="404") >= 1


def test_api_authentication_outcomes_are_counted(two_workers, make_user):
    _, email, password = make_user()
    before = two_workers.scrape()
    httpx.get(two_workers.url + "/api/v2/profile", auth=(email, password))
    httpx.get(two_workers.url + "/api/v2/profile", headers={"Authorization": "Bearer nope"})
    after = two_workers.scrape()
    for labels in (
        {"method": "basic", "outcome": "ok"},
        {"method": "failed", "outcome": "invalid_token"},
    ):
        name = "civicauth_api_auth_total"
        assert sample(after, name, **labels) == sample(before, name, **labels) + 1


def test_tokens_issued_by_grant_and_refresh_reuse(two_workers, ctx, make_user):
    app = register_app(
        ctx, grant_types=["authorization_code", "refresh_token", "client_credentials"]
    )
    user_id, _, _ = make_user()
    _, refresh = issue_tokens(ctx, user_id, app.pk)
    token_url = two_workers.url + "/oauth/token"
    before = two_workers.scrape()
    data = {"grant_type": "client_credentials"}
    assert httpx.post(token_url, data=data, auth=app.auth).status_code == 200
    rotate = {"grant_type": "refresh_token", "refresh_token": refresh}
    assert httpx.post(token_url, data=rotate, auth=app.auth).status_code == 200
    assert httpx.post(token_url, data=rotate, auth=app.auth).json()["error"] == "invalid_grant"
    after = two_workers.scrape()
    issued = "civicauth_oauth_tokens_issued_total"
    for grant in ("client_credentials", "refresh_token"):
        assert sample(after, issued, grant=grant) == sample(before, issued, grant=grant) + 1
    reuse = "civicauth_oauth_refresh_reuse_total"
    assert sample(after, reuse) == sample(before, reuse) + 1


def test_throttled_attempts_are_counted(two_workers, make_user):
    """The eleventh wrong password from one address is refused (10 per 5
    minutes per account and address, shared by both workers when Redis is)."""
    _, email, _ = make_user()
    name, labels = "civicauth_throttled_total", {"limit": "sign_in"}
    before = sample(two_workers.scrape(), name, **labels)
    statuses = []
    with httpx.Client(base_url=two_workers.url) as client:
        for _ in range(25):  # each worker counts its own without Redis
            answer = client.get("/api/v2/profile", auth=(email, "wrong password"))
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                break
    assert statuses[-1] == 429, statuses
    assert sample(two_workers.scrape(), name, **labels) >= before + 1


def test_gauges_of_argon2_the_pool_and_the_mail_queue(two_workers, make_user):
    _, email, password = make_user()
    httpx.get(two_workers.url + "/api/v2/profile", auth=(email, password))
    text = two_workers.scrape()
    assert sample(text, "civicauth_argon2_slots") >= 1
    assert sample(text, "civicauth_argon2_waiting") == 0  # nothing is hashing now
    assert sample(text, "civicauth_argon2_running") == 0
    assert sample(text, "civicauth_db_pool_size") >= 2  # two workers' pools
    assert sample(text, "civicauth_db_pool_connections_in_use") >= 0
    assert "civicauth_mail_messages{" in text


def test_the_sample_dashboard_uses_only_metrics_civicauth_defines():
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    names = [n for e in expressions for n in re.findall(r"civicauth_\w+", e)]
    used = {re.sub(r"_bucket$", "", n) for n in names}
    defined = {m.name for m in REGISTRY.collect() if m.name.startswith("civicauth_")}
    # A counter's family is named without its _total.
    defined |= {name + "_total" for name in defined}
    assert len(used) >= 10
    assert used <= defined, used - defined
