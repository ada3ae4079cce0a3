"""/metrics is not public: only with the metrics token, or on the separate
listen address; with neither configured it does not exist."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import METRICS_TOKEN, free_port, live_server, run_civicauth


def test_without_the_token_metrics_are_refused(server):
    bare = httpx.get(server.url + "/metrics")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert "civicauth_" not in bare.text
    for wrong in ("Bearer not-the-token", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"):
        answer = httpx.get(server.url + "/metrics", headers={"Authorization": wrong})
        assert answer.status_code == 401, wrong
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
        assert "civicauth_" not in answer.text


def test_with_the_token_metrics_are_served(server):
    answer = httpx.get(
        server.url + "/metrics", headers={"Authorization": f"bearer {METRICS_TOKEN}"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    assert "# TYPE civicauth_http_requests_total counter" in answer.text


def test_with_neither_setting_there_is_no_metrics_endpoint(backend, tmp_path):
    env = {**backend.env, "CIVICAUTH_METRICS_TOKEN": ""}
    with live_server(env, tmp_path) as running:
        answer = httpx.get(running.url + "/metrics")
        with_a_token = httpx.get(
            running.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
    assert answer.status_code == with_a_token.status_code == 404
    assert "civicauth_" not in answer.text + with_a_token.text


def test_the_listen_address_serves_every_workers_metrics(backend, tmp_path):
    port = free_port()
    env = {
        **backend.env,
        "CIVICAUTH_METRICS_TOKEN": "",
        "CIVICAUTH_METRICS_LISTEN": f"127.0.0.1:{port}",
    }
    with live_server(env, tmp_path, workers=2) as running:
        for user_id in range(5):
            httpx.get(f"{running.url}/api/v2/users/{880_000 + user_id}")
        on_the_app = httpx.get(running.url + "/metrics")
        listener = httpx.get(f"http://127.0.0.1:{port}/metrics")
        elsewhere = httpx.get(f"http://127.0.0.1:{port}/")
    assert on_the_app.status_code == 404  # not on the public port
    assert listener.status_code == 200
    line = (
        'civicauth_http_requests_total{method="GET",route="/api/v2/users/{user_id}",status="404"}'
    )
    assert f"{line} 5.0" in listener.text
    assert elsewhere.status_code == 404


def test_the_listen_address_asks_for_the_token_when_one_is_set(backend, tmp_path):
    port = free_port()
    env = {**backend.env, "CIVICAUTH_METRICS_LISTEN": f"127.0.0.1:{port}"}
    with live_server(env, tmp_path):
        refused = httpx.get(f"http://127.0.0.1:{port}/metrics")
        served = httpx.get(
            f"http://127.0.0.1:{port}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        )
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert served.status_code == 200
    assert "civicauth_http_requests_total" in served.text


def test_a_taken_listen_address_is_one_line_and_a_failed_start(backend):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        done = run_civicauth(
            backend, "serve", "--port", str(free_port()), CIVICAUTH_METRICS_LISTEN=address
        )
    assert done.returncode != 0
    why = "Address already in use"
    assert done.stderr.strip().splitlines() == [
        f"civicauth: error: cannot listen on CIVICAUTH_METRICS_LISTEN={address}: {why}"
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CIVICAUTH_METRICS_TOKEN", "short"),
        ("CIVICAUTH_METRICS_LISTEN", "9100"),
        ("CIVICAUTH_METRICS_LISTEN", "127.0.0.1:99999"),
    ],
)
def test_bad_metrics_settings_are_refused_in_one_line(backend, name, value):
    done = run_civicauth(backend, "serve", "--port", str(free_port()), **{name: value})
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"civicauth: error: invalid setting {name}: ")


def test_each_start_gets_a_fresh_metrics_directory_removed_at_the_end(backend, tmp_path):
    metrics = Path(backend.env["CIVICAUTH_VAR_DIR"]) / "metrics"
    stale = metrics / "4194000"  # a start that died (no such process)
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "counter_4194001.db").write_bytes(b"left behind")
    before = set(metrics.iterdir())
    with live_server(backend.env, tmp_path) as running:
        mine = set(metrics.iterdir()) - before
        assert not stale.exists()
        assert [p.name for p in mine] == [str(running.process.pid)]
    assert not (metrics / str(running.process.pid)).exists()


def test_the_command_line_does_not_import_prometheus_client_before_serve_sets_it_up():
    """prometheus_client picks multiprocess mode once, at its import; granian's
    workers are forked from ``civicauth serve``, imports and all."""
    code = "import sys, civicauth.cli; print('prometheus_client' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"
