"""Prometheus metrics (per process; scrape each worker or use one worker per host)."""

from __future__ import annotations

from prometheus_client import Counter

AUTH_OUTCOMES = Counter(
    "civicauth_api_auth_total",
    "API requests by authentication method and outcome (error code when failed)",
    ["method", "outcome"],
)
