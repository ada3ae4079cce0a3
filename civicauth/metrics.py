"""Prometheus metrics, true across every worker of a host.

``civicauth serve`` gives its workers a fresh directory in
``PROMETHEUS_MULTIPROC_DIR`` (civicauth/metrics_files.py) before anything
imports prometheus_client, so each worker writes its values to memory-mapped
files there, and a scrape of any worker (or of the metrics listener in the
main process) adds up every worker's files: prometheus_client's multiprocess
mode. Without that variable (tests in one process, an embedding
application) the values are this process's own.

Labels are small fixed sets: a route is its template (``/api/v2/issues/{issue_id}``),
never the raw path; a method outside the usual ones is ``other``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from sqlalchemy import Engine, event

from civicauth.metrics_files import MULTIPROC_ENV, alive

_pid = os.getpid()


def _process_id() -> int:
    """This process's id without a system call per metric update (the
    multiprocess values ask on every one, to notice a fork); a fork updates it."""
    return _pid


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)
if os.environ.get(MULTIPROC_ENV):
    # Before any metric is made: each takes its value class from here.
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_id)

REQUESTS = Counter(
    "civicauth_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "civicauth_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUTH_OUTCOMES = Counter(
    "civicauth_api_auth_total",
    "API requests by authentication method and outcome (error code when failed)",
    ["method", "outcome"],
)
TOKENS_ISSUED = Counter(
    "civicauth_oauth_tokens_issued_total",
    "OAuth access tokens issued, by grant type (implicit for the implicit flow)",
    ["grant"],
)
REFRESH_REUSE = Counter(
    "civicauth_oauth_refresh_reuse_total",
    "Rotated refresh tokens presented again: each revoked its whole grant (RFC 9700 §4.14.2)",
)
THROTTLED = Counter(
    "civicauth_throttled_total",
    "Attempts refused by a rate limit (429), by limit",
    ["limit"],
)
TOKEN_PARAMS_IN_QUERY = Counter(
    "civicauth_oauth_params_in_query_total",
    "Token, revocation and introspection requests with secrets in the query string, by app",
    ["client_id"],
)
# Gauges of live workers are summed; a worker's values go with it.
ARGON2_WAITING = Gauge(
    "civicauth_argon2_waiting",
    "Password hashes and checks waiting for an argon2 slot",
    multiprocess_mode="livesum",
)
ARGON2_RUNNING = Gauge(
    "civicauth_argon2_running",
    "Password hashes and checks running in an argon2 slot",
    multiprocess_mode="livesum",
)
ARGON2_SLOTS = Gauge(
    "civicauth_argon2_slots",
    "argon2 slots (computations that may run at once), every worker's together",
    multiprocess_mode="livesum",
)
DB_POOL_IN_USE = Gauge(
    "civicauth_db_pool_connections_in_use",
    "Database connections checked out of the workers' pools",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "civicauth_db_pool_size",
    "Connections the workers' pools keep open (overflow not counted)",
    multiprocess_mode="livesum",
)
# One database, so every worker counts the same queue: the latest count wins.
MAIL_QUEUE = Gauge(
    "civicauth_mail_messages",
    "Messages in the mail outbox, by state (pending: waiting to be sent)",
    ["state"],
    multiprocess_mode="livemostrecent",
)

Limit = Literal["sign_in", "signup", "issue", "comment", "password_reset", "email_link"]
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@cache
def request_metrics(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    """The counter and histogram of one (method, route, status), found once:
    ``labels`` costs more than the increment, and the combinations are a
    bounded set (methods, route templates, statuses)."""
    method = method if method in METHODS else "other"
    return REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)


def count_throttled(limit: Limit) -> None:
    THROTTLED.labels(limit).inc()


def count_token_issued(grant: str) -> None:
    TOKENS_ISSUED.labels(grant).inc()


@contextmanager
def argon2_slot_wait() -> Iterator[None]:
    ARGON2_WAITING.inc()
    try:
        yield
    finally:
        ARGON2_WAITING.dec()


@contextmanager
def argon2_slot_held() -> Iterator[None]:
    ARGON2_RUNNING.inc()
    try:
        yield
    finally:
        ARGON2_RUNNING.dec()


# -- exposition ---------------------------------------------------------------


def multiprocess_dir() -> Path | None:
    path = os.environ.get(MULTIPROC_ENV)
    return Path(path) if path else None


def exposition() -> tuple[bytes, str]:
    """The text format of every metric (every worker's, in multiprocess
    mode) and its content type."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    forget_dead_workers(path)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(path))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def forget_dead_workers(path: Path) -> None:
    """``mark_process_dead`` for every worker whose live gauges are still
    on file but that no longer runs (killed, crashed, or replaced by the
    server): its argon2 and pool gauges stop counting. Its counters stay,
    as counters must. Done at each scrape, which works whichever server
    started the workers."""
    pids = {f.stem.rsplit("_", 1)[-1] for f in path.glob("gauge_live*_*.db")}
    for pid in filter(str.isdigit, pids):
        if not alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), str(path))


def observe_pool(engine: Engine) -> None:
    """Count the engine's connections in use, and its pool's size, in the
    pool gauges (a checkout and a checkin each move the gauge)."""
    size = getattr(engine.pool, "size", None)
    if callable(size):
        DB_POOL_SIZE.inc(size())
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)


def _checked_out(*_: object) -> None:
    DB_POOL_IN_USE.inc()


def _checked_in(*_: object) -> None:
    DB_POOL_IN_USE.dec()
