"""CIVICAUTH_LOG_FORMAT=json: one JSON object per line; every line of a request
carries its id (X-Request-ID from a trusted proxy, else a new one, echoed
back), and the user's and client's ids once known."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens
from tests.support import Backend, LiveServer, live_server

SETTINGS = {
    "CIVICAUTH_LOG_FORMAT": "json",
    "CIVICAUTH_TRUST_FORWARDED": "true",
    "CIVICAUTH_FORWARDED_ALLOW_IPS": "127.0.0.1",
}
LOUD = ("--access-log", "--log-level", "info")
GENERATED = re.compile(r"^[0-9a-f]{32}$")

Line = dict[str, Any]


@pytest.fixture(scope="module")
def logged(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("logged")
    with live_server(backend.env, tmp, workers=2, serve_args=LOUD) as running:
        yield running


def log_lines(log: Path) -> list[Line]:
    """Every line of the server's output, each parsed as JSON (a line that
    is not one object fails the test)."""
    lines = log.read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def wait_for_lines(log: Path, wanted: Callable[[Line], bool], count: int = 1) -> list[Line]:
    """The lines ``wanted`` picks, once there are ``count`` (the access line
    is written just after the answer, so it may not be there yet)."""
    deadline = time.monotonic() + 15
    while True:
        found = [line for line in log_lines(log) if wanted(line)]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{len(found)} of {count} lines"
            return found
        time.sleep(0.05)  # another process writes the file: nothing to await


def access_line(log: Path, request_id: str) -> Line:
    def wanted(line: Line) -> bool:
        return line["logger"] == "civicauth.access" and line.get("request_id") == request_id

    (line,) = wait_for_lines(log, wanted)
    return line


def test_every_line_is_one_json_object_and_each_request_has_an_access_line(logged):
    answer = httpx.get(logged.url + "/api/v2/issues/123456789")
    line = access_line(logged.log, answer.headers["x-request-id"])
    assert {k: line[k] for k in ("level", "method", "path", "route", "status")} == {
        "level": "info",
        "method": "GET",
        "path": "/api/v2/issues/123456789",
        "route": "/api/v2/issues/{issue_id}",
        "status": 404,
    }
    assert line["duration_ms"] >= 0
    assert line["address"] == "127.0.0.1"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", line["time"])
    starting = [x for x in log_lines(logged.log) if x["logger"].startswith("_granian")]
    assert starting  # the server's own lines are JSON too


def test_a_request_id_is_made_when_none_comes_and_echoed(logged):
    first = httpx.get(logged.url + "/api/v2")
    second = httpx.get(logged.url + "/api/v2")
    ids = first.headers["x-request-id"], second.headers["x-request-id"]
    assert all(GENERATED.match(i) for i in ids)
    assert ids[0] != ids[1]
    access_line(logged.log, ids[0])


def test_the_trusted_proxys_request_id_is_honoured(logged):
    answer = httpx.get(logged.url + "/api/v2", headers={"X-Request-ID": "edge-7f3a.42"})
    assert answer.headers["x-request-id"] == "edge-7f3a.42"
    assert access_line(logged.log, "edge-7f3a.42")["path"] == "/api/v2"


@pytest.mark.parametrize(
    "made_up", ["two words", "x" * 129, "id\twith\ttabs", "na\xefve".encode("latin-1"), ""]
)
def test_a_request_id_that_could_forge_a_line_is_replaced(logged, made_up):
    answer = httpx.get(logged.url + "/api/v2", headers={"X-Request-ID": made_up})
    assert GENERATED.match(answer.headers["x-request-id"])


def test_a_request_id_from_anyone_but_a_trusted_proxy_is_ignored(backend, tmp_path):
    env = {**backend.env, "CIVICAUTH_FORWARDED_ALLOW_IPS": "10.9.9.9"}
    with live_server(env, tmp_path, serve_args=LOUD) as running:
        answer = httpx.get(running.url + "/api/v2", headers={"X-Request-ID": "chosen-by-me"})
        request_id = answer.headers["x-request-id"]
        assert GENERATED.match(request_id)
        access_line(running.log, request_id)
    assert "chosen-by-me" not in running.log.read_text()


def test_lines_carry_the_user_and_client(logged, ctx, make_user):
    user_id, email, password = make_user()
    basic = httpx.get(logged.url + "/api/v2/profile", auth=(email, password))
    line = access_line(logged.log, basic.headers["x-request-id"])
    assert (line["user_id"], line["client_id"]) == (user_id, None)

    app = register_app(
        ctx, grant_types=["authorization_code", "refresh_token", "client_credentials"]
    )
    access, _ = issue_tokens(ctx, user_id, app.pk)
    bearer = httpx.get(
        logged.url + "/api/v2/profile", headers={"Authorization": f"Bearer {access}"}
    )
    line = access_line(logged.log, bearer.headers["x-request-id"])
    assert (line["user_id"], line["client_id"]) == (user_id, app.client_id)

    data = {"grant_type": "client_credentials"}
    issued = httpx.post(logged.url + "/oauth/token", data=data, auth=app.auth)
    line = access_line(logged.log, issued.headers["x-request-id"])
    assert (line["user_id"], line["client_id"]) == (None, app.client_id)

    anonymous = httpx.get(logged.url + "/api/v2/profile")
    line = access_line(logged.log, anonymous.headers["x-request-id"])
    assert (line["user_id"], line["client_id"]) == (None, None)


def test_a_line_written_inside_a_request_carries_its_ids(logged, ctx, make_user):
    """A rotated refresh token used again: the warning is written in the
    worker thread that ran the grant, and carries the request's ids."""
    user_id, _, _ = make_user()
    app = register_app(ctx, grant_types=["authorization_code", "refresh_token"])
    _, refresh = issue_tokens(ctx, user_id, app.pk)
    data = {"grant_type": "refresh_token", "refresh_token": refresh}
    assert httpx.post(logged.url + "/oauth/token", data=data, auth=app.auth).status_code == 200
    again = httpx.post(logged.url + "/oauth/token", data=data, auth=app.auth)
    request_id = again.headers["x-request-id"]

    def warning(line: Line) -> bool:
        return line["logger"] == "civicauth.oauth2" and line.get("request_id") == request_id

    (line,) = wait_for_lines(logged.log, warning)
    assert line["level"] == "warning"
    assert "used again" in line["message"]
    assert (line["user_id"], line["client_id"]) == (user_id, app.client_id)
    assert access_line(logged.log, request_id)["status"] == 400
