"""civicauth/metrics_http.py: the bearer token check of /metrics."""

from __future__ import annotations

import pytest

from civicauth.metrics_http import authorized

TOKEN = "a-long-metrics-token-0123456789"


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER  {TOKEN} "])
def test_the_token_in_a_bearer_header_is_accepted(header):
    assert authorized(header, TOKEN)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        TOKEN,
    ],
)
def test_anything_else_is_refused(header):
    assert not authorized(header, TOKEN)
