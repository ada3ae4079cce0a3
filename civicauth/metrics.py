"""Prometheus metrics (per process; scrape each worker or use one worker per host)."""

from __future__ import annotations

from prometheus_client import Counter

AUTH_OUTCOMES = Counter(
    "civicauth_api_auth_total",
    "API requests by authentication method and outcome (error code when failed)",
    ["method", "outcome"],
)

TOKEN_PARAMS_IN_QUERY = Counter(
    "civicauth_oauth_params_in_query_total",
    "Token, revocation and introspection requests with secrets in the query string, by app",
    ["client_id"],
)
