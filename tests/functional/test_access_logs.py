"""Secrets sent in query strings never reach the access log, on either server."""

from __future__ import annotations

import httpx
import pytest

from tests.support import live_server

SECRETS = ("cva_QUERYSECRETQUERYSECRET", "cvs_CLIENTSECRETINQUERY")


@pytest.mark.parametrize("server_kind", ["granian", "uvicorn"])
def test_access_log_has_paths_without_query_strings(backend, tmp_path, server_kind):
    args = ("--server", server_kind, "--access-log", "--log-level", "info")
    with live_server(backend.env, tmp_path, serve_args=args) as server:
        httpx.get(f"{server.url}/api/v2/profile?access_token={SECRETS[0]}")
        httpx.post(
            f"{server.url}/oauth/token?grant_type=client_credentials&client_id=x"
            f"&client_secret={SECRETS[1]}"
        )
        httpx.get(server.url + "/healthz")  # logged after the two above
    log = server.log.read_text()
    assert "/oauth/token" in log
    assert "/api/v2/profile" in log
    for secret in SECRETS:
        assert secret not in log
