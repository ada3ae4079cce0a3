"""What machines poll or cache (metadata, keys, health, metrics, static
files) is answered without a cookie: a shared cache must be free to keep it,
and no page session or CSRF token is made for a client that has no use for
one."""

from __future__ import annotations

import httpx
import pytest

from tests.support import METRICS_TOKEN

MACHINE_PATHS = [
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
    "/oauth/discovery/keys",
    "/healthz",
    "/static/no-issue-image.png",
]


@pytest.mark.parametrize("path", MACHINE_PATHS)
def test_answered_without_a_cookie(server, path):
    response = httpx.get(server.url + path)
    assert response.status_code == 200, response.text[:200]
    assert response.headers.get_list("set-cookie") == []


def test_metrics_are_answered_without_a_cookie(server):
    response = httpx.get(
        server.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert response.status_code == 200
    assert response.headers.get_list("set-cookie") == []


def test_a_page_still_gets_its_csrf_cookie(server):
    response = httpx.get(server.url + "/login")
    assert response.status_code == 200
    assert any(c.startswith("civicauth_csrf") for c in response.headers.get_list("set-cookie"))
